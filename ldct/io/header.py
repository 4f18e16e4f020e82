"""The facts of a CT slice's DICOM header that the study's steps and readers need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from ldct.core.errors import LdctInputError


def slice_metadata(dataset: Dataset, path: str | Path) -> dict[str, Any]:
    """What downstream steps and readers need from the DICOM header of ``path``, JSON-ready.

    Pixel Spacing (row, column; mm) is required: the MTF is defined in lp/mm.
    """
    spacing = dataset.get("PixelSpacing")
    if not spacing or len(spacing) != 2 or min(float(v) for v in spacing) <= 0:
        raise LdctInputError(f"{path}: Pixel Spacing (0028,0030) is missing or not positive")
    return {
        "pixel_spacing_mm": [float(spacing[0]), float(spacing[1])],
        "rescale_slope": float(dataset.get("RescaleSlope", 1.0)),
        "rescale_intercept": float(dataset.get("RescaleIntercept", 0.0)),
        "pixel_padding_value": (
            int(dataset.PixelPaddingValue) if "PixelPaddingValue" in dataset else None
        ),
        "patient_id": str(dataset.get("PatientID", "")),
        "sop_instance_uid": str(dataset.get("SOPInstanceUID", "")),
        "series_instance_uid": str(dataset.get("SeriesInstanceUID", "")),
        "study_instance_uid": str(dataset.get("StudyInstanceUID", "")),
        "body_part_examined": str(dataset.get("BodyPartExamined", "")),
        "slice_thickness_mm": (
            float(dataset.SliceThickness) if dataset.get("SliceThickness") not in (None, "") else None
        ),
        "original_shape": [int(dataset.Rows), int(dataset.Columns)],
    }
