"""BM3D for correlated noise (optional extra ldct[bm3d]): the spectrum it is told."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.denoising.bm3d import bm3d_correlated, bm3d_psd
from ldct.simulation.low_dose import correlated_poisson_noise
from ldct.simulation.mtf import parametric_mtf
from ldct.simulation.nps import model_noise_power_spectrum

SPACING = (0.8, 0.8)
CURVE = parametric_mtf(0.35, 0.60)


def test_white_noise_gets_the_packages_own_psd():
    """The bm3d package turns a scalar SD s into the PSD s^2 M N in every bin; a flat NPS of the
    same SD must give the same numbers (the DC bin aside, which the model leaves out)."""
    nps = model_noise_power_spectrum((40, 60), SPACING, CURVE, 10.0, "white")
    psd = bm3d_psd(nps, SPACING)
    expected = np.full((40, 60), 100.0 * 40 * 60)
    assert psd[0, 0] == 0.0
    psd[0, 0] = expected[0, 0]
    assert psd == pytest.approx(expected, rel=1e-3)  # mean(T^2) over all bins counts the DC 0


def test_told_the_spectrum_bm3d_beats_bm3d_told_white_noise():
    pytest.importorskip("bm3d")
    rows, cols = np.mgrid[:96, :128]
    clean = np.full((96, 128), -1000.0)
    clean[((rows - 48) / 40) ** 2 + ((cols - 64) / 58) ** 2 < 1] = 40.0
    clean[(rows - 40) ** 2 + (cols - 45) ** 2 < 15**2] = 90.0
    noise = correlated_poisson_noise(clean.shape, SPACING, CURVE, 40.0, 1e4, np.random.default_rng(3))
    noisy = clean + noise
    nps = model_noise_power_spectrum(clean.shape, SPACING, CURVE, 40.0, "mtf2")
    told = bm3d_correlated(noisy, noise_psd=bm3d_psd(nps, SPACING))
    white = bm3d_correlated(noisy, noise_psd=bm3d_psd(model_noise_power_spectrum(clean.shape, SPACING, CURVE, 40.0, "white"), SPACING))

    def rmse(image):
        return float(np.sqrt(np.mean((image - clean) ** 2)))

    assert rmse(told) < rmse(white) < rmse(noisy)
