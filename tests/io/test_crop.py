"""The study window: body detection, windows about a centre, padding of small images."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from ldct.io.crop import body_centre, crop_about, image_centre
from ldct.io.embedded import DATA
from ldct.io.prepare import SliceSettings, prepare_slice


def phantom_with_table(centre=(70, 130), shape=(200, 260)):
    """Air, an elliptical 'body' of 40 HU (semi-axes 45 x 80 px) and a 3-px table shell of
    200 HU below it running across the whole image."""
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = np.full(shape, -1000.0, np.float32)
    body = ((rows - centre[0]) / 45.0) ** 2 + ((cols - centre[1]) / 80.0) ** 2 <= 1
    image[body] = 40.0
    image[centre[0] + 50 : centre[0] + 53, :] = 200.0
    return image


def test_body_centre_is_the_centre_of_the_body_not_of_the_table_or_image():
    row, col = body_centre(phantom_with_table(), pixel_mm=1.0)
    assert (row, col) == pytest.approx((70, 130), abs=1)


def test_no_body_in_air():
    assert body_centre(np.full((50, 50), -1000.0), pixel_mm=1.0) is None


def test_window_about_the_image_centre_rounds_half_pixels_down():
    """10 x 12 image, 4 x 6 window: rows 3..6, cols 3..8; 5 x 5: rows 2..6, cols 3..7."""
    image = np.arange(120, dtype=np.float32).reshape(10, 12)
    window, origin = crop_about(image, image_centre(image), 4, 6, fill=-1000)
    assert origin == (3, 3)
    assert_array_equal(window, image[3:7, 3:9])
    window, origin = crop_about(image, image_centre(image), 5, 5, fill=-1000)
    assert origin == (2, 3)
    assert_array_equal(window, image[2:7, 3:8])


def test_a_window_near_the_border_shifts_inside_the_image():
    image = np.arange(100, dtype=np.float32).reshape(10, 10)
    window, origin = crop_about(image, (0.0, 9.0), 4, 4, fill=-1000)
    assert origin == (0, 6)
    assert_array_equal(window, image[0:4, 6:10])


def test_an_image_smaller_than_the_window_is_padded_with_the_fill_value_in_the_middle():
    image = np.arange(20, dtype=np.float32).reshape(4, 5)
    window, origin = crop_about(image, (3.0, 0.0), 8, 3, fill=-1000)
    assert window.shape == (8, 3) and origin == (-2, 0)
    assert_array_equal(window[2:6], image[:, 0:3])
    assert (window[:2] == -1000).all() and (window[6:] == -1000).all()


def test_the_window_is_a_copy():
    image = np.zeros((8, 8), np.float32)
    window, _ = crop_about(image, image_centre(image), 4, 4, fill=0)
    window[:] = 1
    assert not image.any()


@pytest.mark.parametrize("folder", ["pancreas_ct_0001", "kits_00072", "cmb_crc_msb_01068", "totalsegmentator_example"])
def test_real_slices_at_one_mm_centre_the_window_on_the_abdomen(folder):
    """The first slice of every shipped patient at 1 mm: a full 250 x 350 window whose middle
    is soft tissue and whose body centre lies inside the body, not on the table below it."""
    path = sorted((DATA / "abdominal_ct" / folder).glob("*.dcm"))[0]
    window, meta = prepare_slice(path, SliceSettings())
    assert window.shape == (250, 350) and meta["pixel_spacing_mm"] == [1.0, 1.0]
    assert meta["crop_centre"] == "body"
    assert -200 < np.median(window[100:150, 150:200]) < 300
    centre_row, centre_col = (round(value) for value in meta["crop_centre_px"])
    assert meta["crop_origin"][0] < centre_row < meta["crop_origin"][0] + 250
