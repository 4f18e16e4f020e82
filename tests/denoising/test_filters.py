"""Unit tests of ldct.denoising.filters against brute-force numpy filters and scipy.signal.wiener.

scipy.ndimage mode 'reflect' (d c b a | a b c d) is numpy.pad mode 'symmetric'.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal

from ldct.denoising.filters import denoise, gaussian, median, no_denoising, wiener


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
