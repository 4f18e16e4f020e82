"""The study's eval slices as DICOM (rules dicom_full_dose and dicom_denoised) on the tiny run."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from ldct.core.methods import default_methods
from ldct.core.storage import load_image
from ldct.io.dicom_write import ct_image_problems

EVAL_IMAGES = ("abdomen", "kits_01")


def hu_of(dataset) -> np.ndarray:
    return dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)


def assert_holds(dataset, image_hu: np.ndarray) -> None:
    """The file holds ``image_hu`` to half a stored unit, where its bits can represent it."""
    low = float(dataset.RescaleIntercept) + float(dataset.RescaleSlope) * (
        -(2 ** (int(dataset.BitsStored) - 1)) if dataset.PixelRepresentation else 0
    )
    expected = np.clip(image_hu, low, None)
    assert np.abs(hu_of(dataset) - expected).max() <= 0.5 * float(dataset.RescaleSlope) + 1e-3


@pytest.mark.slow
def test_every_method_and_dose_is_a_valid_derived_series_of_the_windows(tiny_study):
    """One file per eval slice for the full dose and each method x dose: valid CT images with
    the window's pixels (first realization), 1 mm pixels in display orientation at the source's
    table position, one new series per source series and output."""
    outputs = tiny_study / "results" / "dicom_outputs"
    series = {}
    for folder in [outputs / "full_dose"] + [outputs / m / f"dose{d}" for m in default_methods() for d in ("0.5", "0.1")]:
        for image in EVAL_IMAGES:
            derived = pydicom.dcmread(folder / f"{image}.dcm")
            source = pydicom.dcmread(tiny_study / "results" / "dicom" / f"{image}.dcm")
            assert ct_image_problems(derived) == []
            if folder.name == "full_dose":
                window, _ = load_image(tiny_study / "results" / "hu" / f"{image}.npy")
            else:
                stack, _ = load_image(tiny_study / "results" / "denoised" / folder.parent.name / image / f"{folder.name}.npy")
                window = stack[0]
            assert (derived.Rows, derived.Columns) == window.shape
            assert_holds(derived, window)
            assert [float(v) for v in derived.PixelSpacing] == [1.0, 1.0]
            assert [float(v) for v in derived.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
            assert float(derived.ImagePositionPatient[2]) == pytest.approx(float(source.ImagePositionPatient[2]))
            assert derived.StudyInstanceUID == source.StudyInstanceUID
            assert derived.SeriesInstanceUID != source.SeriesInstanceUID
            series.setdefault(derived.SeriesInstanceUID, set()).add((folder, source.SeriesInstanceUID))
    assert len(series) == (1 + len(default_methods()) * 2) * len(EVAL_IMAGES)
    assert all(len(members) == 1 for members in series.values())
