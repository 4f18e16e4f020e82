"""Unit tests of ldct.denoising.filters against brute-force numpy filters and scipy.signal.wiener.

scipy.ndimage mode 'reflect' (d c b a | a b c d) is numpy.pad mode 'symmetric'.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal

from ldct.denoising.filters import denoise, gaussian, median, nl_means, no_denoising, wiener


def _image(shape=(64, 80), seed=0) -> np.ndarray:
    """Random HU-like image: a smooth ramp, an edge and Gaussian noise."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[: shape[0], : shape[1]]
    image = 2.0 * r - 1.5 * c + np.where(c > shape[1] // 2, 300.0, -200.0)
    return image + rng.normal(scale=40.0, size=shape)


def _windows(image: np.ndarray, size: int) -> np.ndarray:
    """All size x size neighbourhoods of the symmetric-padded image, stacked on axis 0."""
    radius = size // 2
    padded = np.pad(image, radius, mode="symmetric")
    rows, cols = image.shape
    return np.stack([padded[i : i + rows, j : j + cols] for i in range(size) for j in range(size)])


@pytest.mark.parametrize("size", [3, 5])
def test_median_equals_brute_force(size):
    """median() equals numpy's median over every reflect-padded size x size window."""
    image = _image()
    expected = np.median(_windows(image, size), axis=0)
    assert_allclose(median(image, size_px=size), expected, rtol=0, atol=1e-12)


def test_median_removes_isolated_spike():
    """A single-pixel spike in a flat image is removed entirely by the 3 x 3 median."""
    image = np.full((16, 16), 40.0)
    image[8, 8] = 3000.0
    assert_array_equal(median(image, 3), np.full((16, 16), 40.0))


@pytest.mark.parametrize("sigma", [1.0, 0.7, 2.0])
def test_gaussian_equals_explicit_convolution(sigma):
    """gaussian() equals a 2-D convolution with a normalised sampled Gaussian of radius int(4 sigma + 0.5)."""
    image = _image(seed=1)
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(image, radius, mode="symmetric")
    rows, cols = image.shape
    expected = np.zeros_like(image)
    for i, di in enumerate(offsets):
        for j, dj in enumerate(offsets):
            expected += kernel[i, j] * padded[radius + di : radius + di + rows,
                                              radius + dj : radius + dj + cols]
    assert_allclose(gaussian(image, sigma_px=sigma, truncate_sd=4.0), expected, rtol=0, atol=1e-9)


def test_gaussian_preserves_constant_and_mean_of_linear_ramp():
    """A constant stays constant; a linear ramp is unchanged away from the border (odd kernel)."""
    assert_allclose(gaussian(np.full((20, 20), -700.0)), -700.0, rtol=0, atol=1e-9)
    r, c = np.mgrid[:40, :40]
    ramp = 3.0 * r + 2.0 * c
    assert_allclose(gaussian(ramp)[5:-5, 5:-5], ramp[5:-5, 5:-5], rtol=0, atol=1e-9)


@pytest.mark.parametrize("noise", [100.0, 1600.0, 10000.0])
def test_wiener_equals_scipy_on_interior(noise):
    """With the same explicit noise variance, wiener() equals scipy.signal.wiener(mysize=5) 2 px from the border."""
    image = _image(seed=2)
    expected = signal.wiener(image, mysize=5, noise=noise)
    got = wiener(image, size_px=5, noise_variance=noise)
    assert_allclose(got[2:-2, 2:-2], expected[2:-2, 2:-2], rtol=1e-9, atol=1e-7)


def test_wiener_default_noise_is_mean_local_variance():
    """Default noise = mean of reflect-padded 5 x 5 local variances; output m + max(v-n,0)/v (x-m)."""
    image = _image(seed=3)
    windows = _windows(image, 5)
    mean = windows.mean(axis=0)
    variance = windows.var(axis=0)  # population variance
    noise = variance.mean()
    expected = mean + np.maximum(variance - noise, 0.0) / variance * (image - mean)
    assert_allclose(wiener(image, size_px=5), expected, rtol=0, atol=1e-7)


def test_wiener_of_constant_is_constant():
    """A constant image (zero local variance everywhere) comes back as the same constant."""
    image = np.full((32, 32), 37.25)
    assert_allclose(wiener(image, size_px=5), 37.25, rtol=0, atol=1e-9)
    assert_allclose(wiener(image, size_px=5, noise_variance=10.0), 37.25, rtol=0, atol=1e-9)
    assert np.all(np.isfinite(wiener(np.zeros((8, 8)))))


def test_noisy_returns_an_equal_copy():
    """'noisy' returns the same values in a new array (editing it leaves the input alone)."""
    image = _image(seed=4)
    original = image.copy()
    out = no_denoising(image)
    assert_array_equal(out, image)
    assert out is not image
    out[0, 0] += 1.0
    assert_array_equal(image, original)
    assert_array_equal(denoise(image, "noisy", {}), image.astype(np.float32))


def test_denoise_unknown_method_raises():
    """An unknown method name, or a CNN method, is a ValueError that names it."""
    with pytest.raises(ValueError, match="bilateral"):
        denoise(np.zeros((8, 8)), "bilateral", {})
    with pytest.raises(ValueError, match="'dncnn' is a CNN"):
        denoise(np.zeros((8, 8)), "dncnn", {})


@pytest.mark.parametrize("method, function, parameters", [
    ("noisy", no_denoising, {}),
    ("median", median, {"size_px": 3}),
    ("gaussian", gaussian, {"sigma_px": 1.0, "truncate_sd": 4.0}),
    ("wiener", wiener, {"size_px": 5}),
])
def test_denoise_dispatches_and_returns_float32(method, function, parameters):
    """denoise() returns float32 of the same shape, equal to the float64 filter rounded to float32."""
    image = _image(seed=5).astype(np.float32)
    out = denoise(image, method, parameters)
    assert out.dtype == np.float32
    assert out.shape == image.shape
    direct = function(image.astype(np.float64), **parameters)
    assert_array_equal(out, direct.astype(np.float32))


# --------------------------------------------------------------------------- non-local means

NL_MEANS = {"patch_size_px": 5, "patch_distance_px": 6, "h_per_sigma": 0.8}


def _phantom_with_noise(sigma: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A piecewise-constant abdomen-like phantom (HU) and a copy with white noise of SD sigma."""
    rows, cols = np.mgrid[:96, :128]
    clean = np.full((96, 128), -1000.0)
    clean[((rows - 48) / 40) ** 2 + ((cols - 64) / 58) ** 2 < 1] = 40.0
    clean[(rows - 40) ** 2 + (cols - 45) ** 2 < 15**2] = 90.0
    clean[(rows - 60) ** 2 + (cols - 85) ** 2 < 8**2] = 700.0
    clean[30:36, 60:100] = -100.0
    return clean, clean + np.random.default_rng(seed).normal(0.0, sigma, clean.shape)


def test_nl_means_is_told_the_known_noise_sd_or_estimates_it():
    """known: h and sigma from the given SD; estimate (or no SD given): from estimate_sigma."""
    from skimage.restoration import denoise_nl_means, estimate_sigma

    _, noisy = _phantom_with_noise(30.0, seed=6)

    def direct(sigma):
        return denoise_nl_means(noisy, patch_size=5, patch_distance=6, h=0.8 * sigma, sigma=sigma, fast_mode=True)

    assert_allclose(nl_means(noisy, **NL_MEANS, noise_sd_hu=30.0), direct(30.0), atol=1e-9)
    estimated = float(estimate_sigma(noisy))
    assert estimated == pytest.approx(30.0, rel=0.2)  # a different number from the known one
    for output in (nl_means(noisy, **NL_MEANS, noise_sd="estimate", noise_sd_hu=30.0),
                   nl_means(noisy, **NL_MEANS)):
        assert_allclose(output, direct(estimated), atol=1e-9)
    through_registry = denoise(noisy, "nl_means", dict(NL_MEANS, noise_sd="known"), noise_sd_hu=30.0)
    assert_array_equal(through_registry, direct(30.0).astype(np.float32))
    with pytest.raises(ValueError, match="noise_sd"):
        nl_means(noisy, noise_sd="guess")


@pytest.mark.parametrize("sigma", [20.0, 60.0])
def test_nl_means_beats_the_gaussian_filter_on_a_phantom_with_known_noise(sigma):
    """Lower RMSE and higher SSIM than the paper's Gaussian (sigma 1 px), told the true SD."""
    from ldct.evaluation.metrics import paper_metrics

    clean, noisy = _phantom_with_noise(sigma, seed=7)
    smoothed = gaussian(noisy, sigma_px=1.0)
    denoised = nl_means(noisy, **NL_MEANS, noise_sd_hu=sigma)
    rmse = {name: np.sqrt(np.mean((image - clean) ** 2)) for name, image in (("nl", denoised), ("g", smoothed))}
    assert rmse["nl"] < 0.8 * rmse["g"]
    assert paper_metrics(denoised, clean)["ssim_paper"] > paper_metrics(smoothed, clean)["ssim_paper"]
