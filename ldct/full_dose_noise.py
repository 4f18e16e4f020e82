"""The noise SD (HU) every full-dose slice of a study carries, as ``noise.full_dose_sigma_hu:
measure`` uses it, with a fixed rule for slices that cannot be measured.

Each slice is measured by :func:`ldct.noise_estimate.estimate_noise_sd_hu`. A slice with too
little soft tissue for that rule takes the median of the measured slices of its patient (same
scanner, protocol and kernel), else the median of every measured slice of the study; the
table says which (``source``) and why (``note``). Where no slice at all can be measured, the
table has no value to give and a study that measures stops on it with one message.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .errors import LdctInputError
from .noise_estimate import estimate_noise_sd_hu

NOISE_TABLE_COLUMNS = ("image", "role", "patient", "measured_sd_hu", "used_sd_hu", "source", "note")


def noise_table(
    slices: Sequence[tuple[Mapping[str, str], np.ndarray, tuple[float, float]]],
) -> list[dict[str, object]]:
    """One NOISE_TABLE_COLUMNS row per slice: (split row with image, role, patient; full-dose
    image in HU; pixel spacing in mm)."""
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
