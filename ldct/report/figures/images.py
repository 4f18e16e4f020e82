"""Grids of CT images in one display window: whole slices with the region of interest outlined
(the paper's Fig. 3a) or the enlarged region itself (Figs. 3b and 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.patches import Rectangle

from ldct.core.window import HuWindow
from ldct.report.figures.style import plt

PANEL_WIDTH_IN = 2.0
OUTLINE_COLOUR = "red"


@dataclass(frozen=True)
class RegionOfInterest:
    """A rectangle of pixels: top-left ``row_px``, ``col_px``, size ``height_px`` x ``width_px``."""

    row_px: int
    col_px: int
    height_px: int
    width_px: int

    def fits(self, shape: tuple[int, int]) -> bool:
        """Whether the region lies inside an image of ``shape`` and is not empty."""
        return (
            self.height_px > 0
            and self.width_px > 0
            and 0 <= self.row_px
            and 0 <= self.col_px
            and self.row_px + self.height_px <= shape[0]
            and self.col_px + self.width_px <= shape[1]
        )

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The region's pixels of ``image``."""
        return image[self.row_px : self.row_px + self.height_px, self.col_px : self.col_px + self.width_px]


def plot_image_grid(
    panels: Mapping[tuple[str, str], np.ndarray],
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    window: HuWindow,
    title: str,
    region: RegionOfInterest | None = None,
    enlarge: bool = False,
) -> plt.Figure:
    """One image per (row label, column label), all in ``window``, with one HU colour bar.

    ``region`` is outlined in red on every panel, or with ``enlarge`` it is all each panel
    shows. Keys missing from ``panels`` leave their cell empty.
    """
    if enlarge and region is None:
        raise ValueError("enlarge needs a region")
    first = next(iter(panels.values()))
    shown_shape = (region.height_px, region.width_px) if enlarge else first.shape
    panel_height = PANEL_WIDTH_IN * shown_shape[0] / shown_shape[1]
    figure, axes = plt.subplots(
        len(row_labels),
        len(column_labels),
        figsize=(
            PANEL_WIDTH_IN * len(column_labels) + 1.6,
            (panel_height + 0.3) * len(row_labels) + 0.9,
        ),
        squeeze=False,
        layout="constrained",
    )
    image_artist = None
    for i, row_label in enumerate(row_labels):
        for j, column_label in enumerate(column_labels):
            axis = axes[i, j]
            axis.set_xticks([])
            axis.set_yticks([])
            if i == 0:
                axis.set_title(column_label, fontsize=10)
            if j == 0:
                axis.set_ylabel(row_label, fontsize=10)
            image = panels.get((row_label, column_label))
            if image is None:
                axis.set_axis_off()
                continue
            shown = region.crop(image) if enlarge else image
            image_artist = axis.imshow(
                shown,
                cmap="gray",
                vmin=window.low_hu,
                vmax=window.high_hu,
                interpolation="nearest",
            )
            if region is not None and not enlarge:
                axis.add_patch(
                    Rectangle(
                        (region.col_px - 0.5, region.row_px - 0.5),
                        region.width_px,
                        region.height_px,
                        fill=False,
                        edgecolor=OUTLINE_COLOUR,
                        linewidth=1.0,
                    )
                )
    colour_bar = figure.colorbar(image_artist, ax=axes, shrink=0.8, aspect=30, pad=0.01)
    colour_bar.set_label("CT number (HU)")
    figure.suptitle(f"{title}\n{window.describe()}", fontsize=11)
    return figure
