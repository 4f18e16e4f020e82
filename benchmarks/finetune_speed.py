"""DnCNN fine-tuning: ours (``ldct.training.finetune``) against a plain NCHW float32 training loop.

Both fine-tune the 20-layer DnCNN-B ldct trained itself (with batch norm) on the same CT-like
50 x 50 HU patch pairs with the default settings (batch 32, Adam, learning rate 1e-3), visit the
patches in the same order and run the same number of steps, for each way the registry fine-tunes: ``last`` (dncnn_tra: ours
computes the frozen layers' features once) and ``all`` (dncnn_full). Ours runs as the workflow
does (channels_last, patches on the device once, the default ``precision: auto``); the plain loop
copies each batch from NumPy, runs the whole network in NCHW float32 with PyTorch's default
settings (on a GPU: TF32 convolutions, no cuDNN autotuning) and reads the loss every step. Runs alternate, best of ``--repeats``. Reports training patches per second end to end
(caching and the precision probe included), the rate in GFLOP/s where every layer trains
(forward and backward counted as three forward passes), and the mean loss of the last epoch.

    python benchmarks/finetune_speed.py [--patches 96] [--epochs 8] [--device auto]
"""

from __future__ import annotations

import tempfile
from typing import Any

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from ldct.core.devices import resolve_device
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.dncnn import hu_to_network
from ldct.denoising.scaling import window_scaling
from ldct.denoising.originals import LDCT_DNCNN_B
from ldct.training.finetune import finetune, trainable_copy
from timing import dncnn_flops, interleaved, standalone

WINDOW = HuWindow(-1000.0, 1000.0)
SEED = 1
SETTINGS = {
    "batch_size": 32, "learning_rate": 1e-3, "precision": "auto", "deterministic": False, "batchnorm": "frozen",
}


def ct_like_patches(count: int, size: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(low-dose, full-dose) HU patches: smooth tissue-like structure plus 100 HU noise."""
    rng = np.random.default_rng(0)
    full = ndimage.gaussian_filter(rng.normal(0, 1, (count, size, size)), (0, 3, 3))
    full = (40 + 200 * full / full.std()).astype(np.float32)
    return (full + rng.normal(0, 100, full.shape)).astype(np.float32), full


def plain_loop(model: nn.Module, low: np.ndarray, full: np.ndarray, epochs: int, device: torch.device) -> float:
    """Fine-tune ``model`` in place the textbook way; the mean loss of its last epoch."""
    torch.backends.cudnn.benchmark = False  # PyTorch's default (ours turns autotuning on)
    model.to(device).train()
    for module in model.modules():  # frozen batch norms keep their running statistics
        if isinstance(module, nn.BatchNorm2d) and not module.weight.requires_grad:
            module.eval()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=SETTINGS["learning_rate"])
    for epoch in range(1, epochs + 1):
        order = np.random.default_rng(np.random.SeedSequence([SEED, epoch])).permutation(len(low))
        losses = []
        for start in range(0, len(order), SETTINGS["batch_size"]):
            chosen = np.sort(order[start : start + SETTINGS["batch_size"]])
            noisy = torch.from_numpy(low[chosen][:, None]).to(device)
            clean = torch.from_numpy(full[chosen][:, None]).to(device)
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(noisy), clean)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def measure(patches: int, epochs: int, repeats: int, device: str) -> dict[str, Any]:
    """Patches/s and last-epoch loss of ours and the plain loop, for each fine-tuned layer set."""
    where = resolve_device(device)
    pretrained, _ = load_model(LDCT_DNCNN_B)
    low_hu, full_hu = ct_like_patches(patches)
    # Ours holds out 5 % for validation, as the workflow does; both train on the same patches.
    is_validation = np.arange(patches) >= patches - max(1, patches // 20)
    low, full = hu_to_network(low_hu[~is_validation], WINDOW), hu_to_network(full_hu[~is_validation], WINDOW)
    settings = {**SETTINGS, "epochs": epochs}
    result: dict[str, Any] = {"patches": int((~is_validation).sum()), "epochs": epochs, "repeats": repeats}
    for layers in ("last", "all"):
        outcome: dict[str, Any] = {}

        def ours():
            with tempfile.TemporaryDirectory() as folder:
                _, history = finetune(
                    pretrained, "benchmark", layers, low_hu, full_hu, is_validation, window_scaling(WINDOW), settings,
                    SEED, f"{folder}/last.pt", where.type,
                )
            outcome["ours"] = (history[-1]["loss"], history[-1]["precision"])

        def plain():
            outcome["plain"] = (plain_loop(trainable_copy(pretrained, layers), low, full, epochs, where), "float32")

        times = interleaved({"plain": plain, "ours": ours}, repeats, where)
        result[layers] = {
            name: {
                "seconds": seconds,
                "patches_per_s": result["patches"] * epochs / min(seconds),
                "last_epoch_loss": outcome[name][0],
                "precision": outcome[name][1],
            }
            for name, seconds in times.items()
        }
        if layers == "all":  # forward and backward through every layer: about 3 forward passes
            step_flops = 3 * dncnn_flops(pretrained.depth, pretrained.channels, 50 * 50)
            for name in times:
                result[layers][name]["tflops"] = step_flops * result[layers][name]["patches_per_s"] / 1e12
        result[layers]["speedup"] = min(times["plain"]) / min(times["ours"])
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['patches']} training patches of 50 x 50 px x {result['epochs']} epochs, batch 32, "
        f"best of {result['repeats']} (interleaved); patches/s end to end",
        "",
        "| layers | path | precision | patches/s | GFLOP/s | last-epoch loss |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for layers in ("last", "all"):
        for name in ("plain", "ours"):
            row = result[layers][name]
            rate = f"{row['tflops'] * 1e3:.0f}" if "tflops" in row else "-"
            lines.append(
                f"| {layers} | {name} | {row['precision']} | {row['patches_per_s']:.1f} | {rate} | "
                f"{row['last_epoch_loss']:.3e} |"
            )
    lines += [""] + [f"ours / plain, `{layers}`: **{result[layers]['speedup']:.2f}x**" for layers in ("last", "all")]
    return "\n".join(lines)


if __name__ == "__main__":
    standalone(__doc__.splitlines()[0], measure, markdown, patches=96, epochs=8)
