"""How the defaults of ``nl_means`` were chosen: on the training patients' slices only.

* Reads a finished run's full-dose slices and split (``--results DIR``, a ``results/`` folder) and
  takes ``--per-patient`` training slices of each training patient (evenly spaced in id order);
  no eval slice is read.
* Simulates each at the study's four eval doses with the default config's noise settings and
  seed (realization 0, the study's own simulation), and denoises it with ``nl_means`` for every
  combination of patch side, search radius and ``h_per_sigma`` (the study's known noise SD).
* Scores each output by SSIM in the paper's convention against its full-dose slice; the
  chosen setting has the highest mean SSIM over slices and doses (each dose weighing the same).

    python benchmarks/nl_means_settings.py --results results [--per-patient 4] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import csv
import itertools
from pathlib import Path

import numpy as np
import yaml

from ldct.core.storage import load_image
from ldct.denoising.filters import nl_means
from ldct.evaluation.metrics import paper_metrics
from ldct.simulation.low_dose import NoiseSettings, simulate_draws
from ldct.simulation.mtf import mtf_from_config
from ldct.study.design import load_study

REPO = Path(__file__).resolve().parents[1]
GRID = {"patch_size_px": (5, 7), "patch_distance_px": (6, 11), "h_per_sigma": (0.4, 0.6, 0.8, 1.0, 1.2)}


def training_slices(results: Path, per_patient: int) -> list[str]:
    """``per_patient`` training slices of each training patient, evenly spaced in id order."""
    by_patient: dict[str, list[str]] = {}
    with open(results / "split.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["role"] == "train":
                by_patient.setdefault(row["patient"], []).append(row["image"])
    chosen = []
    for images in by_patient.values():
        images = sorted(images)
        picks = np.linspace(0, len(images) - 1, min(per_patient, len(images))).round().astype(int)
        chosen += [images[i] for i in sorted(set(picks))]
    return chosen


def measure(results: Path, per_patient: int) -> list[dict]:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    study = load_study(config, REPO / "config" / "schema.yaml")
    settings = NoiseSettings.from_config(config["noise"])
    curve = mtf_from_config(config["mtf"])
    combos = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    scores = {index: [] for index in range(len(combos))}
    for image_id in training_slices(results, per_patient):
        image, meta = load_image(results / "hu" / f"{image_id}.npy")
        spacing = tuple(meta["pixel_spacing_mm"])
        draws = [(dose, 0) for dose in study.eval_doses]
        stack, _ = simulate_draws(image, spacing, draws, settings, curve, config["seed"], image_id)
        for (dose, _), low in zip(draws, stack):
            sd = settings.total_sd_hu(dose)
            for index, combo in enumerate(combos):
                output = nl_means(low, **combo, noise_sd="known", noise_sd_hu=sd)
                scores[index].append((dose, paper_metrics(output, image)["ssim_paper"]))
    rows = []
    for index, combo in enumerate(combos):
        per_dose = {dose: np.mean([s for d, s in scores[index] if d == dose]) for dose in study.eval_doses}
        rows.append({**combo, **{f"ssim_{dose:g}": value for dose, value in per_dose.items()},
                     "mean_ssim": float(np.mean(list(per_dose.values())))})
    return sorted(rows, key=lambda row: -row["mean_ssim"])


def markdown(rows: list[dict], slices: list[str]) -> str:
    columns = list(rows[0])
    lines = [
        f"`nl_means` on {len(slices)} training slices ({', '.join(slices)}), the study's noise at "
        "its four eval doses, SSIM (paper convention) against the full-dose slice; best first:",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[c]:.4f}" if isinstance(row[c], float) and c != "h_per_sigma" else str(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--per-patient", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = measure(args.results, args.per_patient)
    text = markdown(rows, training_slices(args.results, args.per_patient))
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
