"""Classical image-space denoisers with the settings of Usui et al. (2021).

All filters take and return float HU images; borders are handled by mirror reflection
(``scipy.ndimage`` mode ``reflect``: d c b a | a b c d | d c b a).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def median(image: np.ndarray, size: int = 3) -> np.ndarray:
    """Median of each ``size`` x ``size`` neighbourhood (pixels)."""
    return ndimage.median_filter(image, size=size, mode="reflect")


def gaussian(image: np.ndarray, sigma: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    """Isotropic Gaussian smoothing, standard deviation ``sigma`` pixels, cut at ``truncate`` SDs."""
    return ndimage.gaussian_filter(image, sigma=sigma, mode="reflect", truncate=truncate)


def wiener(image: np.ndarray, size: int = 5, noise_variance: float | None = None) -> np.ndarray:
    """Adaptive Wiener filter over ``size`` x ``size`` neighbourhoods (Lim 1990; MATLAB wiener2).

    With local mean m and variance v, the output is m + max(v - n, 0) / v * (x - m), where
    the noise variance n (HU^2) defaults to the mean of the local variances.
    """
    image = np.asarray(image, dtype=np.float64)
    local_mean = ndimage.uniform_filter(image, size=size, mode="reflect")
    local_variance = ndimage.uniform_filter(image**2, size=size, mode="reflect") - local_mean**2
    local_variance = np.maximum(local_variance, 0.0)
    if noise_variance is None:
        noise_variance = float(local_variance.mean())
    gain = np.maximum(local_variance - noise_variance, 0.0) / np.maximum(
        local_variance, np.finfo(float).tiny
    )
    return local_mean + gain * (image - local_mean)


def no_denoising(image: np.ndarray) -> np.ndarray:
    """The low-dose image itself: the 'noisy' reference row of the study."""
    return np.array(image, copy=True)


#: Method name -> filter. Each method's keyword parameters come from config ``denoise.methods``.
METHODS = {"noisy": no_denoising, "median": median, "gaussian": gaussian, "wiener": wiener}


def denoise(image: np.ndarray, method: str, parameters: dict) -> np.ndarray:
    """Apply denoising ``method`` with ``parameters``; returns a float32 HU image."""
    if method not in METHODS:
        raise ValueError(f"unknown denoising method '{method}', expected one of {sorted(METHODS)}")
    return METHODS[method](np.asarray(image, dtype=np.float64), **parameters).astype(np.float32)
