"""The DnCNN authors' trained networks (MatConvNet ``.mat``, MATLAB v7.3) as ldct DnCNNs.

The authors' models (GitHub ``cszn/DnCNN``: ``GD_Gray_Blind.mat`` for DnCNN-B, 20 layers;
``specifics/sigma=25.mat`` for DnCNN-S at sigma 25, 17 layers) store ``net.layers``: a chain of
``conv`` layers (3 x 3, pad 1, stride 1, with bias) and ``relu`` layers, batch normalisation
already merged into the convolutions, and a last ``conv`` that predicts the noise. MATLAB keeps
a conv's filters as [H, W, in, out]; HDF5 presents that column-major array reversed, as
(out, in, W, H) (without ``out`` where it is 1: MATLAB drops trailing singleton axes), so the
last two axes are swapped to give PyTorch's (out, in, H, W). MatConvNet applies the filters as
correlation, as PyTorch does.

``h5py`` is imported only here, when a ``.mat`` file is converted; the study and the shipped
checkpoints never need it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from ldct.core.errors import LdctInputError
from ldct.denoising.dncnn import DnCNN


def _text(dataset: Any) -> str:
    """A MATLAB char array (uint16 codes) as text."""
    return "".join(chr(code) for code in np.asarray(dataset[()]).flatten())


def _layers(path: str | os.PathLike) -> list[tuple[str, list[np.ndarray]]]:
    """(type, [filters, bias] for a conv) of every layer of ``net.layers``, in order."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise LdctInputError(f"{path}: not a MATLAB v7.3 (HDF5) file ({error})") from error
    with handle:
        if "net" not in handle or "layers" not in handle["net"]:
            raise LdctInputError(f"{path}: no net.layers, not a MatConvNet network")
        layers = []
        for reference in np.asarray(handle["net"]["layers"][()]).flatten():
            layer = handle[reference]
            kind = _text(layer["type"])
            weights = []
            if kind == "conv":
                for part in np.asarray(layer["weights"][()]).flatten():
                    weights.append(np.asarray(handle[part][()], dtype=np.float32))
                pad = np.asarray(layer["pad"][()]).flatten() if "pad" in layer else np.ones(1)
                stride = np.asarray(layer["stride"][()]).flatten() if "stride" in layer else np.ones(1)
                if set(pad.tolist()) != {1.0} or set(stride.tolist()) != {1.0}:
                    raise LdctInputError(f"{path}: layer {len(layers) + 1} is not pad 1, stride 1")
            layers.append((kind, weights))
    return layers


def convert_matconvnet_dncnn(path: str | os.PathLike) -> DnCNN:
    """The DnCNN (batch norm merged, eval mode) whose weights ``path`` holds."""
    layers = _layers(path)
    kinds = [kind for kind, _ in layers]
    depth = kinds.count("conv")
    expected = ["conv", "relu"] * (depth - 1) + ["conv"]
    if depth < 3 or kinds != expected:
        raise LdctInputError(f"{path}: layers {kinds} are not a DnCNN's alternating conv and relu")
    convolutions = [weights for kind, weights in layers if kind == "conv"]
    channels = convolutions[0][0].shape[0]
    model = DnCNN(depth=depth, channels=channels, batch_norm=False)
    targets = [module for module in model.model if isinstance(module, torch.nn.Conv2d)]
    for number, (target, (filters, bias)) in enumerate(zip(targets, convolutions, strict=True), 1):
        if filters.ndim == 3:  # MATLAB drops the trailing singleton axis of one output channel
            filters = filters[None]
        filters = np.swapaxes(filters, 2, 3)  # (out, in, W, H) as HDF5 shows it -> (out, in, H, W)
        if filters.shape != tuple(target.weight.shape) or bias.size != target.bias.numel():
            raise LdctInputError(
                f"{path}: convolution {number} has filters {filters.shape} and {bias.size} biases, "
                f"a DnCNN of {channels} channels needs {tuple(target.weight.shape)}"
            )
        with torch.no_grad():
            target.weight.copy_(torch.from_numpy(np.ascontiguousarray(filters)))
            target.bias.copy_(torch.from_numpy(bias.reshape(-1)))
    return model.eval()
