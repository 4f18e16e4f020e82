"""What every figure shares: the non-interactive backend, labels, display window, saving."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..storage import atomic_write  # noqa: E402

#: How each denoising method is named in figures (the paper's names where it has one).
METHOD_LABELS = {
    "noisy": "Low dose",
    "median": "Median",
    "gaussian": "Gaussian",
    "wiener": "Wiener",
    "dncnn": "DnCNN",
    "dncnn_tra": "DnCNN_Tra",
    "dncnn_full": "DnCNN_full",
}

FULL_DOSE_LABEL = "Full dose"


def method_label(method: str) -> str:
    """The display name of a method; unknown methods keep their id."""
    return METHOD_LABELS.get(method, method)


def dose_label(dose: float) -> str:
    """A relative dose as a percentage, e.g. 0.05 -> '5 % dose'."""
    return f"{dose * 100:g} % dose"


@dataclass(frozen=True)
class DisplayWindow:
    """A CT display window: centre ``level_hu`` and ``width_hu`` (HU), as radiologists set it."""

    level_hu: float
    width_hu: float

    @property
    def low_hu(self) -> float:
        return self.level_hu - self.width_hu / 2

    @property
    def high_hu(self) -> float:
        return self.level_hu + self.width_hu / 2

    def describe(self) -> str:
        return (
            f"window level {self.level_hu:g} HU, width {self.width_hu:g} HU "
            f"({self.low_hu:g} to {self.high_hu:g} HU)"
        )


def save_figure(figure: plt.Figure, path: str | os.PathLike, dpi: int) -> None:
    """Write ``figure`` as a PNG at ``dpi`` (atomically) and release it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))
