"""What each DnCNN does to the CT training patches, dose by dose: RMSE in HU of the low-dose
patch (input) and of the network's output against the full-dose patch.

Reads the patches a finished study wrote (``results/patches/``: ``low_dose.npy``,
``full_dose.npy`` and ``index.tsv`` with each patch's dose and split) and runs every network
named on all of them (``ldct.denoising.inference.denoise_stack``, the study's own inference, in
the default HU window -1000..1000 unless ``--hu-window`` says otherwise). A network helps at a
dose where its output RMSE is below the input's. Prints one markdown table: a row per dose and
split (train, validation), the input RMSE and each network's output RMSE. (A study's own networks
report this on the validation patches in ``results/dncnn/*/per_dose.tsv``; this compares any
networks, on the training patches too.)

    python benchmarks/per_dose_rmse.py [--results results] \\
        [--model authors_dncnn_b=ldct/models/authors_dncnn_b.pt ...] [--hu-window -1000 1000]

Without ``--model``: the DnCNN authors' DnCNN-B and DnCNN-S (sigma 25) and ldct's own DnCNN-B.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ldct.core.storage import read_table
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.inference import denoise_stack
from ldct.denoising.originals import SHIPPED_ORIGINALS
from ldct.denoising.scaling import window_scaling
from ldct.training.per_dose import rmse_hu

DEFAULT_MODELS = {
    "authors DnCNN-B": SHIPPED_ORIGINALS["authors", "blind"],
    "authors DnCNN-S25": SHIPPED_ORIGINALS["authors", "fixed"],
    "ldct DnCNN-B": SHIPPED_ORIGINALS["ldct", "blind"],
}


def named_model(text: str) -> tuple[str, Path]:
    name, separator, path = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"expected NAME=CHECKPOINT, got '{text}'")
    return name, Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--model", type=named_model, action="append", default=[])
    parser.add_argument("--hu-window", type=float, nargs=2, default=(-1000.0, 1000.0))
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    models = dict(args.model) or DEFAULT_MODELS
    low = np.load(args.results / "patches" / "low_dose.npy")
    full = np.load(args.results / "patches" / "full_dose.npy").astype(np.float64)
    index = read_table(args.results / "patches" / "index.tsv")
    doses = np.array([float(row["dose"]) for row in index])
    splits = np.array([row["split"] for row in index])
    scaling = window_scaling(HuWindow(*args.hu_window))
    outputs = {name: denoise_stack(load_model(path)[0], low, scaling, args.device) for name, path in models.items()}
    print(f"| dose | split | patches | input | {' | '.join(outputs)} |")
    print("| --- " * (4 + len(outputs)) + "|")
    for dose in sorted(set(doses), reverse=True):
        for split in ("train", "validation"):
            chosen = (doses == dose) & (splits == split)
            if not chosen.any():
                continue
            cells = [f"{rmse_hu(output[chosen], full[chosen]):.1f}" for output in outputs.values()]
            print(f"| {dose:g} | {split} | {chosen.sum()} | {rmse_hu(low[chosen], full[chosen]):.1f} | "
                  f"{' | '.join(cells)} |")


if __name__ == "__main__":
    main()
