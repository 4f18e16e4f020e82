"""Derived CT slices: stored values in the source's encoding, valid files, new UIDs."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import UID

from ldct.io.dicom_read import embedded_dicom_path, read_ct_slice
from ldct.io.dicom_write import (
    Derivation,
    ct_image_problems,
    derived_slice,
    hu_to_stored,
    stored_range,
    write_dicom,
)
from ldct.io.geometry import SliceGeometry

#: One slice of each encoding the embedded data holds.
SOURCES = {
    "jpeg2000, signed 16 bit": "explicit_VR-UN.dcm",
    "implicit VR, signed 16 bit": "abdominal_ct/pancreas_ct_0001/98-163.dcm",
    "unsigned 12 bit, intercept -1024": "abdominal_ct/kits_00072/1-011.dcm",
    "padding value": "abdominal_ct/cmb_crc_msb_01068/1-093.dcm",
}
DERIVATION = Derivation(summary="gaussian sigma_px=1", details="test: a Gaussian filter")


def _encoding(bits_stored: int, signed: int, slope: float = 1.0, intercept: float = 0.0) -> Dataset:
    dataset = Dataset()
    dataset.BitsAllocated, dataset.BitsStored, dataset.PixelRepresentation = 16, bits_stored, signed
    dataset.RescaleSlope, dataset.RescaleIntercept = slope, intercept
    return dataset


def test_stored_ranges_follow_bits_stored_and_sign():
    assert stored_range(_encoding(12, 0)) == (0, 4095)
    assert stored_range(_encoding(16, 1)) == (-32768, 32767)
    assert stored_range(_encoding(12, 1)) == (-2048, 2047)


def test_hu_become_rounded_clipped_stored_values():
    """Unsigned 12 bit with intercept -1024 holds -1024..3071 HU; slope 0.5 halves the step."""
    kits_like = _encoding(12, 0, intercept=-1024)
    stored = hu_to_stored(kits_like, np.array([[-2000.0, -1024.0, -0.6, 0.4, 3071.0, 5000.0]]))
    assert stored.dtype == np.dtype("<u2")
    assert stored.tolist() == [[0, 0, 1023, 1024, 4095, 4095]]
    fine = _encoding(16, 1, slope=0.5, intercept=-10)
    stored = hu_to_stored(fine, np.array([[-10.0, -9.76, 0.0, 20000.0]]))
    assert stored.dtype == np.dtype("<i2") and stored.tolist() == [[0, 0, 20, 32767]]


@pytest.mark.parametrize("name", SOURCES.values(), ids=list(SOURCES))
def test_a_derived_slice_of_every_encoding_is_valid_and_reads_back(name, tmp_path):
    """New UIDs (valid, not the source's), DERIVED\\SECONDARY, the source's geometry and
    encoding, uncompressed pixels equal to what was stored, a reference to the source."""
    path = embedded_dicom_path(name)
    source, pixels = read_ct_slice(path)
    stored = np.clip(pixels.astype(np.int64) + 3, *stored_range(source))
    write_dicom(tmp_path / "out.dcm", derived_slice(source, stored, DERIVATION))
    written = pydicom.dcmread(tmp_path / "out.dcm")
    assert ct_image_problems(written) == []
    assert written.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    for uid in ("SOPInstanceUID", "SeriesInstanceUID"):
        assert UID(written[uid].value).is_valid and written[uid].value != source.get(uid)
    assert written.StudyInstanceUID == source.StudyInstanceUID
    assert written.file_meta.MediaStorageSOPInstanceUID == written.SOPInstanceUID
    assert list(written.ImageType[:2]) == ["DERIVED", "SECONDARY"]
    assert written.SeriesDescription.startswith("ldct gaussian sigma_px=1")
    assert len(written.SeriesDescription) <= 64
    assert written.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    for tag in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns",
                "BitsAllocated", "BitsStored", "PixelRepresentation", "RescaleSlope", "RescaleIntercept"):
        assert written[tag].value == source[tag].value, tag
    assert np.array_equal(written.pixel_array, stored)


def test_uids_depend_on_the_source_and_on_what_was_done():
    source, pixels = read_ct_slice(embedded_dicom_path(SOURCES["padding value"]))
    first = derived_slice(source, pixels, DERIVATION)
    again = derived_slice(source, pixels, DERIVATION)
    other = derived_slice(source, pixels, Derivation(summary="median size_px=3", details="test"))
    assert (first.SOPInstanceUID, first.SeriesInstanceUID) == (again.SOPInstanceUID, again.SeriesInstanceUID)
    assert first.SeriesInstanceUID != other.SeriesInstanceUID
    assert first.SOPInstanceUID != other.SOPInstanceUID


def test_a_new_geometry_replaces_position_orientation_spacing_and_size():
    source, pixels = read_ct_slice(embedded_dicom_path(SOURCES["unsigned 12 bit, intercept -1024"]))
    geometry = SliceGeometry((-123.456789012345, 10.0, -31.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (1.0, 1.0))
    derived = derived_slice(source, pixels[:250, :350], DERIVATION, geometry)
    assert ct_image_problems(derived) == []
    assert (derived.Rows, derived.Columns) == (250, 350)
    assert [float(v) for v in derived.PixelSpacing] == [1.0, 1.0]
    assert float(derived.ImagePositionPatient[0]) == pytest.approx(-123.456789012345, abs=1e-9)
    buffer = io.BytesIO()
    derived.save_as(buffer, enforce_file_format=True)
    assert pydicom.dcmread(io.BytesIO(buffer.getvalue())).pixel_array.shape == (250, 350)


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda d: delattr(d, "FrameOfReferenceUID"), "FrameOfReferenceUID missing or empty"),
        (lambda d: delattr(d, "PatientID"), "PatientID missing"),
        (lambda d: setattr(d, "SeriesInstanceUID", "1.2.03"), "SeriesInstanceUID"),
        (lambda d: setattr(d, "SliceLocation", "1.23456789012345678"), "SliceLocation"),
        (lambda d: d.add_new(0x00280030, "LO", "1\\1"), "PixelSpacing: VR LO, expected DS"),
    ],
    ids=["type 1 missing", "type 2 missing", "invalid UID", "DS too long", "wrong VR"],
)
def test_problems_that_keep_a_file_from_being_a_valid_ct_image_are_found(damage, problem, tmp_path):
    source, pixels = read_ct_slice(embedded_dicom_path(SOURCES["padding value"]))
    derived = derived_slice(source, pixels, DERIVATION)
    damage(derived)
    assert any(problem in text for text in ct_image_problems(derived)), ct_image_problems(derived)
    with pytest.raises(ValueError, match="not a valid CT image"):
        write_dicom(tmp_path / "bad.dcm", derived)
    assert list(tmp_path.iterdir()) == []
