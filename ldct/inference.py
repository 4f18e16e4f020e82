"""DnCNN inference at the machine's rate: batch norm folded into the convolutions, channels-last
memory, inference mode, and every image of a stack in as few batches as memory allows.

In eval mode a batch norm is the affine map y = (x - mean) / sqrt(var + eps) * gamma + beta of
its running statistics, so it folds into the convolution before it: weights times
s = gamma / sqrt(var + eps) per output channel, bias (b - mean) * s + beta (computed in float64,
stored in float32). The folded network gives the eval-mode output of the original up to float32
rounding; whole images go through it, so there are no tiles and no seams.

Float32 means float32 on a GPU too: PyTorch lets cuDNN run float32 convolutions as TF32 (a
10-bit mantissa), which moves HU values by up to a few HU; :func:`exact_float32` turns that off
while a stack is denoised.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .devices import resolve_device
from .dncnn import DnCNN
from .scaling import HuScaling

#: Largest activation memory (bytes) one batch may take: two feature maps of every image.
MAX_BATCH_BYTES = 1 << 30


class FoldedDnCNN(nn.Module):
    """A DnCNN for inference only: ``x - body(x)``, ``body`` convolutions and ReLUs."""

    def __init__(self, body: nn.Sequential, channels: int):
        super().__init__()
        self.body, self.channels = body, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.body(x)


def _folded(convolution: nn.Conv2d, norm: nn.BatchNorm2d | None) -> nn.Conv2d:
    """A copy of ``convolution`` with ``norm`` (eval mode) folded in; None copies it as it is."""
    weight = convolution.weight.detach().double()
    bias = convolution.bias.detach().double()
    if norm is not None:
        scale = norm.weight.detach().double() / torch.sqrt(norm.running_var.double() + norm.eps)
        weight = weight * scale[:, None, None, None]
        bias = (bias - norm.running_mean.double()) * scale + norm.bias.detach().double()
    folded = nn.Conv2d(
        convolution.in_channels, convolution.out_channels, convolution.kernel_size,
        padding=convolution.padding,
    )
    with torch.no_grad():
        folded.weight.copy_(weight.float())
        folded.bias.copy_(bias.float())
    return folded


def fold_batch_norm(model: DnCNN) -> FoldedDnCNN:
    """The eval-mode ``model`` with every batch norm folded into its convolution."""
    modules, layers, index = list(model.model), [], 0
    while index < len(modules):
        module = modules[index]
        if isinstance(module, nn.Conv2d):
            following = modules[index + 1] if index + 1 < len(modules) else None
            norm = following if isinstance(following, nn.BatchNorm2d) else None
            layers.append(_folded(module, norm))
            index += 2 if norm is not None else 1
        else:
            layers.append(nn.ReLU(inplace=True))
            index += 1
    return FoldedDnCNN(nn.Sequential(*layers), model.channels).eval()


@contextlib.contextmanager
def exact_float32() -> Iterator[None]:
    """No TF32 in CUDA convolutions and matrix products inside the block (restored after)."""
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


@contextlib.contextmanager
def cudnn_autotuned() -> Iterator[None]:
    """cuDNN times its convolution algorithms for each new shape and keeps the fastest (the same
    shapes recur across the batches of a job); restored after the block."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


@torch.inference_mode()
@exact_float32()
@cudnn_autotuned()
def denoise_stack(
    model: DnCNN,
    stack_hu: np.ndarray,
    scaling: HuScaling,
    device: str = "auto",
    max_batch_bytes: int = MAX_BATCH_BYTES,
) -> np.ndarray:
    """Denoise every whole image of a (N, rows, cols) HU stack; float32 HU out, same shape.

    ``scaling`` maps each image to the network's units and its output back to HU (a window, or
    one (min, max) HU pair per image of the stack, see :mod:`ldct.scaling`). Images go through
    the folded network in batches whose two largest feature maps fit in ``max_batch_bytes``
    (at least one image per batch). ``device`` is ``auto``, ``cpu`` or ``cuda``.
    """
    where = resolve_device(device)
    network = fold_batch_norm(model).to(where).to(memory_format=torch.channels_last)
    count, rows, cols = stack_hu.shape
    per_image = 2 * network.channels * rows * cols * 4
    batch = max(1, min(count, max_batch_bytes // per_image))
    denoised = []
    for start in range(0, count, batch):
        scale = scaling.rows(slice(start, start + batch))
        x = torch.from_numpy(scale.to_network(stack_hu[start : start + batch]))[:, None]
        x = x.to(where).contiguous(memory_format=torch.channels_last)
        denoised.append(scale.to_hu(network(x)[:, 0].float().cpu().numpy()))
    return np.concatenate(denoised)
