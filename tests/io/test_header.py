"""The header facts of a CT slice, read from pydicom's CT_small.dcm, whose values are known."""

from __future__ import annotations

import pydicom
import pytest

from ldct.core.errors import LdctInputError
from ldct.io.dicom_read import embedded_dicom_path
from ldct.io.header import slice_metadata


def test_the_header_facts_are_the_files_own_values(tmp_path):
    dataset = pydicom.dcmread(embedded_dicom_path("CT_small.dcm"))
    facts = slice_metadata(dataset, tmp_path / "x.dcm")
    assert facts["pixel_spacing_mm"] == [float(v) for v in dataset.PixelSpacing]
    assert facts["rescale_slope"] == float(dataset.RescaleSlope)
    assert facts["rescale_intercept"] == float(dataset.RescaleIntercept)
    assert facts["sop_instance_uid"] == str(dataset.SOPInstanceUID)
    assert facts["original_shape"] == [dataset.Rows, dataset.Columns]


def test_missing_pixel_spacing_is_refused(tmp_path):
    dataset = pydicom.dcmread(embedded_dicom_path("CT_small.dcm"))
    del dataset.PixelSpacing
    with pytest.raises(LdctInputError, match="Pixel Spacing"):
        slice_metadata(dataset, tmp_path / "x.dcm")
