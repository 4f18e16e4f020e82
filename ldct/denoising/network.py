"""A DnCNN checkpoint as a denoiser of HU stacks: the one path from weights on disk to denoised
HU that the workflow's denoise jobs and the ``ldct denoise`` command share.

The checkpoint is loaded once; each call maps a stack to the network's units by the chosen HU
scaling (:mod:`ldct.denoising.scaling`) and runs it by :func:`ldct.denoising.inference.denoise_stack`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.inference import denoise_stack
from ldct.denoising.scaling import HuScaling, stack_scaling


@dataclass(frozen=True)
class NetworkDenoiser:
    """A loaded DnCNN with its HU scaling (``window`` or ``minmax``), HU ``window`` (for
    ``window`` scaling) and torch ``device`` (``auto``, ``cpu`` or ``cuda``)."""

    model: DnCNN
    hu_scaling: str
    window: HuWindow
    device: str

    def __call__(self, stack_hu: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, HuScaling]:
        """Denoise an (N, rows, cols) HU stack whose images are named ``names`` (for errors);
        returns the float32 HU stack and the scaling used."""
        scaling = stack_scaling(self.hu_scaling, stack_hu, self.window, names)
        return denoise_stack(self.model, stack_hu, scaling, self.device), scaling


def load_network_denoiser(
    model_path: str | os.PathLike, hu_scaling: str | None, window: HuWindow, device: str
) -> NetworkDenoiser:
    """The DnCNN of checkpoint ``model_path``; ``hu_scaling`` None takes the scaling the
    checkpoint records it was trained with, else ``window``."""
    model, info = load_model(model_path)
    return NetworkDenoiser(model, hu_scaling or info.get("hu_scaling", "window"), window, device)
