"""DnCNN inference: the folded, channels-last, batched path against the plain eval path.

Both run the shipped 20-layer DnCNN (same weights) on the same stack of CT-sized images,
alternating, best of ``--repeats``; a float32 matrix product timed in the same run gives the
machine's rate to compare with. Prints a markdown table: seconds, ratio, GFLOP/s, share of the
matmul rate, and the largest difference between the two outputs in HU.

    python benchmarks/dncnn_inference.py [--images 4] [--rows 250] [--cols 350] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ldct.checkpoints import load_model
from ldct.dncnn import denoise_hu
from ldct.inference import denoise_stack
from ldct.study import SHIPPED_CHECKPOINT
from ldct.window import HuWindow

WINDOW = HuWindow(-1000.0, 1000.0)


def network_flops(depth: int, channels: int, pixels: int) -> float:
    """Multiply-adds x 2 of a DnCNN's 3x3 convolutions over ``pixels`` pixels."""
    per_pixel = 9 * channels + (depth - 2) * 9 * channels * channels + 9 * channels
    return 2.0 * per_pixel * pixels


def matmul_rate(size: int = 2048, repeats: int = 3) -> float:
    """float32 matrix-product GFLOP/s of this machine, best of ``repeats``."""
    a, b = torch.rand(size, size), torch.rand(size, size)
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2.0 * size**3 / best / 1e9


def _seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--cols", type=int, default=350)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    model, _ = load_model(SHIPPED_CHECKPOINT)
    stack = np.random.default_rng(0).normal(40, 200, (args.images, args.rows, args.cols))
    stack = stack.astype(np.float32)
    outputs, times = {}, {"plain": [], "fast": []}
    runs = {
        "plain": lambda: np.stack([denoise_hu(model, image, WINDOW, "cpu") for image in stack]),
        "fast": lambda: denoise_stack(model, stack, WINDOW, "cpu"),
    }
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            outputs[name] = run()
            times[name].append(time.perf_counter() - start)
    rate = matmul_rate()
    flops = network_flops(model.depth, model.channels, stack.size)
    print(f"{args.images} images of {args.rows} x {args.cols}, {torch.get_num_threads()} threads, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, matmul {rate:.0f} GFLOP/s\n")
    print("| path | seconds (best) | GFLOP/s | share of matmul |")
    print("| --- | --- | --- | --- |")
    for name in runs:
        best = min(times[name])
        print(f"| {name} | {best:.2f} | {flops / best / 1e9:.0f} | {flops / best / 1e9 / rate:.0%} |")
    ratio = min(times["plain"]) / min(times["fast"])
    difference = float(np.abs(outputs["fast"] - outputs["plain"]).max())
    print(f"\nfast / plain speed: {ratio:.2f}x; largest difference {difference:.2e} HU")


if __name__ == "__main__":
    main()
