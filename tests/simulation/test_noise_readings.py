"""The two readings of the SD multiplier and the fbp spectrum of ldct.simulation.low_dose, on water phantoms.

Phantom: 256 x 256 pixels of 0 HU, spacing 0.7 mm, parametric MTF (MTF50 0.35, MTF10 0.60
lp/mm). Expectations are analytic: added SD sigma0 m (``added``) or sigma0 sqrt(m^2 - 1)
(``total``), Poisson skewness 1/sqrt(lambda) with lambda = N / m^2 for ``added``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ldct.simulation.low_dose import (
    NoiseSettings,
    correlated_poisson_noise,
    simulate_draws,
    simulate_low_dose,
)
from ldct.simulation.mtf import mtf_filter, parametric_mtf

SHAPE = (256, 256)
SPACING = (0.7, 0.7)
CURVE = parametric_mtf(0.35, 0.60)
SIGMA0 = 10.0  # HU
PAPER = {0.75: 1.3, 0.5: 2.0, 0.1: 10.0, 0.05: 20.0}  # Usui et al. (2021)
CONFIG = {
    "law": "paper",
    "multiplier_applies_to": "total",
    "full_dose_sigma_hu": 10.0,
    "full_dose_photons": 10000,
    "spectrum": "mtf2",
}


def _settings(**changes) -> NoiseSettings:
    return NoiseSettings.from_config(dict(CONFIG, **changes))


def _multiplier(law: str, dose: float) -> float:
    return 1.0 / math.sqrt(dose) if law == "quantum" else PAPER[dose]


def _simulate(image, dose, settings, realization, curve=CURVE):
    return simulate_low_dose(image, SPACING, dose, settings, curve,
                             np.random.SeedSequence([77, round(dose * 1e6), realization]))


def _skewness(x: np.ndarray) -> float:
    centred = np.asarray(x, dtype=np.float64).ravel()
    centred = centred - centred.mean()
    return float(np.mean(centred**3) / np.mean(centred**2) ** 1.5)


def test_from_config_reads_each_key_and_takes_a_measured_sd():
    settings = NoiseSettings.from_config(CONFIG)
    assert settings == NoiseSettings(law="paper", multiplier_applies_to="total", spectrum="mtf2",
                                     full_dose_sigma_hu=10.0, full_dose_photons=10000)
    measured = NoiseSettings.from_config(dict(CONFIG, full_dose_sigma_hu="measure"), 7.5)
    assert measured.full_dose_sigma_hu == 7.5


@pytest.mark.parametrize("changes", [
    {"full_dose_sigma_hu": "measure"},  # measure needs a measured value
    {"full_dose_sigma_hu": 0.0},
    {"full_dose_photons": -1},
    {"law": "linear"},
    {"multiplier_applies_to": "both"},
    {"spectrum": "pink"},
])
def test_invalid_settings_raise(changes):
    with pytest.raises(ValueError):
        _settings(**changes)


@pytest.mark.parametrize("law", ["quantum", "paper"])
def test_added_variance_ratio_of_each_reading(law):
    """total: m^2 - 1; added: m^2; both 0 at dose 1."""
    for dose in PAPER:
        m = _multiplier(law, dose)
        assert_allclose(_settings(law=law).added_variance_ratio(dose), m**2 - 1, rtol=1e-12)
        added = _settings(law=law, multiplier_applies_to="added")
        assert_allclose(added.added_variance_ratio(dose), m**2, rtol=1e-12)
        assert_allclose(added.added_sd_hu(dose), SIGMA0 * m, rtol=1e-12)
    for reading in ("total", "added"):
        assert _settings(law=law, multiplier_applies_to=reading).added_variance_ratio(1.0) == 0.0


@pytest.mark.parametrize("law", ["quantum", "paper"])
def test_added_reading_adds_noise_of_sd_m_sigma0(law):
    """Noise-free water: the added noise SD is sigma0 m within 5 % (sigma0 sqrt(m^2-1) for total)."""
    water = np.zeros(SHAPE, dtype=np.float32)
    for dose in PAPER:
        m = _multiplier(law, dose)
        for reading, expected in (("added", SIGMA0 * m), ("total", SIGMA0 * math.sqrt(m**2 - 1))):
            settings = _settings(law=law, multiplier_applies_to=reading)
            sds = [_simulate(water, dose, settings, r).astype(np.float64).std() for r in range(3)]
            assert_allclose(np.mean(sds), expected, rtol=0.05, err_msg=f"{reading}, dose {dose}")


def test_added_reading_total_sd_is_sigma0_sqrt_one_plus_m_squared():
    """Full-dose noise of SD sigma0 plus the added noise: total SD sigma0 sqrt(1 + m^2) (5 %)."""
    white = np.random.default_rng(3).normal(size=SHAPE)
    shaped = mtf_filter(white, SPACING, CURVE)
    phantom = ((shaped - shaped.mean()) * (SIGMA0 / shaped.std())).astype(np.float32)
    settings = _settings(multiplier_applies_to="added")
    for dose in PAPER:
        total = _simulate(phantom, dose, settings, 0).astype(np.float64).std()
        assert_allclose(total, SIGMA0 * math.sqrt(1 + PAPER[dose] ** 2), rtol=0.05)


@pytest.mark.parametrize("reading", ["total", "added"])
@pytest.mark.parametrize("law", ["quantum", "paper"])
def test_full_dose_adds_nothing_in_either_reading(law, reading):
    """Dose 1 returns the full-dose image itself (float32), also where m(1) = 1 is 'added'."""
    phantom = np.random.default_rng(8).normal(40.0, 10.0, SHAPE)
    settings = _settings(law=law, multiplier_applies_to=reading)
    out = _simulate(phantom, 1.0, settings, 0)
    assert out.dtype == np.float32
    assert np.array_equal(out, phantom.astype(np.float32))


@pytest.mark.parametrize("law, dose, expected_lambda", [
    ("quantum", 0.5, 10.0),  # m^2 = 2
    ("paper", 0.5, 5.0),  # m = 2
])
def test_added_reading_draws_counts_with_lambda_n_over_m_squared(law, dose, expected_lambda):
    """full_dose_photons = 20, flat MTF: skewness of the added noise is 1/sqrt(N / m^2)."""
    settings = _settings(law=law, multiplier_applies_to="added", full_dose_photons=20.0)
    noise = _simulate(np.zeros((512, 512), np.float32), dose, settings, 0, curve=np.ones_like)
    assert_allclose(_skewness(noise), 1.0 / math.sqrt(expected_lambda), atol=0.03)


def test_fbp_field_has_the_requested_sd_and_zero_mean():
    """fbp noise: mean SD of 10 fields is the requested 12 HU within 2 %, each mean exactly 0."""
    rng = np.random.default_rng(4)
    fields = [correlated_poisson_noise(SHAPE, SPACING, CURVE, 12.0, 1e4, rng, "fbp") for _ in range(10)]
    assert_allclose(np.mean([field.std() for field in fields]), 12.0, rtol=0.02)
    assert max(abs(field.mean()) for field in fields) < 1e-9


def test_fbp_spectrum_changes_the_noise_but_not_the_draws():
    """Same seed: fbp and mtf2 fields differ, with the same SD; mean HU is kept."""
    water = np.zeros(SHAPE, dtype=np.float32)
    mtf2 = _simulate(water, 0.5, _settings(), 0).astype(np.float64)
    fbp = _simulate(water, 0.5, _settings(spectrum="fbp"), 0).astype(np.float64)
    assert not np.allclose(mtf2, fbp)
    assert_allclose(fbp.std(), mtf2.std(), rtol=0.05)
    assert abs(fbp.mean()) < 1e-3


def test_simulate_draws_stacks_one_image_per_draw():
    image = np.zeros((32, 32), dtype=np.float32)
    stack, seeds = simulate_draws(image, SPACING, [(1.0, 0), (0.5, 0), (0.5, 1)],
                                  _settings(multiplier_applies_to="added"), CURVE, 5, "water")
    assert stack.shape == (3, 32, 32) and stack.dtype == np.float32 and len(seeds) == 3
    assert not np.any(stack[0]) and np.all(stack[1:].std(axis=(1, 2)) > 0)


def test_white_noise_is_uncorrelated_between_pixels_with_a_flat_spectrum():
    """white: neighbouring pixels uncorrelated (|r| < 0.02; mtf2 fields of the same draws are
    strongly correlated), the requested 12 HU SD within 2 %, and the power in the highest
    frequency band that of the lowest within 10 % (flat NPS: equal power per frequency bin)."""
    rng = np.random.default_rng(6)
    white = [correlated_poisson_noise(SHAPE, SPACING, CURVE, 12.0, 1e4, rng, "white") for _ in range(10)]
    rng = np.random.default_rng(6)
    shaped = [correlated_poisson_noise(SHAPE, SPACING, CURVE, 12.0, 1e4, rng, "mtf2") for _ in range(10)]

    def neighbour_correlation(field):
        return np.corrcoef(field[:, :-1].ravel(), field[:, 1:].ravel())[0, 1]

    assert abs(np.mean([neighbour_correlation(field) for field in white])) < 0.02
    assert np.mean([neighbour_correlation(field) for field in shaped]) > 0.3
    assert_allclose(np.mean([field.std() for field in white]), 12.0, rtol=0.02)
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(SHAPE[0]), np.fft.fftfreq(SHAPE[1]), indexing="ij"))
    power = np.mean([np.abs(np.fft.fft2(field)) ** 2 for field in white], axis=0)
    low = power[(frequency > 0) & (frequency < 0.1)].mean()
    high = power[(frequency > 0.4) & (frequency < 0.5)].mean()
    assert_allclose(high / low, 1.0, rtol=0.1)
