"""Axial CT slices in the standard display orientation: anterior at the top of the image and
the patient's left on the image's right (the radiological convention), whatever way the scanner
stored them.

DICOM's ImageOrientationPatient (0020,0037) gives two unit vectors in the patient's LPS axes
(x towards the patient's left, y posterior, z head): the direction in which the column index
grows along a row, then the direction in which the row index grows down a column. Display
orientation is (1, 0, 0) then (0, 1, 0). A slice is axial when both vectors lie within
:data:`MAX_TILT_DEG` of the x-y plane's axes (gantry tilts stay axial); it is then brought to
display orientation by at most a transpose and two flips, which move pixels without changing
any value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ldct.core.errors import LdctInputError

#: Largest angle (degrees) between an image axis and the patient axis it is taken for.
MAX_TILT_DEG = 30.0
#: Patient axes, by index into an LPS vector.
AXES = ("x (right to left)", "y (anterior to posterior)", "z (feet to head)")


@dataclass(frozen=True)
class Reorientation:
    """How a stored slice becomes a displayed one: transpose first, then flip."""

    transpose: bool
    flip_rows: bool  # upside down: rows run posterior to anterior
    flip_cols: bool  # left-right mirrored: columns run left to right of the patient

    def apply(self, image: np.ndarray) -> np.ndarray:
        """``image`` (rows, cols) in display orientation (a copy)."""
        if self.transpose:
            image = image.T
        if self.flip_rows:
            image = image[::-1]
        if self.flip_cols:
            image = image[:, ::-1]
        return np.ascontiguousarray(image)

    def spacing(self, pixel_spacing_mm: list[float]) -> list[float]:
        """(row, column) pixel spacing in mm after :meth:`apply`."""
        return list(reversed(pixel_spacing_mm)) if self.transpose else list(pixel_spacing_mm)

    def describe(self) -> str:
        steps = [name for name, done in (("transposed", self.transpose), ("flipped upside down", self.flip_rows),
                                          ("flipped left-right", self.flip_cols)) if done]
        return ", ".join(steps) or "already in display orientation"


def display_reorientation(orientation: list[float] | None, source: str) -> Reorientation:
    """The :class:`Reorientation` of a slice with ImageOrientationPatient ``orientation``.

    Raises LdctInputError naming ``source`` when the tag is missing or malformed, or the slice
    is not axial.
    """
    if orientation is None or len(orientation) != 6:
        raise LdctInputError(
            f"{source}: ImageOrientationPatient (0020,0037) is missing or malformed, so which way "
            "is anterior is unknown"
        )
    along_row = _axis(orientation[:3], source, "along a row")
    down_column = _axis(orientation[3:], source, "down a column")
    if {along_row[0], down_column[0]} != {0, 1}:
        raise LdctInputError(
            f"{source}: not an axial slice (ImageOrientationPatient {list(orientation)}: the image "
            f"runs along {AXES[along_row[0]]} and {AXES[down_column[0]]})"
        )
    transpose = along_row[0] == 1
    if transpose:
        along_row, down_column = down_column, along_row
    return Reorientation(transpose, flip_rows=down_column[1] < 0, flip_cols=along_row[1] < 0)


def _axis(vector: list[float], source: str, name: str) -> tuple[int, int]:
    """(patient axis index, sign) that ``vector`` points along; error when no axis is within
    :data:`MAX_TILT_DEG`."""
    values = [float(v) for v in vector]
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0:
        raise LdctInputError(f"{source}: ImageOrientationPatient has a zero vector")
    index = max(range(3), key=lambda i: abs(values[i]))
    if abs(values[index]) / norm < math.cos(math.radians(MAX_TILT_DEG)):
        raise LdctInputError(
            f"{source}: not an axial slice (the direction {name}, {values}, is more than "
            f"{MAX_TILT_DEG:g} degrees from every patient axis)"
        )
    return index, 1 if values[index] > 0 else -1
