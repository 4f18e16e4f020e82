"""The resume state of a training run: written atomically after every epoch, read back only when
it was made with the same settings (:mod:`ldct.training.loop`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from ldct.denoising.checkpoints import save_torch


def load_resume_state(path: Path, fingerprint: str, epochs: int) -> dict[str, Any] | None:
    """The resume state at ``path`` when it exists, reads, has ``fingerprint`` and lies at or
    before epoch ``epochs``; else None (logged)."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a checkpoint cut short by a kill cannot be read
        logging.warning("ignoring unreadable checkpoint %s (%s)", path, error)
        return None
    if state.get("fingerprint") != fingerprint:
        logging.info("checkpoint %s has other settings: training from the start", path)
        return None
    if state["epoch"] > epochs:
        logging.info("checkpoint %s is past epoch %d: training from the start", path, epochs)
        return None
    return state


def save_resume_state(path, model, optimizer, epoch, history, fingerprint, best=None) -> None:
    """Write the state a killed training resumes from: weights, optimizer, the epoch just
    finished, the history, the settings' fingerprint and the best epoch kept so far."""
    save_torch(
        path,
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch,
            "history": history,
            "fingerprint": fingerprint,
            "best": best,
        },
    )
