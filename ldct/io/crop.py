"""The study's region of a CT slice: a fixed-size window about the body or the image centre.

The paper's 350 x 250 pixel crops hold the abdomen. Centring the window on the body, not on
the image, keeps the patient table and the air beside the patient out of it when the patient
lies off centre; an image smaller than the window is padded with a fill value (air).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Pixels above this value (HU) are body or table, below it air and lung: the body mask.
BODY_THRESHOLD_HU = -500.0
#: Structures thinner than this (mm) are removed from the body mask: table shells, blankets,
#: cables and the skin-line noise, which would otherwise join the body or pull its box.
THIN_STRUCTURE_MM = 8.0


def body_centre(image: np.ndarray, pixel_mm: float) -> tuple[float, float] | None:
    """(row, col) centre (pixels) of the bounding box of the body in an HU ``image``.

    The body is the largest connected region above :data:`BODY_THRESHOLD_HU` after a binary
    opening that removes structures thinner than :data:`THIN_STRUCTURE_MM` (``pixel_mm`` is
    the pixel size). None when nothing is left (an empty or air-only image).
    """
    width_px = max(1, int(round(THIN_STRUCTURE_MM / pixel_mm)))
    mask = ndimage.binary_opening(image > BODY_THRESHOLD_HU, structure=np.ones((width_px, width_px)))
    labels, count = ndimage.label(mask)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    rows, cols = np.nonzero(labels == 1 + int(np.argmax(sizes)))
    return (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2


def image_centre(image: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of ``image`` in pixels."""
    return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2


def crop_about(
    image: np.ndarray, centre: tuple[float, float], rows: int, cols: int, fill: float
) -> tuple[np.ndarray, tuple[int, int]]:
    """The ``rows`` x ``cols`` window of ``image`` centred as near ``centre`` (row, col;
    pixels) as the image allows, padded with ``fill`` where the image is smaller than the
    window (the image then sits in the middle of that axis).

    Returns the window (a new float32 array) and the (row, col) of its top-left pixel in
    ``image`` coordinates (negative where padding precedes the image).
    """
    origin = tuple(
        _window_start(size, length, position)
        for size, length, position in zip(image.shape, (rows, cols), centre)
    )
    window = np.full((rows, cols), fill, dtype=np.float32)
    source = tuple(slice(max(start, 0), min(start + length, size))
                   for start, length, size in zip(origin, (rows, cols), image.shape))
    target = tuple(slice(part.start - start, part.stop - start) for part, start in zip(source, origin))
    window[target] = image[source]
    return window, (int(origin[0]), int(origin[1]))


def _window_start(size: int, length: int, centre: float) -> int:
    """First index of a ``length`` window about ``centre`` along an axis of ``size`` pixels:
    kept inside the axis when it fits, else centred on the axis (a half-pixel offset of the
    centre rounds the start down)."""
    if length >= size:
        return -((length - size) // 2)
    start = int(np.floor(centre - (length - 1) / 2))
    return min(max(start, 0), size - length)
