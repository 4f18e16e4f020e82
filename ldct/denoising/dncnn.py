"""DnCNN (Zhang et al., 2017) as Usui et al. (2021) use it, and its HU scaling.

The network: a 3x3 convolution with ReLU, ``depth - 2`` blocks of 3x3 convolution, batch
normalisation and ReLU (convolution and ReLU where batch norm is merged into the convolutions,
as in the authors' published networks), and a last 3x3 convolution, every layer ``channels``
wide (the paper: 20 layers, 64 filters). It predicts the noise; the output is the input minus
that residual.

The module layout is KAIR's ``models/network_dncnn.py`` (``model.0`` head convolution,
``model.{2+3k}`` / ``model.{3+3k}`` body convolution / batch norm, last index the tail
convolution, every convolution with a bias, batch-norm ``eps=1e-4``), so KAIR state dicts with
batch norm load as they are (:mod:`ldct.denoising.checkpoints` reads and writes the files).

The network works on unit-range images: :func:`hu_to_network` maps HU linearly so that the
window ``[low_hu, high_hu]`` becomes ``[0, 1]`` (values outside it are kept, not clipped), and
:func:`network_to_hu` is its inverse (:mod:`ldct.denoising.scaling` has the other reading, each
slice's own minimum and maximum). With the default window of -1000..1000 HU a noise SD of 200 HU (5
% dose under the paper's law) becomes 0.1, the level (25/255) the natural-image model is trained
for.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ldct.core.devices import resolve_device
from ldct.core.window import HuWindow
from ldct.denoising.scaling import window_scaling

#: Batch-norm epsilon of KAIR's DnCNN (kept so that its weights give the same output here).
BATCH_NORM_EPS = 1e-4


class DnCNN(nn.Module):
    """Residual denoiser: ``forward(x) = x - noise_estimate(x)``, input shape (N, 1, H, W).

    ``batch_norm`` False gives the form the DnCNN authors publish their trained networks in
    (:mod:`ldct.denoising.matconvnet`): batch normalisation merged into the convolutions, so the
    body blocks are convolution and ReLU only (KAIR's layout without batch norm).
    """

    def __init__(self, depth: int = 20, channels: int = 64, batch_norm: bool = True):
        super().__init__()
        if depth < 3:
            raise ValueError(f"DnCNN depth must be at least 3, got {depth}")
        self.depth, self.channels, self.batch_norm = depth, channels, batch_norm
        layers: list[nn.Module] = [nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers.append(nn.Conv2d(channels, channels, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(channels, eps=BATCH_NORM_EPS))
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Conv2d(channels, 1, 3, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.model(x)

    @property
    def last_layer(self) -> nn.Conv2d:
        """The tail convolution: the only layer the paper's transfer learning updates."""
        return self.model[-1]

    @property
    def architecture(self) -> dict[str, int | bool]:
        """The constructor's arguments as a checkpoint records them (``batch_norm`` only when
        False, so that checkpoints of networks with batch norm keep their form)."""
        shape: dict[str, int | bool] = {"depth": self.depth, "channels": self.channels}
        return shape if self.batch_norm else {**shape, "batch_norm": False}


def hu_to_network(hu: np.ndarray, window: HuWindow) -> np.ndarray:
    """HU -> network units: ``(hu - low_hu) / (high_hu - low_hu)``, float32, not clipped."""
    return window_scaling(window).to_network(hu)


def network_to_hu(values: np.ndarray, window: HuWindow) -> np.ndarray:
    """Network units -> HU, the inverse of :func:`hu_to_network`, float32."""
    return window_scaling(window).to_hu(values)


@torch.inference_mode()
def plain_denoise_hu(
    model: DnCNN, image_hu: np.ndarray, hu_window: HuWindow, device: str = "auto"
) -> np.ndarray:
    """Denoise one whole 2-D HU image by the plain model (batch norm as trained, no folding, no
    tiling, one image per call); float32 HU out.

    The study and the ``ldct`` command denoise through :mod:`ldct.denoising.network`, whose
    fast path (:func:`ldct.denoising.inference.denoise_stack`) tests and benchmarks check
    against this plain one. ``device`` is ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    """
    where = resolve_device(device)
    model = model.eval().to(where)
    tensor = torch.from_numpy(hu_to_network(image_hu, hu_window))[None, None].to(where)
    return network_to_hu(model(tensor)[0, 0].cpu().numpy(), hu_window)
