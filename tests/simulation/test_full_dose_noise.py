"""The full-dose noise estimate (ldct.simulation.full_dose_noise) on synthetic phantoms of known noise.

Phantoms: 320 x 320 pixels of 1 mm, a body disk of radius 140 mm in -1000 HU air. White
Gaussian noise, or ldct.simulation.low_dose.correlated_poisson_noise with the default MTF (MTF50 0.35,
MTF10 0.60 lp/mm), whose NPS ~ MTF^2 makes it correlated. The truth is the SD of the noise
field actually added. Tolerance: 10 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from ldct.core.errors import LdctInputError
from ldct.simulation.full_dose_noise import estimate_noise_sd_hu, noise_table, used_sigma
from ldct.simulation.low_dose import correlated_poisson_noise
from ldct.simulation.mtf import parametric_mtf

SHAPE = (320, 320)
SPACING = (1.0, 1.0)
CURVE = parametric_mtf(0.35, 0.60)


def _disk(radius_px: float, hu: float = 40.0, shape=SHAPE) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = np.full(shape, -1000.0)
    image[(rows - shape[0] / 2) ** 2 + (cols - shape[1] / 2) ** 2 < radius_px**2] = hu
    return image


def _structured() -> np.ndarray:
    """Body with a smooth 20 -> 80 HU gradient across it, and disks of 70, 55, 90 HU (soft
    tissue), -100 HU (fat) and 250 HU (bone) inside."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]].astype(float)
    image = _disk(140)
    body = image > -1000
    image[body] = 20.0 + 60.0 * (cols[body] - 20.0) / 280.0
    for row, col, radius, hu in [(110, 110, 25, 70), (110, 210, 20, -100), (210, 110, 18, 250),
                                 (210, 210, 30, 55), (160, 160, 12, 90)]:
        image[(rows - row) ** 2 + (cols - col) ** 2 < radius**2] = hu
    return image


def _noise(kind: str, sigma: float, seed: int, shape=SHAPE, spacing=SPACING) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "white":
        return rng.normal(0.0, sigma, shape)
    return correlated_poisson_noise(shape, spacing, CURVE, sigma, 10_000, rng)


@pytest.mark.parametrize("kind", ["white", "mtf"])
@pytest.mark.parametrize("sigma", [5.0, 10.0, 20.0])
def test_uniform_water_disk_gives_the_noise_sd(kind, sigma):
    """(a) white and (b) MTF-correlated noise of SD 5, 10, 20 HU: estimate within 10 %."""
    noise = _noise(kind, sigma, seed=int(sigma))
    estimate = estimate_noise_sd_hu(_disk(140) + noise, SPACING)
    assert estimate == pytest.approx(noise.std(), rel=0.10)


@pytest.mark.parametrize("kind", ["white", "mtf"])
@pytest.mark.parametrize("sigma", [5.0, 10.0, 20.0])
def test_structure_does_not_inflate_the_estimate(kind, sigma):
    """(c) Disks and a gradient: within 10 % of the truth, and at most 10 % above the estimate
    for the same noise on the uniform disk."""
    noise = _noise(kind, sigma, seed=100 + int(sigma))
    structured = estimate_noise_sd_hu(_structured() + noise, SPACING)
    uniform = estimate_noise_sd_hu(_disk(140) + noise, SPACING)
    assert structured == pytest.approx(noise.std(), rel=0.10)
    assert structured <= 1.10 * uniform


def test_finer_and_anisotropic_pixels_keep_the_window_in_mm():
    """0.7 x 0.8 mm pixels (13 x 11 pixel windows), white and correlated noise of 10 HU."""
    shape, spacing = (400, 350), (0.7, 0.8)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    body = np.where(((rows - 200) * 0.7) ** 2 + ((cols - 175) * 0.8) ** 2 < 120**2, 40.0, -1000.0)
    for kind in ("white", "mtf"):
        noise = _noise(kind, 10.0, seed=9, shape=shape, spacing=spacing)
        assert estimate_noise_sd_hu(body + noise, spacing) == pytest.approx(noise.std(), rel=0.10)


def test_one_number_is_square_pixels():
    image = _disk(140) + _noise("white", 10.0, seed=2)
    assert estimate_noise_sd_hu(image, 1.0) == estimate_noise_sd_hu(image, (1.0, 1.0))


@pytest.mark.parametrize("image", [
    _disk(20) + np.random.default_rng(0).normal(0, 10, SHAPE),  # a 40 mm disk: too small
    _disk(140, hu=-800.0) + np.random.default_rng(1).normal(0, 10, SHAPE),  # lung only
    np.full(SHAPE, -1000.0),  # air only
])
def test_too_little_soft_tissue_is_an_input_error_naming_the_image(image):
    """(d) Less than 2000 mm^2 of soft tissue: LdctInputError that names the image."""
    with pytest.raises(LdctInputError, match="image patient7_slice3"):
        estimate_noise_sd_hu(image, SPACING, image_id="patient7_slice3")
    with pytest.raises(LdctInputError, match="the slice"):
        estimate_noise_sd_hu(image, SPACING)


def test_noise_free_soft_tissue_is_an_input_error():
    with pytest.raises(LdctInputError, match="noise-free"):
        estimate_noise_sd_hu(_disk(140), SPACING, image_id="clean")


def test_noise_table_falls_back_to_the_patient_then_the_study_median():
    measurable = [_disk(140) + _noise("white", sd, seed=int(sd)) for sd in (8.0, 12.0, 20.0)]
    tiny = _disk(20) + _noise("white", 10.0, seed=9)
    slices = [
        ({"image": "a1", "role": "eval", "patient": "A"}, measurable[0], SPACING),
        ({"image": "a2", "role": "eval", "patient": "A"}, measurable[1], SPACING),
        ({"image": "a3", "role": "eval", "patient": "A"}, tiny, SPACING),
        ({"image": "b1", "role": "train", "patient": "B"}, measurable[2], SPACING),
        ({"image": "c1", "role": "train", "patient": "C"}, tiny, SPACING),
    ]
    rows = {row["image"]: row for row in noise_table(slices)}
    measured = {name: rows[name]["measured_sd_hu"] for name in ("a1", "a2", "b1")}
    assert [rows[name]["source"] for name in ("a1", "a2", "b1")] == ["measured"] * 3
    assert rows["a3"]["source"] == "patient median" and "soft tissue" in rows["a3"]["note"]
    assert rows["a3"]["used_sd_hu"] == pytest.approx((measured["a1"] + measured["a2"]) / 2)
    assert rows["c1"]["source"] == "study median"
    assert rows["c1"]["used_sd_hu"] == pytest.approx(sorted(measured.values())[1])
    as_text = [{key: str(value) for key, value in row.items()} for row in rows.values()]
    assert used_sigma(as_text, "a3", "t.tsv") == (pytest.approx(rows["a3"]["used_sd_hu"]), "patient median")
    with pytest.raises(LdctInputError, match="t.tsv.*'zz'"):
        used_sigma(as_text, "zz", "t.tsv")


def test_noise_table_without_any_measurable_slice_stops_a_measuring_study():
    rows = noise_table([({"image": "c1", "role": "train", "patient": "C"}, _disk(20), SPACING)])
    assert rows[0]["source"] == "none"
    as_text = [{key: str(value) for key, value in row.items()} for row in rows]
    with pytest.raises(LdctInputError, match="noise.full_dose_sigma_hu to a number"):
        used_sigma(as_text, "c1", "t.tsv")
