"""Noise power spectra against Parseval's theorem, white noise and the simulation's own law."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.mtf import parametric_mtf, radial_frequency
from ldct.noise import correlated_poisson_noise, noise_sd_multiplier, simulate_low_dose
from ldct.nps import (
    model_noise_power_spectrum,
    noise_power_spectrum,
    radial_average,
    simulated_noise_spectra,
)

SPACING = (0.5, 0.8)  # mm, deliberately anisotropic
SHAPE = (64, 96)


def _bin_area(shape, spacing):
    return 1.0 / (shape[0] * spacing[0] * shape[1] * spacing[1])


def test_parseval_sum_of_nps_is_the_variance():
    """sum(NPS) df_y df_x equals the mean variance of the (mean-removed) fields exactly."""
    fields = np.random.default_rng(1).normal(3.0, 5.0, size=(4, *SHAPE))
    nps = noise_power_spectrum(fields, SPACING)
    variance = np.mean([field.var() for field in fields])
    assert nps.sum() * _bin_area(SHAPE, SPACING) == pytest.approx(variance, rel=1e-12)
    assert nps[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_white_noise_is_flat_at_sigma_squared_times_pixel_area():
    """White noise of SD sigma: NPS = sigma^2 dy dx at every frequency (within 4 % per ring)."""
    sigma = 7.0
    fields = np.random.default_rng(2).normal(0.0, sigma, size=(400, *SHAPE))
    frequency, radial = radial_average(noise_power_spectrum(fields, SPACING), SPACING)
    expected = sigma**2 * SPACING[0] * SPACING[1]
    assert np.all(np.abs(radial / expected - 1) < 0.04)
    assert frequency.max() < min(0.5 / SPACING[0], 0.5 / SPACING[1])


def test_radial_average_of_a_radial_function_follows_it():
    """A 2-D array equal to |f| averages, ring by ring, to within half a ring width of the centre."""
    frequency_map = radial_frequency(SHAPE, SPACING)
    centres, values = radial_average(frequency_map, SPACING)
    width = max(1 / (SHAPE[0] * SPACING[0]), 1 / (SHAPE[1] * SPACING[1]))
    assert np.all(np.abs(values - centres) <= width / 2 + 1e-12)
    assert np.allclose(np.diff(centres), width)


def test_model_nps_integrates_to_sigma_squared_and_matches_simulated_noise():
    """The model's integral is sigma^2; 300 fields of correlated_poisson_noise follow it (5 %)."""
    curve = parametric_mtf(0.35, 0.6)
    sigma = 12.0
    model = model_noise_power_spectrum(SHAPE, SPACING, curve, sigma)
    assert model.sum() * _bin_area(SHAPE, SPACING) == pytest.approx(sigma**2, rel=1e-12)
    rng = np.random.default_rng(3)
    fields = np.stack(
        [correlated_poisson_noise(SHAPE, SPACING, curve, sigma, 10_000, rng) for _ in range(300)]
    )
    _, measured = radial_average(noise_power_spectrum(fields, SPACING), SPACING)
    _, expected = radial_average(model, SPACING)
    significant = expected > expected.max() * 1e-3
    assert np.median(np.abs(measured[significant] / expected[significant] - 1)) < 0.05


def test_simulated_noise_spectra_follow_the_dose_law():
    """Added-noise NPS at 50 % and 10 % dose is (m^2 - 1) x the full-dose NPS; dose 1 is the model."""
    curve = parametric_mtf(0.35, 0.6)
    full_dose = np.random.default_rng(4).normal(40.0, 30.0, size=SHAPE)
    low_dose = {
        dose: [
            simulate_low_dose(full_dose, SPACING, dose, "paper", 10.0, 10_000, curve, np.random.SeedSequence([dose_index, r]))
            for r in range(40)
        ]
        for dose_index, dose in enumerate((0.5, 0.1))
    }
    rows = simulated_noise_spectra(full_dose, low_dose, SPACING, curve, 10.0, "paper")
    full = [row for row in rows if row["dose"] == 1.0]
    assert all(np.isnan(row["nps_simulated_hu2_mm2"]) for row in full)
    for dose in (0.5, 0.1):
        dose_rows = [row for row in rows if row["dose"] == dose]
        excess = noise_sd_multiplier(dose, "paper") ** 2 - 1
        for row, full_row in zip(dose_rows, full):
            assert row["nps_model_hu2_mm2"] == pytest.approx(excess * full_row["nps_model_hu2_mm2"])
        ratio = np.array([row["nps_simulated_hu2_mm2"] / row["nps_model_hu2_mm2"] for row in dose_rows[:20]])
        assert np.median(np.abs(ratio - 1)) < 0.15
