"""Resampling a CT slice to square pixels of one size by exact pixel-area averaging.

Every pixel is taken as a square of constant value (HU) over its footprint. An output pixel of
``pixel_mm`` is the area-weighted mean of the input pixels it overlaps, so a uniform region
keeps its HU, the image's integral over any whole output pixel is kept, and nothing from
outside a pixel's footprint leaks in. Downsampling by this box integration is the pixel-size
change a larger detector cell or reconstruction pixel would make. It lowers the noise an image
already carries: for uncorrelated noise of SD ``sigma`` an output pixel has SD ``sigma *
sqrt(sum of its squared weights)`` (per axis), which is ``sigma * s / pixel_mm`` where
``pixel_mm`` is a whole multiple of the input spacing ``s``, and between that and
``sigma / sqrt(2)`` per axis where the two sizes are close (an output pixel then straddles two
input pixels). Correlated CT noise falls less (docs/data.md, "The embedded CT slices: the default study").
"""

from __future__ import annotations

import numpy as np


def area_weights(count_in: int, spacing_in_mm: float, pixel_mm: float) -> np.ndarray:
    """(count_out, count_in) matrix W with out = W @ in along one axis, rows summing to 1.

    Input pixel j covers [j, j + 1) * ``spacing_in_mm``; output pixel i covers
    [i, i + 1) * ``pixel_mm`` (both grids start at the first pixel's outer edge). W[i, j] is
    the length of their overlap divided by ``piel_mm``. count_out = floor(extent /
    ``pixel_mm``): a last output pixel that would reach past the image is left out.
    """
    if spacing_in_mm <= 0 or pixel_mm <= 0:
        raise ValueError(f"pixel sizes must be positive, got {spacing_in_mm} and {pixel_mm} mm")
    ratio = spacing_in_mm / pixel_mm  # input pixel size in output pixels
    count_out = int(np.floor(count_in * ratio + 1e-9))
    if count_out < 1:
        raise ValueError(f"{count_in} pixels of {spacing_in_mm} mm are less than one {pixel_mm} mm pixel")
    edges_in = np.arange(count_in + 1) * ratio
    edges_out = np.arange(count_out + 1, dtype=np.float64)
    overlap = np.minimum(edges_out[1:, None], edges_in[None, 1:]) - np.maximum(
        edges_out[:-1, None], edges_in[None, :-1]
    )
    return np.clip(overlap, 0.0, None)


def resample_to_pixel_size(
    image: np.ndarray, spacing_mm: tuple[float, float], pixel_mm: float
) -> np.ndarray:
    """``image`` (rows, cols) with pixel ``spacing_mm`` (row, col) resampled to square
    ``pixel_mm`` pixels by area averaging (see :func:`area_weights`); float32 in the input's
    units. Spacings equal to ``pixel_mm`` leave that axis unchanged."""
    rows = area_weights(image.shape[0], spacing_mm[0], pixel_mm)
    cols = area_weights(image.shape[1], spacing_mm[1], pixel_mm)
    return (rows @ image.astype(np.float64) @ cols.T).astype(np.float32)
