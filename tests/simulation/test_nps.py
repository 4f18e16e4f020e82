"""Noise power spectra against Parseval's theorem, white noise and the simulation's own law."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.simulation.low_dose import (
    NoiseSettings,
    correlated_poisson_noise,
    noise_sd_multiplier,
    simulate_low_dose,
)
from ldct.simulation.mtf import parametric_mtf, radial_frequency
from ldct.simulation.nps import (
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


@pytest.mark.parametrize("spectrum", ["mtf2", "fbp"])
def test_model_nps_integrates_to_sigma_squared_and_matches_simulated_noise(spectrum):
    """The model's integral is sigma^2; 300 fields of correlated_poisson_noise follow it (5 %)."""
    curve = parametric_mtf(0.35, 0.6)
    sigma = 12.0
    model = model_noise_power_spectrum(SHAPE, SPACING, curve, sigma, spectrum)
    assert model.sum() * _bin_area(SHAPE, SPACING) == pytest.approx(sigma**2, rel=1e-12)
    assert model[0, 0] == 0.0
    rng = np.random.default_rng(3)
    fields = np.stack(
        [correlated_poisson_noise(SHAPE, SPACING, curve, sigma, 10_000, rng, spectrum) for _ in range(300)]
    )
    _, measured = radial_average(noise_power_spectrum(fields, SPACING), SPACING)
    _, expected = radial_average(model, SPACING)
    significant = expected > expected.max() * 1e-3
    assert np.median(np.abs(measured[significant] / expected[significant] - 1)) < 0.05


def test_simulated_noise_spectra_follow_the_dose_law():
    """Added-noise NPS at 50 % and 10 % dose is (m^2 - 1) x the full-dose NPS; dose 1 is the model."""
    curve = parametric_mtf(0.35, 0.6)
    settings = NoiseSettings(law="paper", multiplier_applies_to="total", spectrum="mtf2",
                             full_dose_sigma_hu=10.0, full_dose_photons=10_000)
    full_dose = np.random.default_rng(4).normal(40.0, 30.0, size=SHAPE)
    low_dose = {
        dose: [
            simulate_low_dose(full_dose, SPACING, dose, settings, curve, np.random.SeedSequence([dose_index, r]))
            for r in range(40)
        ]
        for dose_index, dose in enumerate((0.5, 0.1))
    }
    rows = simulated_noise_spectra(full_dose, low_dose, SPACING, curve, settings)
    full = [row for row in rows if row["dose"] == 1.0]
    assert all(np.isnan(row["nps_simulated_hu2_mm2"]) for row in full)
    for dose in (0.5, 0.1):
        dose_rows = [row for row in rows if row["dose"] == dose]
        excess = noise_sd_multiplier(dose, "paper") ** 2 - 1
        for row, full_row in zip(dose_rows, full):
            assert row["nps_model_hu2_mm2"] == pytest.approx(excess * full_row["nps_model_hu2_mm2"])
        ratio = np.array([row["nps_simulated_hu2_mm2"] / row["nps_model_hu2_mm2"] for row in dose_rows[:20]])
        assert np.median(np.abs(ratio - 1)) < 0.15


def _ring_means(values: np.ndarray, frequency: np.ndarray, width: float) -> np.ndarray:
    """Mean of ``values`` over rings of |f| of ``width``, DC bin left out (numpy only)."""
    ring = np.floor(frequency / width).astype(int)
    keep = frequency > 0
    sums = np.bincount(ring[keep], weights=values[keep])
    return sums / np.maximum(np.bincount(ring[keep]), 1)


def test_fbp_over_mtf2_nps_grows_in_proportion_to_frequency():
    """Measured NPS of 200 fbp fields over that of 200 mtf2 fields, ring by ring, is a |f|:
    a line through the origin fits it with RMS relative residual < 4 % (computed without
    ldct.simulation.nps). The same fit to mtf2 over mtf2 (flat) fails, so the check can tell."""
    shape, spacing, sigma = (128, 128), (0.7, 0.7), 10.0
    curve = parametric_mtf(0.35, 0.6)
    rng = np.random.default_rng(6)
    power = {}
    for spectrum in ("mtf2", "fbp", "mtf2 again"):
        fields = [correlated_poisson_noise(shape, spacing, curve, sigma, 10_000, rng, spectrum.split()[0])
                  for _ in range(200)]
        power[spectrum] = np.mean([np.abs(np.fft.fft2(field)) ** 2 for field in fields], axis=0)
    f_axis = np.fft.fftfreq(shape[0], d=spacing[0])
    frequency = np.hypot(f_axis[:, None], f_axis[None, :])
    width = 2.0 / (shape[0] * spacing[0])
    centre = _ring_means(frequency, frequency, width)
    reference = _ring_means(power["mtf2"], frequency, width)
    nyquist = 0.5 / spacing[0]
    # Rings 1.. up to where MTF^2 has fallen to 2 % (the power there is still well measured).
    selected = (np.arange(len(centre)) >= 1) & (centre < nyquist) & (curve(centre) ** 2 > 0.02)
    assert selected.sum() >= 15

    def misfit(numerator: str) -> float:
        ratio = (_ring_means(power[numerator], frequency, width) / reference)[selected]
        f = centre[selected]
        slope = np.sum(f * ratio) / np.sum(f * f)
        return float(np.sqrt(np.mean((ratio / (slope * f) - 1) ** 2)))

    assert misfit("fbp") < 0.04
    assert misfit("mtf2 again") > 0.2
