"""Stored DICOM pixel values to Hounsfield units, and the padding and fill they hold."""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

#: The lowest attenuation a reconstructed CT pixel can hold, HU. Anything below is
#: outside-field-of-view fill (e.g. -2000 or -3024 HU), not tissue.
MIN_TISSUE_HU = -1024.0


def padding_mask(dataset: Dataset, pixels: np.ndarray) -> np.ndarray:
    """Pixels marked as padding by Pixel Padding Value (and Range Limit, when present)."""
    if "PixelPaddingValue" not in dataset:
        return np.zeros(pixels.shape, dtype=bool)
    first = int(dataset.PixelPaddingValue)
    last = int(dataset.get("PixelPaddingRangeLimit", first))
    low, high = min(first, last), max(first, last)
    return (pixels >= low) & (pixels <= high)


def to_hu_with_fill(
    dataset: Dataset, pixels: np.ndarray, fill_hu: float = -1000.0
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the modality rescale, then replace padding and outside-FOV pixels by ``fill_hu``.

    HU = stored value x RescaleSlope + RescaleIntercept. Pixels flagged by Pixel Padding
    Value, and pixels below :data:`MIN_TISSUE_HU` (the outside-of-scan-circle fill many
    scanners write without a padding tag), become ``fill_hu`` (default: air, -1000 HU).

    Returns the float32 HU image and the boolean mask of the filled pixels.
    """
    slope = float(dataset.get("RescaleSlope", 1.0))
    intercept = float(dataset.get("RescaleIntercept", 0.0))
    hu = pixels.astype(np.float64) * slope + intercept
    fill = padding_mask(dataset, pixels) | (hu < MIN_TISSUE_HU)
    hu[fill] = fill_hu
    return hu.astype(np.float32), fill


def to_hu(dataset: Dataset, pixels: np.ndarray, fill_hu: float = -1000.0) -> tuple[np.ndarray, int]:
    """:func:`to_hu_with_fill`, returning the number of pixels filled instead of their mask."""
    hu, fill = to_hu_with_fill(dataset, pixels, fill_hu)
    return hu, int(fill.sum())
