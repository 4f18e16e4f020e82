"""Reading CT slices: the embedded data set, and clear errors for files a user may supply."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import yaml

from conftest import REPO
from ldct.core.errors import LdctInputError
from ldct.io.dicom_read import (
    embedded_dicom_path,
    image_id_from_filename,
    list_dicom_folder,
    read_ct_slice,
)
from ldct.io.header import slice_metadata

EMBEDDED = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["data"]["embedded"]


@pytest.mark.parametrize("entry", EMBEDDED, ids=[entry["image"] for entry in EMBEDDED])
def test_every_embedded_slice_is_a_decodable_ct_image(entry):
    """Each default slice is found without download, decodes, and has pixel spacing."""
    path = embedded_dicom_path(entry["file"])
    dataset, pixels = read_ct_slice(path)
    assert dataset.Modality == "CT"
    assert pixels.ndim == 2 and min(pixels.shape) >= 128
    assert min(slice_metadata(dataset, path)["pixel_spacing_mm"]) > 0


def test_embedded_slices_are_distinct():
    """No two default slices share pixels or a SOP Instance UID (the TotalSegmentator example
    files have an empty one: their pixels tell them apart)."""
    slices = [read_ct_slice(embedded_dicom_path(entry["file"])) for entry in EMBEDDED]
    uids = [str(dataset.get("SOPInstanceUID", "")) for dataset, _ in slices]
    assert len(set(uids) - {""}) == len([uid for uid in uids if uid])
    for i, (_, a) in enumerate(slices):
        for _, b in slices[i + 1 :]:
            assert a.shape != b.shape or not np.array_equal(a, b)


def test_unknown_embedded_file_is_named():
    with pytest.raises(ValueError, match="file 'no_such_file.dcm' is neither shipped by ldct"):
        embedded_dicom_path("no_such_file.dcm")


def test_garbage_file_is_reported_by_path(tmp_path):
    path = tmp_path / "garbage.dcm"
    path.write_bytes(b"not a dicom file at all" * 10)
    with pytest.raises(LdctInputError, match=str(path)):
        read_ct_slice(path)


def test_non_ct_modality_is_refused(tmp_path):
    dataset = pydicom.dcmread(embedded_dicom_path("CT_small.dcm"))
    dataset.Modality = "MR"
    path = tmp_path / "mr.dcm"
    dataset.save_as(path)
    with pytest.raises(LdctInputError, match=f"{path}: Modality is 'MR'"):
        read_ct_slice(path)


def test_local_folder_maps_file_stems_to_ids(tmp_path):
    """Files become image ids (stem, odd characters as '_'); hidden files and folders are skipped."""
    shutil.copy(embedded_dicom_path("CT_small.dcm"), tmp_path / "slice 1.dcm")
    shutil.copy(embedded_dicom_path("CT_small.dcm"), tmp_path / "IM0002")
    (tmp_path / ".DS_Store").write_text("")
    (tmp_path / "sub").mkdir()
    assert list_dicom_folder(tmp_path) == {
        "IM0002": tmp_path / "IM0002",
        "slice_1": tmp_path / "slice 1.dcm",
    }
    assert image_id_from_filename(tmp_path / "a.b.DCM") == "a_b"


def test_local_folder_errors_name_the_folder_or_files(tmp_path):
    with pytest.raises(ValueError, match="missing' is not a folder"):
        list_dicom_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no files"):
        list_dicom_folder(tmp_path)
    (tmp_path / "a.dcm").write_text("")
    (tmp_path / "a").write_text("")
    with pytest.raises(ValueError, match="both map to image id 'a'"):
        list_dicom_folder(tmp_path)
