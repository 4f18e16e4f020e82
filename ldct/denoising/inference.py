"""DnCNN inference at the machine's rate: batch norm folded into the convolutions, channels-last
memory, inference mode, and every image of a stack in as few batches as memory allows.

In eval mode a batch norm is the affine map y = (x - mean) / sqrt(var + eps) * gamma + beta of
its running statistics, so it folds into the convolution before it: weights times
s = gamma / sqrt(var + eps) per output channel, bias (b - mean) * s + beta (computed in float64,
stored in float32). The folded network gives the eval-mode output of the original up to float32
rounding.

Images up to :data:`TILE_PX` on each side go through whole. Larger ones go through in tiles:
each tile's core (at most ``TILE_PX`` square) is computed from the core plus a margin of the
network's receptive-field radius (one pixel per 3 x 3 convolution), so every core pixel sees
exactly the neighbourhood it sees in the whole image and no seam shows (the tiled and whole
outputs differ by float32 rounding only).

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

from ldct.core.devices import resolve_device
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.scaling import HuScaling

#: Largest activation memory (bytes) one batch may take: two feature maps of every image.
MAX_BATCH_BYTES = 1 << 30
#: Largest image side (pixels) that goes through the network whole; larger images are tiled.
TILE_PX = 512


class FoldedDnCNN(nn.Module):
    """A DnCNN for inference only: ``x - body(x)``, ``body`` convolutions and ReLUs."""

    def __init__(self, body: nn.Sequential, channels: int):
        super().__init__()
        self.body, self.channels = body, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.body(x)

    @property
    def receptive_radius_px(self) -> int:
        """How far (pixels) an output pixel sees: the sum of the convolutions' half-widths."""
        return sum(layer.kernel_size[0] // 2 for layer in self.body if isinstance(layer, nn.Conv2d))


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


def tile_spans(size: int, tile_px: int, margin_px: int) -> list[tuple[slice, slice, slice]]:
    """Along an axis of ``size`` pixels: for each tile, (core in the image, tile input in the
    image, core within the tile input). Cores of at most ``tile_px`` cover the axis without
    overlap; each input extends its core by ``margin_px`` on each side, inside the image."""
    spans = []
    for start in range(0, size, tile_px):
        stop = min(start + tile_px, size)
        low, high = max(start - margin_px, 0), min(stop + margin_px, size)
        spans.append((slice(start, stop), slice(low, high), slice(start - low, stop - low)))
    return spans


def _through(network: FoldedDnCNN, values: np.ndarray, where: torch.device) -> np.ndarray:
    """An (N, rows, cols) float32 batch in network units through ``network`` on ``where``."""
    x = torch.from_numpy(np.ascontiguousarray(values))[:, None].to(where)
    return network(x.contiguous(memory_format=torch.channels_last))[:, 0].float().cpu().numpy()


def _tiled(network: FoldedDnCNN, values: np.ndarray, where: torch.device, tile_px: int) -> np.ndarray:
    """One (rows, cols) image in network units through ``network`` tile by tile (module docstring)."""
    out = np.empty_like(values)
    margin = network.receptive_radius_px
    for row_core, row_input, row_part in tile_spans(values.shape[0], tile_px, margin):
        for col_core, col_input, col_part in tile_spans(values.shape[1], tile_px, margin):
            tile = _through(network, values[None, row_input, col_input], where)[0]
            out[row_core, col_core] = tile[row_part, col_part]
    return out


@torch.inference_mode()
@exact_float32()
@cudnn_autotuned()
def denoise_stack(
    model: DnCNN,
    stack_hu: np.ndarray,
    scaling: HuScaling,
    device: str = "auto",
    max_batch_bytes: int = MAX_BATCH_BYTES,
    tile_px: int = TILE_PX,
) -> np.ndarray:
    """Denoise every image of a (N, rows, cols) HU stack; float32 HU out, same shape.

    ``scaling`` maps each image to the network's units and its output back to HU (a window, or one
    (min, max) HU pair per image of the stack, see :mod:`ldct.denoising.scaling`). Images with both
    sides up to ``tile_px`` go through the folded network whole, in batches whose two largest
    feature maps fit in ``max_batch_bytes`` (at least one image per batch); larger ones one by one
    in seamless tiles (module docstring). ``device`` is ``auto``, ``cpu`` or ``cuda``.
    """
    where = resolve_device(device)
    network = fold_batch_norm(model).to(where).to(memory_format=torch.channels_last)
    count, rows, cols = stack_hu.shape
    if rows > tile_px or cols > tile_px:
        denoised = []
        for index in range(count):
            scale = scaling.rows(slice(index, index + 1))
            values = scale.to_network(stack_hu[index : index + 1])
            denoised.append(scale.to_hu(_tiled(network, values[0], where, tile_px)[None]))
        return np.concatenate(denoised)
    per_image = 2 * network.channels * rows * cols * 4
    batch = max(1, min(count, max_batch_bytes // per_image))
    denoised = []
    for start in range(0, count, batch):
        scale = scaling.rows(slice(start, start + batch))
        denoised.append(scale.to_hu(_through(network, scale.to_network(stack_hu[start : start + batch]), where)))
    return np.concatenate(denoised)
