"""Display orientation: anterior at the top, the patient's left on the right, from
ImageOrientationPatient; every stored orientation of an axial slice gives the same image."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from ldct.core.errors import LdctInputError
from ldct.io.dicom_read import embedded_dicom_path, read_ct_slice
from ldct.io.hu import to_hu
from ldct.io.orientation import display_reorientation
from ldct.io.prepare import SliceSettings, prepare_slice

STANDARD = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def stored_as(display: np.ndarray, along_row: tuple, down_column: tuple) -> np.ndarray:
    """``display`` (rows: anterior to posterior, columns: right to left of the patient) as a
    scanner with these ImageOrientationPatient vectors stores it: stored pixel (r, c) lies at
    patient position r * down_column + c * along_row (x, y in pixels) plus the offset that puts
    the slice's corner first."""
    rows, cols = display.shape
    extent = {0: cols, 1: rows}  # pixels along patient x and along patient y
    shape = (extent[int(np.argmax(np.abs(down_column)))], extent[int(np.argmax(np.abs(along_row)))])
    r, c = np.indices(shape)
    x = r * down_column[0] + c * along_row[0]
    y = r * down_column[1] + c * along_row[1]
    return display[y - y.min(), x - x.min()]


@pytest.mark.parametrize(
    "along_row, down_column",
    [(a, d) for a in [(1, 0), (-1, 0), (0, 1), (0, -1)] for d in [(1, 0), (-1, 0), (0, 1), (0, -1)]
     if abs(a[0]) != abs(d[0])],
)
def test_every_axial_storage_order_comes_back_to_display_orientation(along_row, down_column):
    display = np.random.default_rng(1).random((5, 7))  # not square: a transpose shows
    stored = stored_as(display, along_row, down_column)
    orientation = [*along_row, 0.0, *down_column, 0.0]
    reorientation = display_reorientation(orientation, "slice.dcm")
    np.testing.assert_array_equal(reorientation.apply(stored), display)
    spacing = reorientation.spacing([0.5, 0.8] if stored.shape == display.shape else [0.8, 0.5])
    assert spacing == [0.5, 0.8]


def test_a_gantry_tilt_is_still_axial():
    """J2K_pixelrep_mismatch.dcm: rows run along y tilted 22 degrees towards the head."""
    assert not any(vars(display_reorientation([1, 0, 0, 0, 0.9272, -0.3746], "tilted.dcm")).values())


@pytest.mark.parametrize(
    "orientation, words",
    [
        ([1, 0, 0, 0, 0, -1], "not an axial slice"),  # coronal
        ([0, 1, 0, 0, 0, -1], "not an axial slice"),  # sagittal
        ([1, 0, 0, 0, 0.7071, -0.7071], "more than 30 degrees"),
        (None, "ImageOrientationPatient \\(0020,0037\\) is missing"),
    ],
)
def test_a_slice_that_is_not_axial_or_has_no_orientation_stops_naming_the_file(orientation, words):
    with pytest.raises(LdctInputError, match=f"^scan.dcm: .*{words}"):
        display_reorientation(orientation, "scan.dcm")


def displayed_hu(dataset, pixels, orientation) -> np.ndarray:
    hu, _ = to_hu(dataset, pixels)
    return display_reorientation(orientation, "slice").apply(hu)


@pytest.mark.parametrize(
    "source",
    ["explicit_VR-UN.dcm", "abdominal_ct/pancreas_ct_0001/4-069.dcm", "abdominal_ct/kits_00072/1-011.dcm"],
)
def test_a_real_slice_stored_upside_down_equals_the_same_slice_stored_the_right_way_up(source):
    """Each source orientation (0,-1 rows for the pancreas patient, 0,1 for the others) against
    the same pixels stored the other way, with the orientation tag saying so."""
    dataset, pixels = read_ct_slice(embedded_dicom_path(source))
    orientation = [float(value) for value in dataset.ImageOrientationPatient]
    other_way = orientation[:3] + [-value for value in orientation[3:]]
    np.testing.assert_array_equal(
        displayed_hu(dataset, pixels, orientation), displayed_hu(dataset, pixels[::-1], other_way)
    )


@pytest.mark.parametrize(
    "source", ["abdominal_ct/pancreas_ct_0001/4-069.dcm", "abdominal_ct/kits_00072/1-011.dcm"]
)
def test_to_hu_gives_the_same_window_for_a_file_stored_the_other_way_up(source, tmp_path):
    """The whole to_hu preparation (orientation, 1 mm resampling, window about the body) of a
    real file and of a copy with its rows stored in reverse and its orientation tag saying so."""
    dataset = pydicom.dcmread(embedded_dicom_path(source))
    flipped = tmp_path / "flipped.dcm"
    dataset.PixelData = np.ascontiguousarray(dataset.pixel_array[::-1]).tobytes()
    dataset.ImageOrientationPatient = [*dataset.ImageOrientationPatient[:3],
                                       *(-float(v) for v in dataset.ImageOrientationPatient[3:])]
    dataset.save_as(flipped)
    as_stored, stored_meta = prepare_slice(embedded_dicom_path(source), SliceSettings())
    other_way, other_meta = prepare_slice(flipped, SliceSettings())
    np.testing.assert_array_equal(as_stored, other_way)
    assert {stored_meta["reoriented"], other_meta["reoriented"]} == {
        "flipped upside down", "already in display orientation"
    }


@pytest.mark.parametrize(
    "source",
    ["explicit_VR-UN.dcm", "abdominal_ct/kits_00072/1-011.dcm",
     "abdominal_ct/totalsegmentator_example/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573.dcm"],
)
def test_the_spine_comes_out_below_the_body_centre(source):
    """Anterior at the top: the vertebra (bone in the middle fifth of the columns) lies in the
    image's lower part, behind the body's centre, for the upside-down source too."""
    dataset, pixels = read_ct_slice(embedded_dicom_path(source))
    displayed = displayed_hu(dataset, pixels, dataset.ImageOrientationPatient)
    body_rows = np.nonzero(displayed > -300)[0]
    cols = displayed.shape[1]
    bone_rows = np.nonzero(displayed[:, 2 * cols // 5 : 3 * cols // 5] > 400)[0]
    assert bone_rows.mean() > body_rows.mean() + 40
