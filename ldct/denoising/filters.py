"""Classical image-space denoisers with the settings of Usui et al. (2021).

All filters take and return float HU images; borders are handled by mirror reflection
(``scipy.ndimage`` mode ``reflect``: d c b a | a b c d | d c b a). Which function a method
name runs, and with which parameters, is the registry's (:mod:`ldct.core.methods`). Each filter
imports scipy when it runs, so a job that only copies the low-dose image, or runs a network,
does not pay for importing it.
"""

from __future__ import annotations

import numpy as np

from ldct.core.methods import method


def median(image: np.ndarray, size_px: int = 3) -> np.ndarray:
    """Median of each ``size_px`` x ``size_px`` neighbourhood."""
    from scipy import ndimage

    return ndimage.median_filter(image, size=size_px, mode="reflect")


def gaussian(image: np.ndarray, sigma_px: float = 1.0, truncate_sd: float = 4.0) -> np.ndarray:
    """Isotropic Gaussian smoothing, standard deviation ``sigma_px``, cut at ``truncate_sd`` SDs."""
    from scipy import ndimage

    return ndimage.gaussian_filter(image, sigma=sigma_px, mode="reflect", truncate=truncate_sd)


def wiener(image: np.ndarray, size_px: int = 5, noise_variance: float | None = None) -> np.ndarray:
    """Adaptive Wiener filter over ``size_px`` x ``size_px`` neighbourhoods (Lim 1990; wiener2).

    With local mean m and variance v, the output is m + max(v - n, 0) / v * (x - m), where
    the noise variance n (HU^2) defaults to the mean of the local variances.
    """
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float64)
    local_mean = ndimage.uniform_filter(image, size=size_px, mode="reflect")
    local_variance = ndimage.uniform_filter(image**2, size=size_px, mode="reflect") - local_mean**2
    local_variance = np.maximum(local_variance, 0.0)
    if noise_variance is None:
        noise_variance = float(local_variance.mean())
    gain = np.maximum(local_variance - noise_variance, 0.0) / np.maximum(
        local_variance, np.finfo(float).tiny
    )
    return local_mean + gain * (image - local_mean)


def nl_means(
    image: np.ndarray,
    patch_size_px: int = 7,
    patch_distance_px: int = 11,
    h_per_sigma: float = 0.6,
    noise_sd: str = "known",
    noise_sd_hu: float | None = None,
) -> np.ndarray:
    """Non-local means (``skimage.restoration.denoise_nl_means``, fast mode) with filtering
    strength ``h = h_per_sigma x sigma`` and the noise SD ``sigma`` (HU) subtracted from the
    patch distances: ``noise_sd_hu`` when ``noise_sd`` is ``known`` and it is given, else
    estimated from the image (``estimate_sigma``, wavelet-based)."""
    from skimage.restoration import denoise_nl_means, estimate_sigma

    if noise_sd not in ("known", "estimate"):
        raise ValueError(f"nl_means noise_sd must be 'known' or 'estimate', got {noise_sd!r}")
    image = np.asarray(image, dtype=np.float64)
    sigma = noise_sd_hu if noise_sd == "known" and noise_sd_hu is not None else float(estimate_sigma(image))
    return denoise_nl_means(
        image, patch_size=patch_size_px, patch_distance=patch_distance_px,
        h=h_per_sigma * sigma, sigma=sigma, fast_mode=True,
    )


def no_denoising(image: np.ndarray) -> np.ndarray:
    """The low-dose image itself: the 'noisy' reference row of the study."""
    return np.array(image, copy=True)


def denoise(
    image: np.ndarray,
    name: str,
    parameters: dict,
    noise_sd_hu: float | None = None,
    noise_psd: np.ndarray | None = None,
) -> np.ndarray:
    """Apply the registered image-space method ``name`` with ``parameters``; float32 HU out.

    What is known of the image's noise (its SD in HU, its power spectrum in the ``bm3d``
    package's convention) goes to the methods that take it (:mod:`ldct.core.methods`)."""
    entry = method(name)
    if entry.kind == "cnn":
        raise ValueError(f"method '{name}' is a CNN: run it with ldct.denoising.network")
    function = entry.resolve_function()
    extra = {"noise_sd_hu": noise_sd_hu} if entry.noise_sd else {}
    if entry.noise_psd:
        extra["noise_psd"] = noise_psd
    return function(np.asarray(image, dtype=np.float64), **parameters, **extra).astype(np.float32)
