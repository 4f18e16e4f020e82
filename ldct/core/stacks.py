"""The study's image stacks: which (dose, realization) each image of a stack is, from its
sidecar, and one realization of several one-dose stacks."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

import numpy as np

from ldct.core.storage import load_image


def draws(meta: Mapping[str, Any]) -> list[tuple[float, int]]:
    """The (dose, realization) of each image of a stack, in stack order (dose-major), from the
    sidecar's ``doses`` and ``realizations``."""
    return [(dose, realization) for dose in meta["doses"] for realization in meta["realizations"]]


def realization_images(
    paths: Iterable[str | os.PathLike], realization: int, *keys: str
) -> dict[Any, np.ndarray]:
    """Realization ``realization`` of each one-dose stack, keyed by its dose and the sidecar's
    ``keys`` values (no keys: the dose itself)."""
    images = {}
    for path in paths:
        stack, meta = load_image(path)
        (dose,) = meta["doses"]
        key = (dose, *(meta[name] for name in keys))
        images[key if keys else dose] = stack[draws(meta).index((dose, realization))]
    return images
