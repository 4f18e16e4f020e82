"""How HU map to the network's 0..1 and back (config ``dncnn.hu_scaling``).

* ``window``: the fixed window ``dncnn.hu_window`` [low_hu, high_hu] maps to [0, 1] for every
  image (:func:`window_scaling`);
* ``minmax``: each low-dose slice's own minimum and maximum map to 0 and 1, as MATLAB's
  ``mat2gray`` does (:func:`minmax_scaling`). The network's output goes back to HU with the
  same pair, and a training patch pair (low-dose input, full-dose target) is mapped with the
  pair of the low-dose slice it was cut from.

The map is ``(hu - low_hu) / (high_hu - low_hu)`` in float64, stored as float32, not clipped;
its inverse is ``values * (high_hu - low_hu) + low_hu``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ldct.core.errors import LdctInputError
from ldct.core.window import HuWindow

#: The values of ``dncnn.hu_scaling``.
HU_SCALINGS = ("window", "minmax")


@dataclass(frozen=True, eq=False)
class HuScaling:
    """The HU that map to the network's 0 (``low_hu``) and 1 (``high_hu``).

    Both are float64 arrays: 0-d for a fixed window (every image alike), or of shape (N,), one
    value per image of an (N, ...) stack. ``window`` is the fixed window, None for min-max.
    """

    low_hu: np.ndarray
    high_hu: np.ndarray
    window: HuWindow | None = None

    @property
    def name(self) -> str:
        """``window`` or ``minmax``, as in config ``dncnn.hu_scaling``."""
        return "minmax" if self.window is None else "window"

    def rows(self, selection: slice | np.ndarray) -> "HuScaling":
        """The scaling of the images ``selection`` of the stack (a window applies to any)."""
        if self.low_hu.ndim == 0:
            return self
        return HuScaling(self.low_hu[selection], self.high_hu[selection], self.window)

    def _per_image(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``low_hu`` and ``high_hu`` shaped to broadcast along the first axis of ``values``."""
        shape = self.low_hu.shape + (1,) * (values.ndim - self.low_hu.ndim)
        return self.low_hu.reshape(shape), self.high_hu.reshape(shape)

    def to_network(self, hu: np.ndarray) -> np.ndarray:
        """HU -> network units, float32."""
        hu = np.asarray(hu, dtype=np.float64)
        low, high = self._per_image(hu)
        return ((hu - low) / (high - low)).astype(np.float32)

    def to_hu(self, values: np.ndarray) -> np.ndarray:
        """Network units -> HU, the inverse of :meth:`to_network`, float32."""
        values = np.asarray(values, dtype=np.float64)
        low, high = self._per_image(values)
        return (values * (high - low) + low).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        """The scaling for a sidecar: its name, and the window or each image's (min, max) HU."""
        if self.window is not None:
            window = {"low_hu": self.window.low_hu, "high_hu": self.window.high_hu}
            return {"hu_scaling": "window", "hu_window": window}
        return {"hu_scaling": "minmax", "hu_min_max": np.stack([self.low_hu, self.high_hu], -1).tolist()}


def window_scaling(window: HuWindow) -> HuScaling:
    """The fixed ``window`` for every image."""
    return HuScaling(np.float64(window.low_hu), np.float64(window.high_hu), window)


def image_extremes(stack_hu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum HU of each image of an (N, rows, cols) stack, float64 (N,) each."""
    flat = np.asarray(stack_hu).reshape(len(stack_hu), -1)
    return flat.min(axis=1).astype(np.float64), flat.max(axis=1).astype(np.float64)


def minmax_scaling(low_hu: np.ndarray, high_hu: np.ndarray, names: Sequence[str]) -> HuScaling:
    """Per-image minima ``low_hu`` and maxima ``high_hu`` (HU, (N,)) as the map to 0..1;
    ``names`` names the images. A constant image (maximum equal to minimum) is refused."""
    low_hu, high_hu = np.asarray(low_hu, dtype=np.float64), np.asarray(high_hu, dtype=np.float64)
    constant = np.flatnonzero(~(high_hu > low_hu))
    if constant.size:
        first = constant[0]
        raise LdctInputError(
            f"{names[first]}: constant image ({low_hu[first]:g} HU everywhere), so "
            "dncnn.hu_scaling: minmax cannot map it to the network's 0..1; use window"
        )
    return HuScaling(low_hu, high_hu)


def stack_scaling(name: str, stack_hu: np.ndarray, window: HuWindow, names: Sequence[str]) -> HuScaling:
    """The scaling ``name`` (``window`` or ``minmax``) of the images of an (N, rows, cols) HU
    stack, named ``names``; ``window`` is config ``dncnn.hu_window``."""
    if name == "window":
        return window_scaling(window)
    if name == "minmax":
        return minmax_scaling(*image_extremes(stack_hu), names)
    raise ValueError(f"unknown HU scaling '{name}', expected one of {list(HU_SCALINGS)}")
