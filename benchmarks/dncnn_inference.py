"""DnCNN inference: the folded, channels-last, batched path against the plain eval path.

Both run the 20-layer DnCNN-B ldct trained itself (with batch norm; same weights) on the same
stack of slices in float32 (no TF32 on a GPU), alternating, best of ``--repeats``; a float32
matrix product timed in the same run gives the machine's rate to compare with. Reports seconds per slice, the ratio, GFLOP/s, the share of the matmul rate,
and the largest difference between the two outputs in HU.

    python benchmarks/dncnn_inference.py [--images 4] [--rows 512] [--cols 512] [--device auto]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ldct.core.devices import resolve_device
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.dncnn import plain_denoise_hu
from ldct.denoising.inference import denoise_stack, exact_float32
from ldct.denoising.scaling import window_scaling
from ldct.denoising.originals import LDCT_DNCNN_B
from timing import dncnn_flops, interleaved, matmul_tflops, standalone

WINDOW = HuWindow(-1000.0, 1000.0)


def measure(images: int, rows: int, cols: int, repeats: int, device: str) -> dict[str, Any]:
    """Seconds per slice of both paths, their ratio, rates and largest difference (HU)."""
    where = resolve_device(device)
    model, _ = load_model(LDCT_DNCNN_B)
    stack = np.random.default_rng(0).normal(40, 200, (images, rows, cols)).astype(np.float32)
    outputs: dict[str, np.ndarray] = {}

    def run(name, work):
        def call():
            outputs[name] = work()

        return call

    with exact_float32():  # both paths in true float32 (no TF32 on a GPU): like with like
        times = interleaved(
            {
                "plain": run("plain", lambda: np.stack([plain_denoise_hu(model, image, WINDOW, where.type) for image in stack])),
                "ours": run("ours", lambda: denoise_stack(model, stack, window_scaling(WINDOW), where.type)),
            },
            repeats,
            where,
        )
    matmul = matmul_tflops(where)
    flops = dncnn_flops(model.depth, model.channels, stack.size)
    result: dict[str, Any] = {
        "slices": images,
        "slice_px": [rows, cols],
        "repeats": repeats,
        "matmul_float32_tflops": matmul,
        "max_difference_hu": float(np.abs(outputs["ours"] - outputs["plain"]).max()),
        "speedup": min(times["plain"]) / min(times["ours"]),
    }
    if where.type == "cuda":
        result["matmul_tf32_tflops"] = _tf32_matmul(where)
    for name, seconds in times.items():
        best = min(seconds)
        result[name] = {
            "seconds": seconds,
            "seconds_per_slice": best / images,
            "slices_per_s": images / best,
            "tflops": flops / best / 1e12,
            "share_of_matmul": flops / best / 1e12 / matmul,
        }
    return result


def _tf32_matmul(device: torch.device) -> float:
    """TF32 matrix-product TFLOP/s (the tensor-core rate cuDNN's float32 convolutions may use)."""
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        return matmul_tflops(device)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def markdown(result: dict[str, Any]) -> str:
    rows, cols = result["slice_px"]
    lines = [
        f"{result['slices']} slices of {rows} x {cols} px, float32, best of {result['repeats']} "
        f"(interleaved); float32 matmul in the same run: {result['matmul_float32_tflops'] * 1e3:.0f} GFLOP/s"
        + (f", TF32 {result['matmul_tf32_tflops']:.0f} TFLOP/s" if "matmul_tf32_tflops" in result else ""),
        "",
        "| path | s per slice | slices/s | GFLOP/s | share of float32 matmul |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in ("plain", "ours"):
        row = result[name]
        lines.append(
            f"| {name} | {row['seconds_per_slice']:.3f} | {row['slices_per_s']:.2f} | "
            f"{row['tflops'] * 1e3:.0f} | {row['share_of_matmul']:.0%} |"
        )
    lines += ["", f"ours / plain: **{result['speedup']:.2f}x**; largest difference {result['max_difference_hu']:.1e} HU"]
    return "\n".join(lines)


if __name__ == "__main__":
    standalone(__doc__.splitlines()[0], measure, markdown, images=4, rows=512, cols=512)
