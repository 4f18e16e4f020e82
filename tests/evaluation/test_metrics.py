"""Unit tests of ldct.evaluation.metrics against scikit-image and analytic SSIM / PSNR cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ldct.core.window import HuWindow
from ldct.evaluation.metrics import mean_squared_error, paper_metrics, psnr, ssim, window_metrics


def _skimage_ssim(x, y, data_range):
    return structural_similarity(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
        data_range=data_range, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False,
    )


def _structured(shape=(128, 128), seed=0) -> np.ndarray:
    """A CT-like slice: air, a water body, fat and bone discs, plus noise (HU)."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[: shape[0], : shape[1]]
    image = np.full(shape, -1000.0)
    image[(r - 64) ** 2 + (c - 64) ** 2 < 55**2] = 40.0
    image[(r - 50) ** 2 + (c - 45) ** 2 < 12**2] = -100.0
    image[(r - 80) ** 2 + (c - 85) ** 2 < 9**2] = 900.0
    return image + rng.normal(scale=15.0, size=shape)


def _pairs():
    rng = np.random.default_rng(42)
    x_random = rng.uniform(-500, 500, size=(96, 112))
    y_random = x_random + rng.normal(scale=80.0, size=x_random.shape)
    x_struct = _structured(seed=1)
    y_struct = _structured(seed=2)  # same anatomy, different noise
    y_blur = x_struct.copy()
    y_blur[1:-1, 1:-1] = 0.25 * (x_struct[:-2, 1:-1] + x_struct[2:, 1:-1]
                                 + x_struct[1:-1, :-2] + x_struct[1:-1, 2:])
    return [
        ("random", x_random, y_random, 1000.0),
        ("structured", x_struct, y_struct, 1900.0),
        ("blurred-window", x_struct, y_blur, 400.0),
        ("uncorrelated", rng.normal(size=(64, 64)), rng.normal(size=(64, 64)), 8.0),
    ]


@pytest.mark.parametrize("name, x, y, data_range", _pairs(), ids=[p[0] for p in _pairs()])
def test_ssim_equals_skimage(name, x, y, data_range):
    """ssim() equals skimage structural_similarity (Gaussian 1.5, population covariance) within 1e-6."""
    expected = _skimage_ssim(x, y, data_range)
    assert_allclose(ssim(x, y, data_range), expected, rtol=0, atol=1e-6)
    assert_allclose(ssim(y, x, data_range), expected, rtol=0, atol=1e-6)  # symmetric


def test_ssim_of_identical_images_is_one():
    """SSIM(x, x) = 1 for any image and range."""
    x = _structured(seed=3)
    assert_allclose(ssim(x, x, 1900.0), 1.0, rtol=0, atol=1e-12)
    assert_allclose(ssim(x, x, 10.0), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("a, b, data_range", [(40.0, 60.0, 400.0), (-1000.0, 40.0, 2000.0),
                                              (0.0, 10.0, 100.0), (100.0, 100.0, 50.0)])
def test_ssim_of_constant_images_is_analytic(a, b, data_range):
    """Constant x = a, y = b: variances vanish, SSIM = (2ab + C1) / (a^2 + b^2 + C1), C1 = (0.01 L)^2."""
    x, y = np.full((40, 48), a), np.full((40, 48), b)
    c1 = (0.01 * data_range) ** 2
    expected = (2 * a * b + c1) / (a**2 + b**2 + c1)
    assert_allclose(ssim(x, y, data_range), expected, rtol=1e-9, atol=1e-12)


def test_ssim_rejects_shape_mismatch():
    """Images of different shapes are a ValueError."""
    with pytest.raises(ValueError):
        ssim(np.zeros((20, 20)), np.zeros((20, 21)), 1.0)


@pytest.mark.parametrize("name, x, y, peak", _pairs(), ids=[p[0] for p in _pairs()])
def test_psnr_equals_skimage(name, x, y, peak):
    """psnr(x, y, peak) equals skimage peak_signal_noise_ratio(y, x, data_range=peak)."""
    expected = peak_signal_noise_ratio(y, x, data_range=peak)
    assert_allclose(psnr(x, y, peak), expected, rtol=1e-12)


def test_psnr_analytic_40_db():
    """max|x| = 100 and an error of exactly 1 everywhere: PSNR = 10 log10(100^2 / 1) = 40 dB."""
    rng = np.random.default_rng(7)
    reference = rng.integers(-99, 99, size=(50, 60)).astype(np.float64)
    reference[10, 10] = 99.0
    test = reference + 1.0  # max|test| = 100
    test[20, 20], reference[20, 20] = 50.0, 49.0
    assert np.max(np.abs(test)) == 100.0
    assert mean_squared_error(test, reference) == 1.0
    assert_allclose(psnr(test, reference, 100.0), 40.0, rtol=0, atol=1e-12)
    assert_allclose(paper_metrics(test, reference)["psnr_paper"], 40.0, rtol=0, atol=1e-12)


def test_psnr_of_identical_images_is_inf():
    """Zero error gives +inf dB, for psnr and for both metric conventions."""
    x = _structured(seed=4)
    assert psnr(x, x, 100.0) == math.inf
    assert paper_metrics(x, x)["psnr_paper"] == math.inf
    assert window_metrics(x, x, HuWindow(-160.0, 240.0))["psnr_window"] == math.inf


def test_paper_metrics_peak_and_range_by_hand():
    """PSNR peak = max|test| (a negative extreme here), SSIM range = max(ref) - min(ref)."""
    reference = _structured(seed=5)
    test = _structured(seed=6)
    test[3, 3] = -3000.0  # |min| dominates max(test), so peak must use the absolute value
    peak = 3000.0
    mse = np.mean((test - reference) ** 2)
    expected_psnr = 10 * math.log10(peak**2 / mse)
    data_range = reference.max() - reference.min()
    got = paper_metrics(test, reference)
    assert_allclose(got["psnr_paper"], expected_psnr, rtol=1e-12)
    assert_allclose(got["ssim_paper"], _skimage_ssim(test, reference, data_range), rtol=0, atol=1e-6)
    # The reference's range, not the test image's range.
    assert abs(got["ssim_paper"] - _skimage_ssim(test, reference, test.max() - test.min())) > 1e-3


def test_window_metrics_equal_skimage_on_clipped_images():
    """Window [-160, 240]: SSIM and PSNR equal skimage on clipped images with range 400."""
    reference = _structured(seed=8)
    test = _structured(seed=9)
    low, high = -160.0, 240.0
    test_c, reference_c = np.clip(test, low, high), np.clip(reference, low, high)
    got = window_metrics(test, reference, HuWindow(low, high))
    assert_allclose(got["ssim_window"], _skimage_ssim(test_c, reference_c, 400.0), rtol=0, atol=1e-6)
    assert_allclose(got["psnr_window"],
                    peak_signal_noise_ratio(reference_c, test_c, data_range=400.0), rtol=1e-12)
    expected_psnr = 10 * math.log10(400.0**2 / np.mean((test_c - reference_c) ** 2))
    assert_allclose(got["psnr_window"], expected_psnr, rtol=1e-12)


def test_window_metrics_ignore_values_outside_the_window():
    """Changing pixels that stay outside the window (air deeper, bone brighter) changes nothing."""
    reference = _structured(seed=10)
    test = _structured(seed=11)
    low, high = -160.0, 240.0
    before = window_metrics(test, reference, HuWindow(low, high))
    test2, reference2 = test.copy(), reference.copy()
    test2[test2 < low] -= 500.0
    reference2[reference2 > high] += 700.0
    test2[test2 > high] = 3000.0
    after = window_metrics(test2, reference2, HuWindow(low, high))
    assert before == after
    # ...while a change inside the window does change it.
    inside = test.copy()
    inside[(inside > low) & (inside < high)] += 5.0
    assert window_metrics(inside, reference, HuWindow(low, high))["psnr_window"] != before["psnr_window"]
