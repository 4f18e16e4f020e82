"""SSIM and PSNR of a test image against its full-dose reference, in two conventions.

* Paper convention (Usui et al. 2021, eqs. 1 and 2): PSNR peak is max|x| of the test image
  x itself, as the paper states; SSIM uses the reference's own range max(y) - min(y) as the
  dynamic range L (the paper does not state L).
* Window convention (CT denoising benchmarks): both images are clipped to a fixed HU
  window [low_hu, high_hu] and the dynamic range is the window width, for SSIM and PSNR alike.

SSIM follows Wang et al. (2004): Gaussian-weighted local statistics (sigma 1.5 px, an
11 x 11 window), K1 = 0.01, K2 = 0.03, population (co)variances, averaged over the pixels
whose window lies inside the image.
"""

from __future__ import annotations

import numpy as np

from ldct.core.window import HuWindow

SSIM_SIGMA_PX = 1.5
SSIM_TRUNCATE = 3.5  # radius int(3.5 * 1.5 + 0.5) = 5 px: an 11 x 11 window
K1, K2 = 0.01, 0.03


def ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """Mean structural similarity of ``x`` and ``y`` (same shape, HU) for dynamic range ``data_range`` (HU)."""
    from scipy import ndimage  # here, so that reading METRIC_NAMES needs no scipy

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} and {y.shape}")

    def local_mean(image: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(image, SSIM_SIGMA_PX, truncate=SSIM_TRUNCATE, mode="reflect")

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x**2
    var_y = local_mean(y * y) - mu_y**2
    cov_xy = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    border = int(SSIM_TRUNCATE * SSIM_SIGMA_PX + 0.5)
    return float(ssim_map[border:-border, border:-border].mean())


def mean_squared_error(x: np.ndarray, y: np.ndarray) -> float:
    """Mean of (x - y)^2 over all pixels, HU^2."""
    difference = np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(np.mean(difference**2))


def psnr_from_mse(mse: np.ndarray | float, peak: float) -> np.ndarray:
    """PSNR in dB, 10 log10(peak^2 / mse), of one or many mean squared errors (in the squared
    units of ``peak``); ``inf`` where an error is 0. The one PSNR formula of ldct: the metrics
    tables and the training's validation PSNR both use it."""
    mse = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(mse == 0, np.inf, 10 * np.log10(peak**2 / np.where(mse == 0, 1.0, mse)))


def psnr(x: np.ndarray, y: np.ndarray, peak: float) -> float:
    """10 log10(peak^2 / MSE(x, y)) in dB; ``inf`` when the images are equal (which a metrics
    table refuses: its metrics must be finite)."""
    return float(psnr_from_mse(mean_squared_error(x, y), peak))


def paper_metrics(test: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """SSIM and PSNR as Usui et al. (2021) define them (eqs. 1 and 2)."""
    peak = float(np.max(np.abs(test)))
    data_range = float(np.max(reference) - np.min(reference))
    return {
        "ssim_paper": ssim(test, reference, data_range),
        "psnr_paper": psnr(test, reference, peak),
    }


def window_metrics(test: np.ndarray, reference: np.ndarray, window: HuWindow) -> dict[str, float]:
    """SSIM and PSNR of both images clipped to the HU ``window``, its width the dynamic range."""
    low_hu, high_hu = window.low_hu, window.high_hu
    width = high_hu - low_hu
    test_w, reference_w = np.clip(test, low_hu, high_hu), np.clip(reference, low_hu, high_hu)
    return {
        "ssim_window": ssim(test_w, reference_w, width),
        "psnr_window": psnr(test_w, reference_w, width),
    }


#: The metric columns of a metrics table; each value must be a finite number.
METRIC_NAMES = ("ssim_paper", "psnr_paper", "ssim_window", "psnr_window")
