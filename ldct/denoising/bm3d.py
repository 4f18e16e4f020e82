"""BM3D for correlated noise (method ``bm3d``), from the optional extra ``ldct[bm3d]``.

The ``bm3d`` package (Mäkinen, Azzari and Foi, Tampere University) is free for non-commercial use
only, so ldct never depends on it: ``pip install 'ldct[bm3d]'`` adds it, and a study that lists
the method without it stops before running (:func:`ldct.core.methods.require_extras`).

BM3D is told the noise's power spectrum, which the simulation knows: the noise of a simulated
image is stationary with the NPS of its reading (:func:`ldct.simulation.nps.model_noise_power_spectrum`:
MTF², |f|·MTF² or flat; the projection domain's FBP noise taken as |f|·MTF², its shape where it
is stationary) and the image's total noise SD. That makes it BM3D for correlated noise, the
classical upper bound for noise of a known spectrum.
"""

from __future__ import annotations

import numpy as np


def bm3d_psd(noise_power_spectrum_hu2_mm2: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """The ``bm3d`` package's PSD (the expected squared magnitude of the noise's unnormalised
    2-D DFT, per bin) of noise with the 2-D NPS given (HU² mm², ``numpy.fft.fft2`` bin order)."""
    rows, cols = noise_power_spectrum_hu2_mm2.shape
    return noise_power_spectrum_hu2_mm2 * rows * cols / (spacing_mm[0] * spacing_mm[1])


def bm3d_correlated(image: np.ndarray, profile: str = "np", noise_psd: np.ndarray | None = None) -> np.ndarray:
    """BM3D of ``image`` (HU) for noise of PSD ``noise_psd`` (:func:`bm3d_psd`; None: estimated
    as white noise of the SD ``skimage.restoration.estimate_sigma`` gives), ``profile`` the
    package's parameter profile ('np': normal, 'refilter', 'vn' ...)."""
    import bm3d

    if not hasattr(np, "trapz"):  # bm4d 4.2.5 calls np.trapz, which NumPy 2 renamed trapezoid
        np.trapz = np.trapezoid
    image = np.asarray(image, dtype=np.float64)
    if noise_psd is None:
        from skimage.restoration import estimate_sigma

        return np.asarray(bm3d.bm3d(image, float(estimate_sigma(image)), profile=profile))
    return np.asarray(bm3d.bm3d(image, noise_psd, profile=profile))
