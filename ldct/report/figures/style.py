"""What every figure shares: the non-interactive backend, the full-dose label, saving.

Method names come from the registry (:func:`ldct.core.methods.method_label`), dose captions from
:func:`ldct.core.doses.dose_caption`, display windows are :class:`ldct.core.window.HuWindow`.
"""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ldct.core.storage import atomic_write  # noqa: E402

FULL_DOSE_LABEL = "Full dose"


def save_figure(figure: plt.Figure, path: str | os.PathLike, dpi: int) -> None:
    """Write ``figure`` as a PNG at ``dpi`` (atomically) and release it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))
