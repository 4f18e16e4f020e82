"""DnCNN weights on disk: this project's checkpoint format, KAIR state dicts, digests.

A checkpoint is a ``torch.save`` of ``{"format": CHECKPOINT_FORMAT, "architecture": {depth,
channels}, "state_dict": ..., "info": {...}}``, written atomically. KAIR's published DnCNN
weights (batch norm merged into the convolutions: ``model.0, model.2, ..., model.{2(depth-1)}``,
the keys of :class:`DnCNN` without batch norm) and its training layout (batch norm present: keys
equal ours) load too.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Mapping

import torch
from torch import nn

from ldct.core.errors import LdctInputError
from ldct.core.storage import atomic_write
from ldct.denoising.dncnn import DnCNN

#: The format tag of this project's checkpoint files.
CHECKPOINT_FORMAT = "ldct-dncnn-v1"


def save_torch(path: str | os.PathLike, payload: Any) -> None:
    """``torch.save`` of ``payload`` to ``path``, written whole or not at all."""
    atomic_write(path, lambda handle: torch.save(payload, handle))


def convert_kair_state_dict(state: Mapping[str, torch.Tensor]) -> tuple[dict, dict[str, Any]]:
    """A KAIR ``network_dncnn`` state dict -> (state dict of :class:`DnCNN`, architecture).

    KAIR's training layout (batch norm present) and its published layout (batch norm merged
    into the convolutions, as the DnCNN authors publish their networks) both have our keys: the
    first loads as a DnCNN with batch norm, the second as one without (``batch_norm: False``),
    so that fine-tuning the merged network trains convolutions only, as its authors' form is.
    """
    state = {key.removeprefix("module."): value for key, value in state.items()}
    conv_indices = sorted(
        int(key.split(".")[1]) for key in state if key.startswith("model.") and key.endswith(".weight")
        and state[key].ndim == 4
    )
    if not conv_indices or conv_indices[0] != 0:
        raise LdctInputError("not a DnCNN state dict: no 'model.0.weight' convolution")
    depth, channels = len(conv_indices), int(state["model.0.weight"].shape[0])
    architecture: dict[str, Any] = {"depth": depth, "channels": channels}
    if not any(key.endswith("running_mean") for key in state):
        architecture["batch_norm"] = False
    return {key: value for key, value in state.items() if key.startswith("model.")}, architecture


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


def state_digest(model: nn.Module) -> str:
    """Hex SHA-256 of a model's state dict (names and tensor bytes, in order)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
