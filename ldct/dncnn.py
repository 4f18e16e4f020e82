"""DnCNN (Zhang et al., 2017) as Usui et al. (2021) use it, its checkpoints, and HU scaling.

The network: a 3x3 convolution with ReLU, ``depth - 2`` blocks of 3x3 convolution, batch
normalisation and ReLU, and a last 3x3 convolution, every layer ``channels`` wide (the paper:
20 layers, 64 filters). It predicts the noise; the output is the input minus that residual.

The module layout is KAIR's ``models/network_dncnn.py`` (``model.0`` head convolution,
``model.{2+3k}`` / ``model.{3+3k}`` body convolution / batch norm, last index the tail
convolution, every convolution with a bias, batch-norm ``eps=1e-4``), so KAIR state dicts with
batch norm load as they are; KAIR's published weights with batch norm merged into the
convolutions (``model.0, model.2, ..., model.{2(depth-1)}``) are converted by
:func:`convert_kair_state_dict`.

The network works on unit-range images: :func:`hu_to_network` maps HU linearly so that the
window ``(low_hu, high_hu)`` becomes ``[0, 1]`` (values outside it are kept, not clipped), and
:func:`network_to_hu` is its inverse. With the default window of -1000..1000 HU a noise SD of
200 HU (5 % dose under the paper's law) becomes 0.1, the level (25/255) the natural-image
model is trained for.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from .errors import LdctInputError
from .training import resolve_device, save_torch

#: The format tag of this project's checkpoint files.
CHECKPOINT_FORMAT = "ldct-dncnn-v1"

#: The original DnCNN that ships with ldct, made by the pretrain_dncnn rule; beside it
#: ``dncnn_sigma25.json`` (its manifest) and ``dncnn_sigma25.epochs.tsv`` (its training).
SHIPPED_CHECKPOINT = Path(__file__).parent / "models" / "dncnn_sigma25.pt"

#: Batch-norm epsilon of KAIR's DnCNN (kept so that its weights give the same output here).
BATCH_NORM_EPS = 1e-4


class DnCNN(nn.Module):
    """Residual denoiser: ``forward(x) = x - noise_estimate(x)``, input shape (N, 1, H, W)."""

    def __init__(self, depth: int = 20, channels: int = 64):
        super().__init__()
        if depth < 3:
            raise ValueError(f"DnCNN depth must be at least 3, got {depth}")
        self.depth, self.channels = depth, channels
        layers: list[nn.Module] = [nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels, eps=BATCH_NORM_EPS),
                nn.ReLU(inplace=True),
            ]
        layers.append(nn.Conv2d(channels, 1, 3, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.model(x)

    @property
    def last_layer(self) -> nn.Conv2d:
        """The tail convolution: the only layer the paper's transfer learning updates."""
        return self.model[-1]

    @property
    def architecture(self) -> dict[str, int]:
        return {"depth": self.depth, "channels": self.channels}


def hu_to_network(hu: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """HU -> network units: ``(hu - low) / (high - low)``, float32, not clipped."""
    low, high = window
    return ((np.asarray(hu, dtype=np.float64) - low) / (high - low)).astype(np.float32)


def network_to_hu(values: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Network units -> HU, the inverse of :func:`hu_to_network`, float32."""
    low, high = window
    return (np.asarray(values, dtype=np.float64) * (high - low) + low).astype(np.float32)


def convert_kair_state_dict(state: Mapping[str, torch.Tensor]) -> tuple[dict, dict[str, int]]:
    """A KAIR ``network_dncnn`` state dict -> (state dict of :class:`DnCNN`, architecture).

    Accepts KAIR's training layout (batch norm present: keys equal ours) and its published
    layout with batch norm merged into the convolutions; merged models get identity batch
    norms (weight 1, bias 0, mean 0, variance ``1 - eps``).
    """
    state = {key.removeprefix("module."): value for key, value in state.items()}
    conv_indices = sorted(
        int(key.split(".")[1]) for key in state if key.startswith("model.") and key.endswith(".weight")
        and state[key].ndim == 4
    )
    if not conv_indices or conv_indices[0] != 0:
        raise LdctInputError("not a DnCNN state dict: no 'model.0.weight' convolution")
    depth, channels = len(conv_indices), int(state["model.0.weight"].shape[0])
    has_batch_norm = any(key.endswith("running_mean") for key in state)
    if has_batch_norm:
        return {key: value for key, value in state.items() if key.startswith("model.")}, {
            "depth": depth,
            "channels": channels,
        }
    converted: dict[str, torch.Tensor] = {}
    ours = [0] + [2 + 3 * block for block in range(depth - 2)] + [3 * (depth - 2) + 2]
    for theirs, our_index in zip(conv_indices, ours):
        converted[f"model.{our_index}.weight"] = state[f"model.{theirs}.weight"]
        converted[f"model.{our_index}.bias"] = state[f"model.{theirs}.bias"]
    for block in range(depth - 2):
        prefix = f"model.{3 + 3 * block}"
        converted[f"{prefix}.weight"] = torch.ones(channels)
        converted[f"{prefix}.bias"] = torch.zeros(channels)
        converted[f"{prefix}.running_mean"] = torch.zeros(channels)
        converted[f"{prefix}.running_var"] = torch.full((channels,), 1.0 - BATCH_NORM_EPS)
        converted[f"{prefix}.num_batches_tracked"] = torch.tensor(0)
    return converted, {"depth": depth, "channels": channels}


def save_checkpoint(
    path: str | os.PathLike, model: DnCNN, info: Mapping[str, Any] | None = None
) -> None:
    """Write ``model``'s weights and ``info`` (JSON-like) atomically in this project's format."""
    save_torch(
        path,
        {
            "format": CHECKPOINT_FORMAT,
            "architecture": model.architecture,
            "state_dict": {key: value.detach().cpu() for key, value in model.state_dict().items()},
            "info": dict(info or {}),
        },
    )


def load_model(path: str | os.PathLike) -> tuple[DnCNN, dict[str, Any]]:
    """A DnCNN (eval mode, CPU) and its info from our checkpoint or a KAIR state dict file."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for an unreadable file
        raise LdctInputError(f"{path}: not a readable PyTorch checkpoint ({error})") from error
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        state, architecture, info = payload["state_dict"], payload["architecture"], payload["info"]
    elif isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values()):
        try:
            state, architecture = convert_kair_state_dict(payload)
        except (LdctInputError, KeyError) as error:
            raise LdctInputError(f"{path}: {error}") from error
        info = {"converted_from": "KAIR network_dncnn state dict"}
    else:
        raise LdctInputError(f"{path}: neither an ldct DnCNN checkpoint nor a KAIR state dict")
    model = DnCNN(**architecture)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise LdctInputError(f"{path}: weights do not fit a DnCNN ({error})") from error
    return model.eval(), dict(info)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_digest(model: nn.Module) -> str:
    """Hex SHA-256 of a model's state dict (names and tensor bytes, in order)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@torch.inference_mode()
def denoise_hu(
    model: DnCNN, image_hu: np.ndarray, hu_window: tuple[float, float], device: str = "auto"
) -> np.ndarray:
    """Denoise one whole 2-D HU image (no tiling, so no seams); float32 HU out.

    ``device`` is ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    """
    where = resolve_device(device)
    model = model.eval().to(where)
    tensor = torch.from_numpy(hu_to_network(image_hu, hu_window))[None, None].to(where)
    return network_to_hu(model(tensor)[0, 0].cpu().numpy(), hu_window)
