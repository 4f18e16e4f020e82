"""Where torch runs: the ``auto``/``cpu``/``cuda`` device setting made concrete."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ValueError for ``cuda`` without a GPU."""
    if device not in DEVICES:
        raise ValueError(f"expected one of {', '.join(DEVICES)}, got '{device}'")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("'cuda' asked for, but no CUDA GPU is visible")
    return torch.device(device)
