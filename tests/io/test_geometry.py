"""The patient position of every window pixel: coordinate images pushed through the same
reorientation, resampling and crop as the HU image agree with :func:`window_geometry`."""

from __future__ import annotations

import math

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from ldct.core.errors import LdctInputError
from ldct.io.crop import crop_about, image_centre
from ldct.io.dicom_read import embedded_dicom_path
from ldct.io.geometry import SliceGeometry, window_geometry
from ldct.io.orientation import display_reorientation
from ldct.io.prepare import SliceSettings, prepare_slice
from ldct.io.resample import area_weights, resample_to_pixel_size

SHAPE = (64, 90)  # stored (rows, columns): not square, so a transpose shows
SPACING_MM = (0.7, 0.8)  # stored (row, column) spacing, no whole fraction of 1 mm
WHOLE_FRACTION_MM = (0.5, 0.25)  # stored spacing that 1 mm pixels average 2 and 4 of
POSITION_MM = (-171.3, 42.9, -412.5)
TILT = math.radians(20)
AXIAL_ORIENTATIONS = [
    (*along_row, *down_column)
    for along_row in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)]
    for down_column in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)]
    if np.dot(along_row, down_column) == 0  # one along x, the other along y
]
TILTED = (1, 0, 0, 0, math.cos(TILT), -math.sin(TILT))  # gantry tilted towards the head


def stored_centres(orientation, spacing_mm) -> np.ndarray:
    """(3, rows, cols) patient coordinates (mm) of each stored pixel centre, by DICOM's
    definition: position + column index * column spacing * IOP[:3] + row index * row spacing *
    IOP[3:]."""
    rows, cols = np.indices(SHAPE)
    along_row, down_column = np.array(orientation[:3]), np.array(orientation[3:])
    return (np.array(POSITION_MM)[:, None, None] + cols * spacing_mm[1] * along_row[:, None, None]
            + rows * spacing_mm[0] * down_column[:, None, None])


def resampled(image: np.ndarray, spacing_mm, pixel_mm) -> np.ndarray:
    """:func:`resample_to_pixel_size` in float64 (its float32 result loses micrometres at
    hundreds of mm), checked against it."""
    if pixel_mm is None:
        return image
    result = area_weights(image.shape[0], spacing_mm[0], pixel_mm) @ image @ area_weights(
        image.shape[1], spacing_mm[1], pixel_mm).T
    np.testing.assert_allclose(resample_to_pixel_size(image, spacing_mm, pixel_mm), result, rtol=1e-6)
    return result


def prepared_centres(orientation, spacing_mm, pixel_mm) -> tuple[np.ndarray, dict]:
    """(3, rows, cols) stored pixel centres carried through display reorientation and
    resampling as the HU image is, and the sidecar facts :func:`prepare_slice` writes for it
    (crop origin still to set)."""
    reorientation = display_reorientation(list(orientation), "slice.dcm")
    spacing = reorientation.spacing(list(spacing_mm))
    centres = np.stack([resampled(reorientation.apply(axis), spacing, pixel_mm)
                        for axis in stored_centres(orientation, spacing_mm)])
    meta = {"original_shape": list(SHAPE), "image_orientation_patient": list(orientation),
            "original_pixel_spacing_mm": spacing,
            "pixel_spacing_mm": spacing if pixel_mm is None else [pixel_mm, pixel_mm]}
    return centres, meta


def window_centres(geometry: SliceGeometry, rows: int, cols: int) -> np.ndarray:
    """(3, rows, cols) of ``geometry.pixel_centre`` over a window."""
    centres = [[geometry.pixel_centre(a, b) for b in range(cols)] for a in range(rows)]
    return np.array(centres).transpose(2, 0, 1)


def test_the_orientations_are_the_eight_axial_ones():
    assert len(set(AXIAL_ORIENTATIONS)) == 8


@pytest.mark.parametrize("spacing_mm, pixel_mm", [(SPACING_MM, None), (WHOLE_FRACTION_MM, 1.0)])
@pytest.mark.parametrize("orientation", AXIAL_ORIENTATIONS + [TILTED])
def test_every_window_pixel_centre_is_where_the_pipeline_puts_it(orientation, spacing_mm, pixel_mm):
    """An output pixel that averages whole input pixels holds the mean of their centres, its
    own centre: the resampled coordinate images are exact there."""
    centres, meta = prepared_centres(orientation, spacing_mm, pixel_mm)
    meta["crop_origin"] = [3, 5]
    geometry = window_geometry(SliceGeometry(POSITION_MM, orientation[:3], orientation[3:], spacing_mm), meta)
    np.testing.assert_allclose(window_centres(geometry, 15, 15), centres[:, 3:18, 5:20], rtol=0, atol=1e-6)
    assert geometry.spacing_mm == tuple(meta["pixel_spacing_mm"])
    assert all(isinstance(value, float) for value in [*geometry.position_mm, *geometry.orientation()])


@pytest.mark.parametrize("orientation", [AXIAL_ORIENTATIONS[0], AXIAL_ORIENTATIONS[-1], TILTED])
def test_padding_before_the_image_continues_the_same_grid(orientation):
    centres, meta = prepared_centres(orientation, WHOLE_FRACTION_MM, 1.0)
    rows, cols = centres.shape[1:]
    _, origin = crop_about(centres[0], image_centre(centres[0]), rows + 14, cols + 20, np.nan)
    assert origin == (-7, -10)
    meta["crop_origin"] = list(origin)
    geometry = window_geometry(
        SliceGeometry(POSITION_MM, orientation[:3], orientation[3:], WHOLE_FRACTION_MM), meta)
    np.testing.assert_allclose(geometry.pixel_centre(7, 10), centres[:, 0, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(window_centres(geometry, rows + 14, cols + 20)[:, 7:-7, 10:-10], centres,
                               rtol=0, atol=1e-6)
    step_down, step_across = centres[:, 1, 0] - centres[:, 0, 0], centres[:, 0, 1] - centres[:, 0, 0]
    extrapolated = centres[:, 0, 0] - 7 * step_down - 10 * step_across
    np.testing.assert_allclose(geometry.pixel_centre(0, 0), extrapolated, rtol=0, atol=1e-6)


@pytest.mark.parametrize("orientation", AXIAL_ORIENTATIONS + [TILTED])
def test_pixels_of_a_size_no_whole_multiple_of_the_input_are_centred_within_the_averaging_jitter(orientation):
    """Where an output pixel takes part of an input pixel, its weights' centroid (the resampled
    coordinates) moves off its footprint's centre by up to spacing^2 / (8 * pixel_mm) per axis
    and back again along the grid, averaging out; a grid misplaced by the half-pixel shift
    would be off by 0.1 mm or more on average."""
    centres, meta = prepared_centres(orientation, SPACING_MM, 1.0)
    meta["crop_origin"] = [0, 0]
    geometry = window_geometry(SliceGeometry(POSITION_MM, orientation[:3], orientation[3:], SPACING_MM), meta)
    error = window_centres(geometry, *centres.shape[1:]) - centres  # (3, rows, cols), mm
    jitter_mm = math.hypot(*(spacing**2 / 8 for spacing in SPACING_MM))
    assert np.linalg.norm(error, axis=0).max() <= jitter_mm + 1e-9
    np.testing.assert_allclose(error.mean(axis=(1, 2)), 0, atol=0.002)


def test_a_sidecar_of_another_spacing_is_refused():
    _, meta = prepared_centres(AXIAL_ORIENTATIONS[0], SPACING_MM, 1.0)
    meta.update(crop_origin=[0, 0], original_pixel_spacing_mm=[0.5, 0.5])
    with pytest.raises(ValueError, match="original_pixel_spacing_mm"):
        window_geometry(SliceGeometry(POSITION_MM, (1, 0, 0), (0, 1, 0), SPACING_MM), meta)


@pytest.mark.parametrize(
    "source", ["abdominal_ct/kits_00072/1-011.dcm", "abdominal_ct/pancreas_ct_0001/4-069.dcm"]
)
def test_a_prepared_real_slice_lies_in_display_orientation_as_does_an_upside_down_copy(source, tmp_path):
    """The pancreas slice is stored upside down, the KiTS one the display way up; the copy has
    its rows in reverse, its orientation tag and its first-pixel position saying so."""
    path = embedded_dicom_path(source)
    dataset = pydicom.dcmread(path)
    window, meta = prepare_slice(path, SliceSettings())
    geometry = window_geometry(SliceGeometry.from_dataset(dataset, str(path)), meta)
    np.testing.assert_allclose(geometry.orientation(), [1, 0, 0, 0, 1, 0], atol=1e-9)
    assert list(geometry.spacing_mm) == meta["pixel_spacing_mm"] == [1.0, 1.0]
    centres = window_centres(geometry, *window.shape)
    np.testing.assert_allclose(centres[2], float(dataset.ImagePositionPatient[2]), rtol=0, atol=1e-9)

    original = SliceGeometry.from_dataset(dataset, str(path))
    dataset.ImagePositionPatient = list(original.pixel_centre(dataset.Rows - 1, 0))
    dataset.ImageOrientationPatient = [*original.row_direction, *(-v for v in original.column_direction)]
    dataset.PixelData = np.ascontiguousarray(dataset.pixel_array[::-1]).tobytes()
    dataset.save_as(tmp_path / "flipped.dcm")
    flipped_window, flipped_meta = prepare_slice(tmp_path / "flipped.dcm", SliceSettings())
    np.testing.assert_array_equal(flipped_window, window)
    flipped = window_geometry(SliceGeometry.from_dataset(dataset, "flipped.dcm"), flipped_meta)
    np.testing.assert_allclose(window_centres(flipped, *window.shape), centres, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "keyword, value, tag",
    [("ImagePositionPatient", None, "(0020,0032)"), ("ImagePositionPatient", [1.0, 2.0], "(0020,0032)"),
     ("ImageOrientationPatient", None, "(0020,0037)"), ("PixelSpacing", None, "(0028,0030)")],
)
def test_a_missing_or_malformed_tag_stops_naming_the_file_and_the_tag(keyword, value, tag):
    dataset = Dataset()
    dataset.ImagePositionPatient = [0.0, 0.0, 0.0]
    dataset.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    dataset.PixelSpacing = [0.7, 0.8]
    if value is None:
        delattr(dataset, keyword)
    else:
        setattr(dataset, keyword, value)
    message = rf"^scan\.dcm: {keyword} \({tag[1:-1]}\) is missing or malformed"
    with pytest.raises(LdctInputError, match=message):
        SliceGeometry.from_dataset(dataset, "scan.dcm")
