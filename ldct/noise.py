"""Image-domain low-dose simulation: Poisson quantum noise shaped by the CT unit's MTF.

Model. A full-dose image already carries quantum noise of standard deviation ``sigma0``
(HU). At relative dose ``d`` the total noise SD becomes ``m(d) * sigma0``, where the
multiplier ``m`` follows one of two laws:

* ``quantum``: photon statistics, ``m = 1/sqrt(d)``, so the added variance is
  ``sigma0**2 * (1/d - 1)``;
* ``paper``: the multipliers Usui et al. (2021) state, 1.3, 2, 10 and 20 at 75, 50, 10 and
  5 % dose, with ``m(1) = 1``; other doses are interpolated linearly in log(m) against
  log(d), and doses below 5 % extrapolate the 5-10 % segment (there ``m`` is proportional
  to ``1/d``).

The added noise has variance ``sigma0**2 * (m**2 - 1)``. It is drawn as photon counts:
with ``N`` photons per pixel at full dose, relative fluctuation ``1/sqrt(N)`` corresponds to
``sigma0``, so the added variance is that of a Poisson count with mean
``lambda = N / (m**2 - 1)`` (for the quantum law ``N d / (1 - d)``: the count whose relative
variance equals ``1/(d N) - 1/N``). Counts ``k ~ Poisson(lambda)`` give the white field
``(k - lambda) / sqrt(lambda)``; its spectrum is multiplied by the MTF, so the noise power
spectrum is proportional to MTF squared, the DC bin is removed (the noise is exactly zero
mean, so mean HU is preserved), and the field is scaled to the target SD.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .mtf import MTFCurve, radial_frequency

#: Dose fraction -> noise SD multiplier stated by Usui et al. (2021), plus the full dose.
PAPER_SD_MULTIPLIERS = {1.0: 1.0, 0.75: 1.3, 0.5: 2.0, 0.1: 10.0, 0.05: 20.0}

NOISE_LAWS = ("quantum", "paper")


def noise_sd_multiplier(dose: float, law: str) -> float:
    """Total noise SD at relative ``dose`` (0 < dose <= 1) over the full-dose noise SD."""
    if not 0 < dose <= 1:
        raise ValueError(f"dose must lie in (0, 1], got {dose}")
    if law == "quantum":
        return float(1.0 / np.sqrt(dose))
    if law != "paper":
        raise ValueError(f"unknown noise law '{law}', expected one of {NOISE_LAWS}")
    doses = np.log(sorted(PAPER_SD_MULTIPLIERS))
    multipliers = np.log([PAPER_SD_MULTIPLIERS[d] for d in sorted(PAPER_SD_MULTIPLIERS)])
    log_dose = np.log(dose)
    if log_dose < doses[0]:
        slope = (multipliers[1] - multipliers[0]) / (doses[1] - doses[0])
        return float(np.exp(multipliers[0] + slope * (log_dose - doses[0])))
    return float(np.exp(np.interp(log_dose, doses, multipliers)))


def simulation_seed(
    global_seed: int, image: str, dose: float, realization: int
) -> np.random.SeedSequence:
    """The seed of one simulated image, from (global seed, image id, dose, realization).

    The image id enters through the first 8 bytes of its SHA-256 and the dose in parts per
    million, so the seed is the same on every machine and Python run.
    """
    image_key = int.from_bytes(hashlib.sha256(image.encode()).digest()[:8], "little")
    return np.random.SeedSequence([global_seed, image_key, round(dose * 1_000_000), realization])


def correlated_poisson_noise(
    shape: tuple[int, int],
    spacing_mm: tuple[float, float],
    curve: MTFCurve,
    sigma_hu: float,
    photons: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Zero-mean noise (HU) with expected SD ``sigma_hu`` and power spectrum ~ MTF(|f|)**2.

    ``photons`` is the mean Poisson count per pixel behind the white field (see the module
    docstring); smaller counts give a more skewed, discrete distribution.
    """
    if sigma_hu == 0:
        return np.zeros(shape)
    counts = rng.poisson(photons, size=shape)
    white = (counts - photons) / np.sqrt(photons)
    transfer = curve(radial_frequency(shape, spacing_mm))
    transfer[0, 0] = 0.0
    field = np.fft.ifft2(np.fft.fft2(white) * transfer).real
    expected_variance = np.sum(transfer**2) / white.size
    return field * (sigma_hu / np.sqrt(expected_variance))


def simulate_low_dose(
    image: np.ndarray,
    spacing_mm: tuple[float, float],
    dose: float,
    law: str,
    full_dose_sigma_hu: float,
    full_dose_photons: float,
    curve: MTFCurve,
    seed: np.random.SeedSequence,
) -> np.ndarray:
    """A low-dose version (float32 HU) of the full-dose ``image`` at relative ``dose``."""
    excess = noise_sd_multiplier(dose, law) ** 2 - 1.0
    if excess <= 0:
        return image.astype(np.float32)
    noise = correlated_poisson_noise(
        image.shape,
        spacing_mm,
        curve,
        sigma_hu=full_dose_sigma_hu * np.sqrt(excess),
        photons=full_dose_photons / excess,
        rng=np.random.default_rng(seed),
    )
    return (image + noise).astype(np.float32)


def simulate_draws(
    image: np.ndarray,
    spacing_mm: tuple[float, float],
    draws: list[tuple[float, int]],
    law: str,
    full_dose_sigma_hu: float,
    full_dose_photons: float,
    curve: MTFCurve,
    global_seed: int,
    image_id: str,
) -> tuple[np.ndarray, list[np.random.SeedSequence]]:
    """One low-dose version of ``image`` per (dose, realization) of ``draws``, stacked.

    Each draw is seeded by :func:`simulation_seed` from (global seed, image id, dose,
    realization), so it does not depend on which other draws a job makes. Returns the float32
    stack (len(draws), rows, cols) in HU and the seeds.
    """
    seeds = [simulation_seed(global_seed, image_id, dose, realization) for dose, realization in draws]
    stack = np.stack(
        [
            simulate_low_dose(
                image, spacing_mm, dose, law, full_dose_sigma_hu, full_dose_photons, curve, seed
            )
            for (dose, _), seed in zip(draws, seeds)
        ]
    )
    return stack, seeds
