"""How much the number of CPU threads moves DnCNN results (results are bitwise the same for one
thread count; docs/running.md, "Bitwise reruns and thread counts", quotes this).

* inference: the DnCNN-B ldct trained itself on 4 CT-like 512 x 512 slices with 1 and with 2 torch threads;
* fine-tuning: the last layer (dncnn_tra) and every layer (dncnn_full) for 4 epochs on 192
  CT-like patches, float32, with 1 and with 2 threads, then both fine-tuned networks on the same
  slices (and, for scale, how far each network moves the slices from its input).

Each case is also run twice with the same thread count, to show that it repeats exactly.
Prints the largest and mean differences in HU.

    python benchmarks/thread_reproducibility.py
"""

from __future__ import annotations

import tempfile

import numpy as np
import torch

from finetune_speed import SEED, SETTINGS, WINDOW, ct_like_patches
from ldct.denoising.checkpoints import load_model
from ldct.denoising.inference import denoise_stack
from ldct.denoising.scaling import window_scaling
from ldct.denoising.originals import LDCT_DNCNN_B
from ldct.training.finetune import finetune


def slices(count: int = 4) -> np.ndarray:
    low, _ = ct_like_patches(count, size=512)
    return low


def denoised(model, stack: np.ndarray, threads: int) -> np.ndarray:
    torch.set_num_threads(threads)
    return denoise_stack(model, stack, window_scaling(WINDOW), "cpu")


def fine_tuned(pretrained, layers: str, threads: int):
    torch.set_num_threads(threads)
    low, full = ct_like_patches(192)
    is_validation = np.arange(len(low)) >= len(low) - 10
    settings = {**SETTINGS, "precision": "float32", "epochs": 4}
    with tempfile.TemporaryDirectory() as folder:
        model, _ = finetune(pretrained, f"fine-tuned {layers}", layers, low, full, is_validation,
                            window_scaling(WINDOW), settings, SEED, f"{folder}/last.pt", "cpu")
    return model


def difference(a: np.ndarray, b: np.ndarray) -> str:
    return f"{np.abs(a - b).max():.2e} HU"


def main() -> None:
    pretrained, _ = load_model(LDCT_DNCNN_B)
    stack = slices()
    one, again, two = denoised(pretrained, stack, 1), denoised(pretrained, stack, 1), denoised(pretrained, stack, 2)
    print("| case | 1 thread, twice | 1 thread against 2: largest | mean |\n| --- | --- | --- | --- |")
    print(f"| inference, ldct's DnCNN-B | {difference(again, one)} | {difference(two, one)} | "
          f"{np.abs(two - one).mean():.2e} HU |")
    for layers in ("last", "all"):
        runs = {name: fine_tuned(pretrained, layers, threads) for name, threads in (("1", 1), ("2", 2), ("again", 1))}
        out = {name: denoised(model, stack, 1) for name, model in runs.items()}
        print(
            f"| fine-tuning `{layers}` (4 epochs), then inference | {difference(out['again'], out['1'])} "
            f"| {difference(out['2'], out['1'])} | {np.abs(out['2'] - out['1']).mean():.2e} HU "
            f"(the network moves the slices by {np.abs(out['1'] - stack).mean():.0f} HU on average) |"
        )

if __name__ == "__main__":
    main()
