"""Where the pixels of a CT slice, and of the study window made from it, lie in the patient.

All positions and lengths are in mm, in DICOM's patient axes LPS (x towards the patient's left,
y posterior, z towards the head). ImagePositionPatient (0020,0032) is the centre of the first
stored pixel (row 0, column 0). ImageOrientationPatient (0020,0037) holds two unit vectors: the
direction in which the column index grows (along a row), then the direction in which the row
index grows (down a column). PixelSpacing (0028,0030) is (row spacing, column spacing): the
distance between rows, measured along the second vector, then between columns, along the
first. The centre of pixel (row i, column j) is therefore

    position + j * column spacing * row_direction + i * row spacing * column_direction.

:func:`window_geometry` follows a slice through :func:`ldct.io.prepare.prepare_slice` (display
reorientation, area resampling, crop) to the same description of the window it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ldct.core.errors import LdctInputError
from ldct.io.orientation import display_reorientation


@dataclass(frozen=True)
class SliceGeometry:
    """A slice's pixel grid in the patient: first pixel centre ``position_mm``, unit vectors
    ``row_direction`` (column index grows) and ``column_direction`` (row index grows), and
    ``spacing_mm`` (row spacing, column spacing)."""

    position_mm: tuple[float, float, float]
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    spacing_mm: tuple[float, float]

    def pixel_centre(self, row: float, col: float) -> np.ndarray:
        """Patient coordinates (mm, LPS) of the centre of pixel (``row``, ``col``)."""
        row_mm, col_mm = self.spacing_mm
        return (np.array(self.position_mm) + col * col_mm * np.array(self.row_direction)
                + row * row_mm * np.array(self.column_direction))

    def orientation(self) -> list[float]:
        """The six ImageOrientationPatient values: ``row_direction`` then ``column_direction``."""
        return [*self.row_direction, *self.column_direction]

    @classmethod
    def from_dataset(cls, dataset: Any, source: str) -> SliceGeometry:
        """The geometry in a pydicom Dataset's header; LdctInputError naming ``source`` and the
        tag when ImagePositionPatient, ImageOrientationPatient or PixelSpacing is missing or
        malformed."""
        position = _floats(dataset, "ImagePositionPatient", "(0020,0032)", 3, source)
        orientation = _floats(dataset, "ImageOrientationPatient", "(0020,0037)", 6, source)
        spacing = _floats(dataset, "PixelSpacing", "(0028,0030)", 2, source)
        if min(spacing) <= 0:
            raise LdctInputError(f"{source}: PixelSpacing (0028,0030) {list(spacing)} is not positive")
        return cls(position, orientation[:3], orientation[3:], spacing)


def window_geometry(original: SliceGeometry, meta: Mapping[str, Any]) -> SliceGeometry:
    """The geometry of the window :func:`ldct.io.prepare.prepare_slice` made from a slice of
    geometry ``original``, given the sidecar ``meta`` it wrote with it.

    Uses ``image_orientation_patient`` (the reorientation done), ``original_shape`` ((rows,
    columns) as stored), ``pixel_spacing_mm`` (the window's (row, column) spacing) and
    ``crop_origin`` (the window's top-left pixel in the resampled image, negative where padding
    comes first). Raises ValueError when ``original_pixel_spacing_mm`` disagrees with the
    spacing of ``original``: the sidecar is then another slice's.
    """
    reorientation = display_reorientation(meta["image_orientation_patient"], "sidecar")
    origin = np.array(original.position_mm, dtype=np.float64)
    down = np.array(original.column_direction, dtype=np.float64)  # row index grows
    across = np.array(original.row_direction, dtype=np.float64)  # column index grows
    (row_mm, col_mm), (rows, cols) = original.spacing_mm, meta["original_shape"]
    if reorientation.transpose:  # displayed pixel (i, j) is stored pixel (j, i)
        down, across, row_mm, col_mm, rows, cols = across, down, col_mm, row_mm, cols, rows
    if not np.allclose([row_mm, col_mm], meta["original_pixel_spacing_mm"], rtol=0, atol=1e-9):
        raise ValueError(f"sidecar original_pixel_spacing_mm {meta['original_pixel_spacing_mm']} is not "
                         f"this slice's {[row_mm, col_mm]} mm (after reorientation)")
    if reorientation.flip_rows:  # displayed row 0 is the last row
        origin, down = origin + (rows - 1) * row_mm * down, -down
    if reorientation.flip_cols:
        origin, across = origin + (cols - 1) * col_mm * across, -across
    # Both grids share the first pixel's outer edge, so resampled pixel 0's centre lies half an
    # output pixel minus half an input pixel beyond input pixel 0's (no shift without resampling).
    final_row_mm, final_col_mm = (float(value) for value in meta["pixel_spacing_mm"])
    crop_row, crop_col = meta["crop_origin"]
    origin = (origin + (0.5 * (final_row_mm - row_mm) + crop_row * final_row_mm) * down
              + (0.5 * (final_col_mm - col_mm) + crop_col * final_col_mm) * across)
    return SliceGeometry(_plain(origin), _plain(across), _plain(down), (final_row_mm, final_col_mm))


def _floats(dataset: Any, keyword: str, tag: str, count: int, source: str) -> tuple[float, ...]:
    """The ``count`` numbers of ``keyword`` as floats; LdctInputError naming ``source`` and
    the tag when missing, of another length or not numeric."""
    value = dataset.get(keyword)
    try:
        numbers = tuple(float(number) for number in value)
    except (TypeError, ValueError):
        numbers = ()
    if len(numbers) != count or not all(np.isfinite(numbers)):
        raise LdctInputError(f"{source}: {keyword} {tag} is missing or malformed "
                             f"(expected {count} numbers, got {value!r})")
    return numbers


def _plain(vector: np.ndarray) -> tuple[float, ...]:
    return tuple(float(value) for value in vector)
