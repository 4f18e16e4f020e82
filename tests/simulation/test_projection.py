"""Projection-domain noise insertion (noise.domain: projection) against physics.

The expectations are analytic or independent: the quantum law's variance ratio 1/d - 1,
Poisson photon counts drawn from the noiseless projections (Zeng et al. 2015), the ramp shape
of FBP noise, the noise variance map that the line integrals predict, zero mean.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.transform import iradon

from ldct.core.errors import LdctInputError
from ldct.simulation.low_dose import NoiseSettings, simulate_low_dose
from ldct.simulation.mtf import parametric_mtf
from ldct.simulation.nps import noise_power_spectrum, radial_average
from ldct.simulation.projection import (
    WATER_ATTENUATION_PER_MM,
    ProjectionScan,
    attenuation_per_mm,
    calibration_mask,
)

CURVE = parametric_mtf(0.35, 0.60)
SPACING = (1.0, 1.0)
SIGMA0 = 10.0
SIDE = 180
ROWS, COLS = np.mgrid[:SIDE, :SIDE]


def disc(row, col, radius):
    return (ROWS - row) ** 2 + (COLS - col) ** 2 < radius**2


def water_cylinder() -> np.ndarray:
    """Water (0 HU) of radius 85 mm in air, at 1 mm pixels."""
    image = np.full((SIDE, SIDE), -1000.0)
    image[disc(90, 90, 85)] = 0.0
    return image


@pytest.fixture(scope="module")
def water():
    image = water_cylinder()
    return image, ProjectionScan(image, SPACING, CURVE)


def settings(law="paper", electronic=0.0) -> NoiseSettings:
    return NoiseSettings(law=law, multiplier_applies_to="total", spectrum="mtf2",
                         full_dose_sigma_hu=SIGMA0, full_dose_photons=1e4, domain="projection",
                         electronic_noise_variance=electronic)


def added_noise(image, scan, dose, seed, noise=None):
    low = simulate_low_dose(image, SPACING, dose, noise or settings(), CURVE, np.random.SeedSequence(seed), scan)
    assert low.dtype == np.float32
    return low.astype(np.float64) - image


def test_line_integrals_of_water_are_its_attenuation_times_the_path_length(water):
    """The longest ray crosses the whole 170 mm diameter of water: p = mu_w x 170 mm."""
    _, scan = water
    assert scan.line_integrals.max() == pytest.approx(WATER_ATTENUATION_PER_MM * 170.0, rel=0.01)
    assert attenuation_per_mm(np.array([-1000.0, -2000.0, 0.0, 1000.0])).tolist() == pytest.approx(
        [0.0, 0.0, WATER_ATTENUATION_PER_MM, 2 * WATER_ATTENUATION_PER_MM]
    )


def test_added_variance_follows_the_quantum_law_over_doses(water):
    """Var(added) / (1/d - 1) is the same from 75 % to 5 % dose, within 5 %, in the water: the
    projection domain counts photons, so the quantum law holds under noise.law: paper too."""
    assert settings("paper").added_variance_ratio(0.1) == settings("quantum").added_variance_ratio(0.1) == 9.0
    image, scan = water
    centre = disc(90, 90, 50)
    doses = [0.75, 0.5, 0.25, 0.1, 0.05]
    per_unit = [
        np.mean([added_noise(image, scan, d, [1, k, int(d * 1000)])[centre].var() for k in range(4)])
        / (1.0 / d - 1.0)
        for d in doses
    ]
    assert max(per_unit) / min(per_unit) < 1.05


def test_inserted_variance_is_the_difference_of_poisson_scans_at_the_two_doses(water):
    """Zeng et al.'s form: photon counts ~ Poisson(I exp(-p)) from the noiseless projections at
    d I0 and at I0, log-converted and reconstructed the same way; the difference of their
    variances is the variance inserted at d, within 5 %."""
    image, scan = water
    photons = scan.full_dose_photons(SIGMA0)
    centre = disc(90, 90, 50)
    rng = np.random.default_rng(7)

    def poisson_scan_variance(incident):
        counts = rng.poisson(incident * np.exp(-scan.line_integrals))
        measured = -np.log(np.maximum(counts, 0.1) / incident)
        return scan.reconstruct_hu(measured - scan.line_integrals)[centre].var()

    for dose in (0.5, 0.1):
        low = np.mean([poisson_scan_variance(dose * photons) for _ in range(4)])
        full = np.mean([poisson_scan_variance(photons) for _ in range(4)])
        inserted = np.mean([added_noise(image, scan, dose, [2, k])[centre].var() for k in range(4)])
        assert (low - full) / inserted == pytest.approx(1.0, abs=0.05)


def test_full_dose_noise_of_the_calibrated_photons_has_the_configured_sd(water):
    image, scan = water
    photons = scan.full_dose_photons(SIGMA0)
    assert 1e4 < photons < 1e7  # photons per ray, the range of clinical simulations
    mask = calibration_mask(image, 1.0)
    full = scan.noise_hu(np.exp(scan.line_integrals) / photons, np.random.default_rng(11))
    assert full[mask].std() == pytest.approx(SIGMA0, rel=0.03)
    # Half the SD takes four times the photons.
    assert scan.full_dose_photons(SIGMA0 / 2) == pytest.approx(4 * photons, rel=1e-9)


def test_noise_power_spectrum_is_ramp_shaped_not_low_pass(water):
    """In the water, the NPS of the inserted noise is small at the lowest frequency and peaks at
    mid frequencies; the image-domain MTF^2 noise of the same SD peaks at the lowest."""
    image, scan = water
    window = (slice(58, 122), slice(58, 122))
    image_domain = NoiseSettings(law="quantum", multiplier_applies_to="total", spectrum="mtf2",
                                 full_dose_sigma_hu=SIGMA0, full_dose_photons=1e4)
    spectra = {}
    for name, noise in (("projection", settings()), ("image", image_domain)):
        fields = np.stack([added_noise(image, scan, 0.25, [3, k], noise)[window] for k in range(16)])
        frequency, spectra[name] = radial_average(noise_power_spectrum(fields, SPACING), SPACING)
    projection = spectra["projection"]
    assert projection[0] < 0.4 * projection.max()
    assert 0.1 < frequency[np.argmax(projection)] < 0.3
    assert spectra["image"][0] > 0.9 * spectra["image"].max()


def test_noise_is_larger_behind_dense_inserts_by_the_ratio_the_line_integrals_predict():
    """Soft tissue in an ellipse with two bone inserts on its long axis: between them the noise
    variance exceeds that above the centre by the ratio of the back-projected exp(p), the
    per-ray variance each pixel sums (within 12 %: streaks make the noise correlated over long
    distances, so 48 realizations leave a few per cent of sampling error)."""
    image = np.full((SIDE, SIDE), -1000.0)
    image[((ROWS - 90) / 50) ** 2 + ((COLS - 90) / 85) ** 2 < 1] = 40.0
    for col in (35, 145):
        image[disc(90, col, 10)] = 1000.0
    scan = ProjectionScan(image, SPACING, CURVE)
    photons = scan.full_dose_photons(SIGMA0)
    rng = np.random.default_rng(13)
    variance = np.mean(
        [scan.noise_hu(scan.added_ray_variance(9.0, photons), rng) ** 2 for _ in range(48)], axis=0
    )
    back_projected = iradon(np.exp(scan.line_integrals), scan.angles_deg, output_size=SIDE,
                            filter_name=None, circle=False)
    between, above = disc(90, 90, 12), disc(60, 90, 12)
    measured = variance[between].mean() / variance[above].mean()
    predicted = back_projected[between].mean() / back_projected[above].mean()
    assert measured > 1.3
    assert measured == pytest.approx(predicted, rel=0.12)


@pytest.mark.parametrize("dose", [0.5, 0.05])
def test_mean_hu_in_water_is_kept_within_1_hu(water, dose):
    image, scan = water
    noise = added_noise(image, scan, dose, [4, int(dose * 100)])
    assert abs(noise[disc(90, 90, 80)].mean()) < 1.0


def test_electronic_noise_follows_yu_et_al():
    """r exp(p)/I0 (1 + (1 + a)/a s_e^2 exp(p)/I0), a = 1/(1 + r), on hand-set line integrals."""
    scan = ProjectionScan(water_cylinder(), SPACING, CURVE)
    scan.line_integrals = np.array([[0.0, 2.0], [4.0, 6.0]])
    ratio, photons, electronic = 3.0, 1e4, 10.0
    a = 1.0 / (1.0 + ratio)
    expected = [
        [ratio * np.exp(p) / photons * (1 + (1 + a) / a * electronic * np.exp(p) / photons) for p in row]
        for row in ([0.0, 2.0], [4.0, 6.0])
    ]
    assert scan.added_ray_variance(ratio, photons, electronic) == pytest.approx(np.array(expected), rel=1e-12)
    assert scan.added_ray_variance(ratio, photons) == pytest.approx(ratio * np.exp(scan.line_integrals) / photons)


def test_rectangular_slices_keep_their_shape_and_other_pixels_are_refused():
    image = np.full((60, 100), -1000.0)
    image[10:50, 10:90] = 40.0
    low = simulate_low_dose(image, SPACING, 0.25, settings(), CURVE, np.random.SeedSequence(1))
    assert low.shape == (60, 100) and np.isfinite(low).all()
    with pytest.raises(LdctInputError, match="square pixels"):
        ProjectionScan(image, (0.7, 0.8), CURVE)
    with pytest.raises(ValueError, match="domain"):
        NoiseSettings(law="paper", multiplier_applies_to="total", spectrum="mtf2",
                      full_dose_sigma_hu=10.0, full_dose_photons=1e4, domain="sinogram")
