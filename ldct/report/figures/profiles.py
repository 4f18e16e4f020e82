"""Vertical CT-number profiles along one image column (the paper's Fig. 4)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ldct.core.doses import dose_caption
from ldct.core.methods import method_label
from ldct.core.window import HuWindow
from ldct.report.figures.style import FULL_DOSE_LABEL, plt

FULL_DOSE_STYLE = {"color": "red", "linewidth": 1.4}
LOW_DOSE_STYLE = {"color": "orange", "linewidth": 0.8}
DENOISED_STYLE = {"color": "black", "linewidth": 1.0, "linestyle": "--"}


def plot_profiles(
    full_dose: np.ndarray,
    low_dose: Mapping[float, np.ndarray],
    denoised: Mapping[tuple[float, str], np.ndarray],
    doses: Sequence[float],
    methods: Sequence[str],
    column: int,
    row_spacing_mm: float,
    window: HuWindow,
) -> plt.Figure:
    """Profiles of column ``column`` (px): one row of panels per dose, one panel per method.

    Every panel shows the full-dose profile (red), the low-dose one (orange) and the
    method's denoised one (black, dashed), against the distance from the top edge in mm.
    The CT-number axis spans ``window``, like the image panels; values beyond it (air, bone,
    extreme noise) run off the panel. A first panel shows where the column lies on the
    full-dose image in ``window``.
    """
    rows = full_dose.shape[0]
    position_mm = np.arange(rows) * row_spacing_mm
    figure = plt.figure(
        figsize=(2.2 + 2.6 * len(methods), 0.6 + 2.4 * len(doses)), layout="constrained"
    )
    grid = figure.add_gridspec(len(doses), len(methods) + 1, width_ratios=[1.3] + [1] * len(methods))
    locator = figure.add_subplot(grid[:, 0])
    locator.imshow(full_dose, cmap="gray", vmin=window.low_hu, vmax=window.high_hu)
    locator.axvline(column, color="red", linewidth=1.2)
    locator.set_title(f"{FULL_DOSE_LABEL}, column {column}", fontsize=10)
    locator.set_xlabel("column (px)")
    locator.set_ylabel("row (px)")
    shared = None
    for i, dose in enumerate(doses):
        for j, method in enumerate(methods):
            axis = figure.add_subplot(grid[i, j + 1], sharex=shared, sharey=shared)
            shared = shared or axis
            axis.plot(position_mm, full_dose[:, column], label=FULL_DOSE_LABEL, **FULL_DOSE_STYLE)
            axis.plot(position_mm, low_dose[dose][:, column], label="Low dose", **LOW_DOSE_STYLE)
            axis.plot(
                position_mm,
                denoised[(dose, method)][:, column],
                label="Denoised",
                **DENOISED_STYLE,
            )
            axis.set_title(f"{method_label(method)}, {dose_caption(dose)}", fontsize=9)
            axis.tick_params(labelsize=8)
            if i == len(doses) - 1:
                axis.set_xlabel("distance from top (mm)", fontsize=9)
            else:
                axis.tick_params(labelbottom=False)
            if j == 0:
                axis.set_ylabel("CT number (HU)", fontsize=9)
            else:
                axis.tick_params(labelleft=False)
    shared.set_ylim(window.low_hu, window.high_hu)
    handles, labels = shared.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=9)
    figure.suptitle(f"CT-number profiles along column {column}", fontsize=11)
    return figure
