"""The DnCNN paper's test of a Gaussian denoiser on gray images (Zhang et al., 2017, Table II).

As the authors' ``Demo_test_DnCNN.m`` does it: the clean image is uint8 / 255, white Gaussian
noise of SD ``sigma / 255`` is added without clipping, the network's output is converted back
to uint8 (clipped to [0, 1] and rounded, MATLAB's ``im2uint8``), and the PSNR is that of the
two uint8 images (peak 255). The noise comes from ``numpy.random.default_rng((seed, sigma))``,
so every run and machine draws the same noise.
"""

from __future__ import annotations

import numpy as np

from ldct.core.window import HuWindow
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.inference import denoise_stack
from ldct.denoising.scaling import window_scaling
from ldct.evaluation.metrics import psnr_from_mse

#: The network's own units: the identity map from [0, 1] images to the network's input.
UNIT_RANGE = HuWindow(0.0, 1.0)


def noisy_image(clean_u8: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``clean_u8`` / 255 plus Gaussian noise of SD ``sigma`` / 255 (float32, not clipped)."""
    rng = np.random.default_rng((seed, int(round(sigma * 1000))))
    clean = np.asarray(clean_u8, dtype=np.float64) / 255.0
    return (clean + rng.normal(0.0, sigma / 255.0, clean.shape)).astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """MATLAB's ``im2uint8`` of a [0, 1] image: clipped, times 255, rounded half away from 0."""
    scaled = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0
    return np.floor(scaled + 0.5).astype(np.uint8)


def denoised_psnr_db(
    model: DnCNN, clean_u8: np.ndarray, sigma: float, seed: int, device: str = "cpu"
) -> float:
    """PSNR (dB, peak 255) of ``model``'s output on the seeded noisy ``clean_u8`` (module
    docstring)."""
    noisy = noisy_image(clean_u8, sigma, seed)
    output = denoise_stack(model, noisy[None], window_scaling(UNIT_RANGE), device)[0]
    error = to_uint8(output).astype(np.float64) - np.asarray(clean_u8, dtype=np.float64)
    return float(psnr_from_mse(np.mean(error**2), 255.0))
