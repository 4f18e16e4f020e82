"""Pixel-area resampling against hand-computed overlaps and the white-noise variance law."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ldct.io.resample import area_weights, resample_to_pixel_size


def test_equal_pixel_sizes_leave_the_image_unchanged():
    image = np.random.default_rng(0).normal(0, 20, (7, 9)).astype(np.float32)
    assert_array_equal(area_weights(7, 0.8, 0.8), np.eye(7))
    assert_allclose(resample_to_pixel_size(image, (0.8, 0.8), 0.8), image, atol=1e-5)


def test_weights_are_the_overlap_lengths_of_the_two_grids():
    """Three 2/3 mm pixels [0, 2/3, 4/3, 2) onto two 1 mm pixels [0, 1, 2): overlaps
    (2/3, 1/3, 0) and (0, 1/3, 2/3) mm."""
    assert_allclose(area_weights(3, 2 / 3, 1.0), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])


def test_a_partial_last_pixel_is_left_out_and_rows_sum_to_one():
    assert area_weights(512, 0.6640625, 1.0).shape == (340, 512)  # 340.0 mm
    weights = area_weights(512, 0.664, 1.0)  # 339.97 mm: the 340th pixel is left out
    assert weights.shape == (339, 512)
    assert_allclose(weights.sum(axis=1), 1.0)


def test_halving_the_resolution_averages_two_by_two_blocks():
    image = np.arange(24, dtype=np.float32).reshape(4, 6)
    expected = image.reshape(2, 2, 3, 2).mean(axis=(1, 3))
    assert_allclose(resample_to_pixel_size(image, (0.5, 0.5), 1.0), expected)


def test_uniform_regions_keep_their_hu_and_the_integral_is_kept():
    """A uniform image stays uniform; the integral (HU x mm^2) of a field whose extent is a
    whole number of output pixels is unchanged."""
    assert_allclose(resample_to_pixel_size(np.full((30, 40), 40.0), (0.75, 0.75), 1.0), 40.0, rtol=1e-6)
    field = np.random.default_rng(1).normal(0, 1, (40, 60))  # 30 x 45 mm at 0.75 mm
    out = resample_to_pixel_size(field, (0.75, 0.75), 1.0)
    assert out.shape == (30, 45)
    assert_allclose(out.sum() * 1.0**2, field.sum() * 0.75**2, atol=1e-3)


@pytest.mark.parametrize("spacing", [0.5, 0.664, 0.859])
def test_white_noise_sd_falls_as_the_root_of_the_summed_squared_weights(spacing):
    """Independent pixels of SD 1: an output pixel's variance is sum(w_row^2) x sum(w_col^2);
    for an integer ratio (0.5 mm to 1 mm) that is (1/2)^2, SD 1/2 = spacing / pixel size."""
    noise = np.random.default_rng(2).standard_normal((600, 600))
    out = resample_to_pixel_size(noise, (spacing, spacing), 1.0)
    weights = area_weights(600, spacing, 1.0)
    expected_variance = np.mean((weights**2).sum(axis=1)) ** 2
    assert out.var() == pytest.approx(expected_variance, rel=0.05)
    if spacing == 0.5:
        assert out.std() == pytest.approx(0.5, rel=0.02)


def test_anisotropic_spacing_resamples_each_axis_on_its_own():
    image = np.ones((10, 20), np.float32)
    assert resample_to_pixel_size(image, (1.0, 0.5), 1.0).shape == (10, 10)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="must be positive"):
        area_weights(4, 0.0, 1.0)
    with pytest.raises(ValueError, match="less than one"):
        area_weights(1, 0.5, 1.0)
