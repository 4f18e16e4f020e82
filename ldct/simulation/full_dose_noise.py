"""The noise SD (HU) a full-dose CT slice already carries: measured in its soft tissue, and
the study's table of it with a fixed rule for slices that cannot be measured.

**Measuring one slice** (:func:`estimate_noise_sd_hu`). The rule is the global noise level of
Christianson et al. (2015, AJR 205:W93-W99, "Automated technique to measure noise in clinical CT
examinations"): a map of local SDs in small square windows, kept where the window lies in soft
tissue, and the mode of their histogram. Noise dominates the many windows of homogeneous tissue, so
the mode sits at the noise SD, while windows that straddle edges, vessels or gradients have larger
SDs and only widen the histogram's upper tail. The fixed choices, calibrated on synthetic phantoms
only:

* window :data:`WINDOW_MM` (9 mm, 9 x 9 pixels at 1 mm). CT noise is correlated (NPS ~ MTF^2),
  and the SD inside a window misses the variance of the window's own mean. With MTF50 0.35
  and MTF10 0.60 lp/mm at 1 mm pixels that mean holds 4.1 % of the noise variance in a 9 mm
  window (white noise: 1.2 %, which the n - 1 divisor restores), against 12 % in a 5 mm one;
  with the mode's own small-sample shift the rule reads about 2.5 % low for that noise and
  within 1 % for white noise. A larger window would lose narrow muscles to the mask.
* soft tissue :data:`SOFT_TISSUE_HU` (0 to 100 HU) on the image smoothed by a Gaussian of
  :data:`MASK_SMOOTHING_MM` (2 mm) SD, so that the mask follows tissue and not the noise; fat,
  lung, air and bone fall outside. A window counts only if all its pixels are soft tissue.
* histogram bins 1 % of the median local SD in the mask wide (:data:`BIN_FRACTION`), the same
  relative resolution at every noise level, smoothed by a Gaussian of two bins; the mode is
  the peak refined by a parabola through it and its neighbours.
* small-sample correction: for Gaussian noise in ``n`` independent pixels the sample SD
  follows sigma chi(nu) / sqrt(nu), nu = n - 1, whose mode is sigma sqrt((nu - 1) / nu); the
  mode is divided by that factor.
* at least :data:`MIN_SOFT_TISSUE_MM2` (2000 mm^2) of window centres; on phantoms the
  estimate's scatter grows from 3 % at that area to 5 % at 800 mm^2.

**The study's table** (:func:`noise_table`, used by ``noise.full_dose_sigma_hu: measure`` in
the study and by ``ldct simulate --full-dose-sigma-hu measure``). A slice with too little soft
tissue for that rule takes the median of the measured slices of its patient (same scanner,
protocol and kernel), else the median of every measured slice; the table says which
(``source``) and why (``note``). Where no slice at all can be measured, there is no value to
give, and a study or a command that measures stops on it with one message.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import ndimage

from ldct.core.errors import LdctInputError

#: Side of the square window of the local SD map, mm.
WINDOW_MM = 9.0
#: Lowest and highest HU of soft tissue, on the smoothed image.
SOFT_TISSUE_HU = (0.0, 100.0)
#: SD of the Gaussian that smooths the image before the soft-tissue threshold, mm.
MASK_SMOOTHING_MM = 2.0
#: Histogram bin width as a fraction of the median local SD in the mask.
BIN_FRACTION = 0.01
#: SD of the Gaussian that smooths the histogram, bins.
HISTOGRAM_SMOOTHING_BINS = 2.0
#: Least area of soft-tissue window centres an estimate needs, mm^2.
MIN_SOFT_TISSUE_MM2 = 2000.0
#: Median local SD below which soft tissue counts as noise-free, HU: far under any CT's
#: quantum noise, far over the rounding error of the window sums (about 1e-5 HU).
NOISE_FLOOR_HU = 0.01

#: Value of config key ``noise.full_dose_sigma_hu`` that asks for a per-slice measurement.
MEASURE = "measure"


def _spacing(spacing_mm) -> np.ndarray:
    """(row, column) pixel spacing in mm from a pair or one number."""
    return np.broadcast_to(np.asarray(spacing_mm, dtype=np.float64), (2,))


def window_px(spacing_mm) -> tuple[int, int]:
    """Window side per axis, pixels: the odd number nearest :data:`WINDOW_MM`, at least 3."""
    return tuple(max(3, int(round(WINDOW_MM / step)) | 1) for step in _spacing(spacing_mm))


def local_sd_in_soft_tissue(image_hu: np.ndarray, spacing_mm) -> tuple[np.ndarray, float]:
    """Local SDs (HU, n - 1 divisor) of the windows wholly in soft tissue, and their area in mm^2.

    ``spacing_mm`` is (row, column) pixel spacing in mm, or one number for square pixels.
    """
    spacing = _spacing(spacing_mm)
    image = np.asarray(image_hu, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D slice, got shape {image.shape}")
    size = window_px(spacing)
    count = size[0] * size[1]
    mean = ndimage.uniform_filter(image, size)
    variance = ndimage.uniform_filter(image**2, size) - mean**2
    variance = np.clip(variance, 0.0, None) * count / (count - 1)
    smooth = ndimage.gaussian_filter(image, MASK_SMOOTHING_MM / spacing)
    soft = (smooth >= SOFT_TISSUE_HU[0]) & (smooth <= SOFT_TISSUE_HU[1])
    inside = ndimage.minimum_filter(soft.astype(np.uint8), size, mode="constant") > 0
    return np.sqrt(variance[inside]), float(inside.sum() * spacing[0] * spacing[1])


def histogram_mode(values: np.ndarray) -> float:
    """Mode of ``values`` (median > 0): the peak of their histogram from 0 to 3 medians, bins
    and smoothing as in the module docstring."""
    median = float(np.median(values))
    width = BIN_FRACTION * median
    edges = np.arange(0.0, 3.0 * median + width, width)
    counts, _ = np.histogram(values, edges)
    counts = ndimage.gaussian_filter1d(counts.astype(np.float64), HISTOGRAM_SMOOTHING_BINS)
    peak = int(np.clip(np.argmax(counts), 1, len(counts) - 2))
    below, top, above = counts[peak - 1 : peak + 2]
    curvature = below - 2.0 * top + above
    offset = 0.5 * (below - above) / curvature if curvature < 0 else 0.0
    return (peak + 0.5 + offset) * width


def estimate_noise_sd_hu(image_hu: np.ndarray, spacing_mm, image_id: str | None = None) -> float:
    """Noise SD (HU) of a full-dose slice (float HU, pixel spacing in mm), by the module's rule.

    Raises :class:`~ldct.core.errors.LdctInputError`, naming ``image_id`` when given, if the slice
    has less than :data:`MIN_SOFT_TISSUE_MM2` of soft tissue, or if its median local SD is
    under :data:`NOISE_FLOOR_HU` (noise-free).
    """
    sds, area_mm2 = local_sd_in_soft_tissue(image_hu, spacing_mm)
    name = f"image {image_id}" if image_id is not None else "the slice"
    if area_mm2 < MIN_SOFT_TISSUE_MM2:
        raise LdctInputError(
            f"{name}: only {area_mm2:.0f} mm^2 of soft tissue ({SOFT_TISSUE_HU[0]:g} to "
            f"{SOFT_TISSUE_HU[1]:g} HU) fits {WINDOW_MM:g} mm windows, {MIN_SOFT_TISSUE_MM2:g} "
            "are needed to measure its noise (noise.full_dose_sigma_hu: measure); give "
            "noise.full_dose_sigma_hu as a number instead"
        )
    if not np.median(sds) > NOISE_FLOOR_HU:
        raise LdctInputError(
            f"{name}: its soft tissue is noise-free, so noise.full_dose_sigma_hu: measure "
            "has nothing to measure; give it as a number instead"
        )
    rows, cols = window_px(spacing_mm)
    dof = rows * cols - 1
    return float(histogram_mode(sds) / np.sqrt((dof - 1) / dof))

NOISE_TABLE_COLUMNS = ("image", "role", "patient", "measured_sd_hu", "used_sd_hu", "source", "note")


def noise_table(
    slices: Iterable[tuple[Mapping[str, str], np.ndarray, tuple[float, float]]],
) -> list[dict[str, object]]:
    """One NOISE_TABLE_COLUMNS row per slice: (split row with image, role, patient; full-dose
    image in HU; pixel spacing in mm). ``slices`` is read once, one slice at a time."""
    rows = []
    for split_row, image, spacing in slices:
        row = {key: split_row[key] for key in ("image", "role", "patient")}
        try:
            row.update(measured_sd_hu=estimate_noise_sd_hu(image, spacing, split_row["image"]), note="")
        except LdctInputError as error:
            row.update(measured_sd_hu=float("nan"), note=str(error))
        rows.append(row)
    measured = [row for row in rows if np.isfinite(row["measured_sd_hu"])]
    study_median = float(np.median([row["measured_sd_hu"] for row in measured])) if measured else None
    for row in rows:
        if np.isfinite(row["measured_sd_hu"]):
            row.update(used_sd_hu=row["measured_sd_hu"], source="measured")
            continue
        same_patient = [r["measured_sd_hu"] for r in measured if r["patient"] == row["patient"]]
        if same_patient:
            row.update(used_sd_hu=float(np.median(same_patient)), source="patient median")
        elif study_median is not None:
            row.update(used_sd_hu=study_median, source="study median")
        else:
            row.update(used_sd_hu=float("nan"), source="none")
    return rows


def used_sigma(rows: Sequence[Mapping[str, str]], image: str, table: str) -> tuple[float, str]:
    """(noise SD in HU, source) of ``image`` from a noise table read back as text."""
    found = [row for row in rows if row["image"] == image]
    if not found:
        raise LdctInputError(f"{table}: has no row for image '{image}'; rerun its rule")
    value = float(found[0]["used_sd_hu"] or "nan")
    if not np.isfinite(value):
        raise LdctInputError(
            f"{table}: no slice of the study has enough soft tissue to measure its noise "
            f"({found[0]['note']}); set config key noise.full_dose_sigma_hu to a number"
        )
    return value, found[0]["source"]
