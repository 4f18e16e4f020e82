"""Physics acceptance of the low-dose simulation (ldct.simulation.low_dose) on a uniform water phantom.

Phantom: 256 x 256 pixels of 0 HU, spacing 0.7 mm, parametric MTF with MTF50 = 0.35 and
MTF10 = 0.60 lp/mm. Expectations are analytic (dose laws, Poisson skewness, MTF^2) or
computed independently in the test (SHA-256 seeds, radial binning with numpy's own grid).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ldct.simulation.low_dose import (
    PAPER_SD_MULTIPLIERS,
    NoiseSettings,
    correlated_poisson_noise,
    noise_sd_multiplier,
    simulate_low_dose,
    simulation_seed,
)
from ldct.simulation.mtf import mtf_filter, parametric_mtf

SHAPE = (256, 256)
SPACING = (0.7, 0.7)
CURVE = parametric_mtf(0.35, 0.60)
SIGMA0 = 10.0  # full-dose noise SD, HU
PHOTONS = 10_000.0  # full-dose photons per pixel
EVAL_DOSES = (1.0, 0.75, 0.5, 0.1, 0.05)
PAPER = {1.0: 1.0, 0.75: 1.3, 0.5: 2.0, 0.1: 10.0, 0.05: 20.0}  # Usui et al. (2021)


def _water() -> np.ndarray:
    return np.zeros(SHAPE, dtype=np.float32)


def _full_dose_noise(seed: int) -> np.ndarray:
    """MTF-shaped Gaussian noise of SD exactly SIGMA0, made independently of ldct.simulation.low_dose."""
    white = np.random.default_rng(seed).normal(size=SHAPE)
    shaped = mtf_filter(white, SPACING, CURVE)
    shaped -= shaped.mean()
    return shaped * (SIGMA0 / shaped.std())


def _settings(law, sigma=SIGMA0, photons=PHOTONS):
    return NoiseSettings(law=law, multiplier_applies_to="total", spectrum="mtf2",
                         full_dose_sigma_hu=sigma, full_dose_photons=photons)


def _simulate(image, dose, law, realization, *, image_id="water", sigma=SIGMA0,
              photons=PHOTONS, curve=CURVE, global_seed=1234):
    return simulate_low_dose(
        image, SPACING, dose, _settings(law, sigma, photons), curve,
        simulation_seed(global_seed, image_id, dose, realization),
    )


def _skewness(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64).ravel()
    centred = x - x.mean()
    return float(np.mean(centred**3) / np.mean(centred**2) ** 1.5)


# --------------------------------------------------------------------------- dose laws


@pytest.mark.parametrize("dose", [1.0, 0.75, 0.5, 0.3, 0.1, 0.05, 0.01, 1e-4])
def test_quantum_law_is_inverse_sqrt_dose(dose):
    """The quantum law gives m = 1/sqrt(d)."""
    assert_allclose(noise_sd_multiplier(dose, "quantum"), 1.0 / math.sqrt(dose), rtol=1e-14)


@pytest.mark.parametrize("dose, multiplier", sorted(PAPER.items()))
def test_paper_law_hits_stated_multipliers(dose, multiplier):
    """The paper law gives exactly 1, 1.3, 2, 10, 20 at 100, 75, 50, 10, 5 % dose."""
    assert PAPER_SD_MULTIPLIERS[dose] == multiplier
    assert_allclose(noise_sd_multiplier(dose, "paper"), multiplier, rtol=1e-12)


def test_paper_law_is_monotone_between_points():
    """On a fine dose grid from 0.01 to 1 the paper multiplier decreases with dose."""
    doses = np.linspace(0.01, 1.0, 2000)
    values = np.array([noise_sd_multiplier(d, "paper") for d in doses])
    assert np.all(np.diff(values) < 0)
    # Between two stated points, log-log interpolation: geometric mean at the log midpoint.
    mid = math.sqrt(0.1 * 0.5)
    assert_allclose(noise_sd_multiplier(mid, "paper"), math.sqrt(10.0 * 2.0), rtol=1e-12)


@pytest.mark.parametrize("dose", [0.04, 0.02, 0.01, 0.001])
def test_paper_law_below_5_percent_is_inverse_dose(dose):
    """Below 5 % the 5-10 % segment (m = 1/d there: 10 at 0.1, 20 at 0.05) is extended."""
    assert_allclose(noise_sd_multiplier(dose, "paper"), 1.0 / dose, rtol=1e-10)


def test_paper_law_one_percent_is_100():
    """The training dose 0.01 gets m = 100."""
    assert_allclose(noise_sd_multiplier(0.01, "paper"), 100.0, rtol=1e-10)


@pytest.mark.parametrize("law", ["quantum", "paper"])
@pytest.mark.parametrize("dose", [0.0, -0.1, 1.0000001, 2.0])
def test_dose_outside_unit_interval_raises(law, dose):
    """Dose 0, negative or above 1 is a ValueError for both laws."""
    with pytest.raises(ValueError):
        noise_sd_multiplier(dose, law)


def test_unknown_law_raises():
    """An unknown law name is a ValueError."""
    with pytest.raises(ValueError):
        noise_sd_multiplier(0.5, "linear")


# --------------------------------------------------------------------------- noise SD law


@pytest.mark.parametrize("law", ["quantum", "paper"])
def test_total_noise_sd_follows_the_law(law):
    """Phantom with full-dose noise SD 10 HU: SD(d) / SD(1) = m(d) within 5 %."""
    realizations = 3
    variance = {dose: 0.0 for dose in EVAL_DOSES}
    for realization in range(realizations):
        phantom = _full_dose_noise(seed=100 + realization).astype(np.float32)
        for dose in EVAL_DOSES:
            out = _simulate(phantom, dose, law, realization).astype(np.float64)
            variance[dose] += out.var() / realizations
    for dose in EVAL_DOSES:
        expected = 1.0 / math.sqrt(dose) if law == "quantum" else PAPER[dose]
        ratio = math.sqrt(variance[dose] / variance[1.0])
        assert_allclose(ratio, expected, rtol=0.05, err_msg=f"{law} law, dose {dose}")


@pytest.mark.parametrize("law", ["quantum", "paper"])
def test_added_noise_alone_has_excess_sd(law):
    """On a noise-free phantom the added noise SD is sigma0 sqrt(m^2 - 1) within 5 %."""
    for dose in EVAL_DOSES[1:]:
        m = 1.0 / math.sqrt(dose) if law == "quantum" else PAPER[dose]
        sds = [_simulate(_water(), dose, law, r).astype(np.float64).std() for r in range(3)]
        assert_allclose(np.mean(sds), SIGMA0 * math.sqrt(m**2 - 1), rtol=0.05,
                        err_msg=f"{law} law, dose {dose}")


def test_full_dose_adds_nothing():
    """At dose 1 the image comes back unchanged (float32), for both laws."""
    phantom = _full_dose_noise(seed=7)
    for law in ("quantum", "paper"):
        out = _simulate(phantom, 1.0, law, 0)
        assert out.dtype == np.float32
        assert np.array_equal(out, phantom.astype(np.float32))


# --------------------------------------------------------------------------- noise power spectrum


def _radial_profile(power: np.ndarray, frequency: np.ndarray, width: float) -> np.ndarray:
    # Rings of `width`; the two innermost are merged (the first alone holds only 44 bins,
    # too few for a 10 % tolerance with 20 realizations).
    index = np.maximum(np.floor(frequency / width).astype(int), 1)
    keep = frequency > 0  # no DC bin
    counts = np.bincount(index[keep], minlength=index.max() + 1)
    sums = np.bincount(index[keep], weights=power[keep], minlength=index.max() + 1)
    return sums / np.maximum(counts, 1)


def _nps_matches_mtf2(power: np.ndarray) -> float:
    """Largest relative deviation of the normalised radial NPS from normalised MTF^2."""
    rows = np.fft.fftfreq(SHAPE[0], d=SPACING[0])
    cols = np.fft.fftfreq(SHAPE[1], d=SPACING[1])
    frequency = np.hypot(rows[:, None], cols[None, :])
    width = 4.0 / (SHAPE[1] * SPACING[1])  # four FFT bins per ring
    mtf2 = _radial_profile(CURVE(frequency) ** 2, frequency, width)
    nps = _radial_profile(power, frequency, width)
    selected = mtf2 > 0.05
    assert selected.sum() >= 15
    mtf2, nps = mtf2[selected] / mtf2[selected].mean(), nps[selected] / nps[selected].mean()
    return float(np.max(np.abs(nps / mtf2 - 1.0)))


def test_noise_power_spectrum_follows_mtf_squared():
    """Mean |FFT(noise)|^2 over 20 realizations, radially binned, matches MTF^2 within 10 %."""
    power = np.zeros(SHAPE)
    for realization in range(20):
        noise = _simulate(_water(), 0.5, "paper", realization).astype(np.float64)
        power += np.abs(np.fft.fft2(noise)) ** 2
    assert _nps_matches_mtf2(power) < 0.10


def test_nps_check_rejects_white_noise():
    """The same check fails for white noise, so it can tell MTF-shaped noise from white."""
    rng = np.random.default_rng(5)
    power = np.zeros(SHAPE)
    for _ in range(20):
        white = rng.normal(scale=SIGMA0, size=SHAPE)
        power += np.abs(np.fft.fft2(white - white.mean())) ** 2
    assert _nps_matches_mtf2(power) > 0.5


# --------------------------------------------------------------------------- mean HU


def _structured_phantom() -> np.ndarray:
    """Air background, a water body, a fat disc and a bone disc (HU)."""
    r, c = np.mgrid[: SHAPE[0], : SHAPE[1]]
    image = np.full(SHAPE, -1000.0)
    image[(r - 128) ** 2 + (c - 128) ** 2 < 110**2] = 40.0
    image[(r - 100) ** 2 + (c - 90) ** 2 < 20**2] = -100.0
    image[(r - 160) ** 2 + (c - 170) ** 2 < 15**2] = 1200.0
    return image.astype(np.float32)


@pytest.mark.parametrize("dose", EVAL_DOSES)
def test_mean_hu_is_preserved(dose):
    """Paper law, every eval dose down to 5 %: the mean HU moves by less than 1 HU."""
    for phantom in (_water(), _structured_phantom()):
        for realization in range(2):
            out = _simulate(phantom, dose, "paper", realization).astype(np.float64)
            assert abs(out.mean() - phantom.astype(np.float64).mean()) < 1.0
    # The water phantom's mean stays at 0 HU even at 20 x the noise.
    assert abs(_simulate(_water(), dose, "paper", 0).astype(np.float64).mean()) < 1.0


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_bitwise_identical_image():
    """Same (global seed, image, dose, realization): same array, same bytes."""
    phantom = _structured_phantom()
    first = _simulate(phantom, 0.1, "paper", 3, image_id="abdomen")
    second = _simulate(phantom, 0.1, "paper", 3, image_id="abdomen")
    assert np.array_equal(first, second)
    assert first.tobytes() == second.tobytes()


def test_different_realization_image_or_seed_gives_different_image():
    """Changing the realization, the image id, the dose or the global seed changes the noise."""
    phantom = _water()
    base = _simulate(phantom, 0.1, "paper", 3, image_id="abdomen")
    others = [
        _simulate(phantom, 0.1, "paper", 4, image_id="abdomen"),
        _simulate(phantom, 0.1, "paper", 3, image_id="spine"),
        _simulate(phantom, 0.1, "paper", 3, image_id="abdomen", global_seed=1235),
    ]
    for other in others:
        assert not np.array_equal(base, other)
        # Independent noise fields are essentially uncorrelated.
        assert abs(np.corrcoef(base.ravel(), other.ravel())[0, 1]) < 0.1


def test_simulation_seed_entropy_is_fixed():
    """The seed entropy is [global seed, first 8 bytes of SHA-256 (little endian), ppm dose, realization]."""
    image_key = int.from_bytes(hashlib.sha256(b"abdomen").digest()[:8], "little")
    assert simulation_seed(20210621, "abdomen", 0.05, 3).entropy == [20210621, image_key, 50000, 3]
    assert simulation_seed(20210621, "abdomen", 0.75, 0).entropy == [20210621, image_key, 750000, 0]
    assert simulation_seed(1, "abdomen", 1.0, 9).entropy[2] == 1_000_000
    # Fixed across Python runs and machines: the literal value of that SHA-256 key.
    assert image_key == 6987833679649553180
    # The generator behind it equals one seeded by hand with that list.
    by_hand = np.random.default_rng(np.random.SeedSequence([20210621, image_key, 50000, 3]))
    from_ldct = np.random.default_rng(simulation_seed(20210621, "abdomen", 0.05, 3))
    assert np.array_equal(by_hand.integers(0, 2**62, 16), from_ldct.integers(0, 2**62, 16))


def test_simulation_seed_repeats_across_calls():
    """Two calls with the same input give SeedSequences with equal entropy and equal state."""
    a = simulation_seed(7, "head", 0.1, 2)
    b = simulation_seed(7, "head", 0.1, 2)
    assert a.entropy == b.entropy
    assert np.array_equal(a.generate_state(8), b.generate_state(8))


# --------------------------------------------------------------------------- Poisson origin


def _flat(frequency: np.ndarray) -> np.ndarray:
    return np.ones_like(frequency)


def test_small_photon_count_gives_poisson_skewness():
    """lambda = 20, flat MTF: skewness of the noise is 1/sqrt(20) (Poisson) within 0.025."""
    noise = correlated_poisson_noise((512, 512), SPACING, _flat, sigma_hu=10.0, photons=20.0,
                                     rng=np.random.default_rng(11))
    assert_allclose(_skewness(noise), 1.0 / math.sqrt(20.0), atol=0.025)
    assert_allclose(noise.std(), 10.0, rtol=0.02)


def test_small_photon_count_gives_discrete_levels():
    """With a flat MTF the field is (k - lambda)/sqrt(lambda), so values sit on a lattice."""
    shape, photons, sigma = (128, 128), 20.0, 10.0
    noise = correlated_poisson_noise(shape, SPACING, _flat, sigma_hu=sigma, photons=photons,
                                     rng=np.random.default_rng(3))
    n = shape[0] * shape[1]
    step = sigma / math.sqrt(photons) / math.sqrt((n - 1) / n)  # DC bin removed
    levels = (noise - noise.min()) / step
    assert_allclose(levels, np.round(levels), atol=1e-6)
    assert len(np.unique(np.round(levels))) < 40


def test_large_photon_count_gives_no_skewness():
    """lambda = 1e6: the Poisson field is Gaussian for practical purposes, |skewness| < 0.025."""
    noise = correlated_poisson_noise((512, 512), SPACING, _flat, sigma_hu=10.0, photons=1e6,
                                     rng=np.random.default_rng(11))
    assert abs(_skewness(noise)) < 0.025


@pytest.mark.parametrize("law, dose, expected_lambda", [
    ("quantum", 0.5, 20.0),  # excess m^2 - 1 = 1
    ("paper", 0.5, 20.0 / 3.0),  # m = 2, excess 3
])
def test_simulate_low_dose_draws_counts_with_lambda_n_over_excess(law, dose, expected_lambda):
    """full_dose_photons = 20: skewness of the added noise is 1/sqrt(N / (m^2 - 1))."""
    image = np.zeros((512, 512), dtype=np.float32)
    noise = simulate_low_dose(image, SPACING, dose, _settings(law, photons=20.0), _flat,
                              simulation_seed(99, "water", dose, 0))
    assert_allclose(_skewness(noise), 1.0 / math.sqrt(expected_lambda), atol=0.03)


def test_correlated_noise_with_zero_sigma_is_zero():
    """sigma_hu = 0 gives an all-zero field."""
    noise = correlated_poisson_noise((16, 16), SPACING, CURVE, 0.0, 100.0, np.random.default_rng(0))
    assert noise.shape == (16, 16)
    assert not np.any(noise)
