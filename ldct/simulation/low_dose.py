"""Image-domain low-dose simulation: Poisson quantum noise shaped by the CT unit's MTF.

Model. A full-dose image already carries quantum noise of standard deviation ``sigma0`` (HU): one
configured number, or measured per slice (:mod:`ldct.simulation.full_dose_noise`). At relative dose
``d`` the noise SD multiplier ``m(d)`` follows one of two laws:

* ``quantum``: photon statistics, ``m = 1/sqrt(d)``;
* ``paper``: the multipliers Usui et al. (2021) state, 1.3, 2, 10 and 20 at 75, 50, 10 and
  5 % dose, with ``m(1) = 1``; other doses are interpolated linearly in log(m) against
  log(d), and doses below 5 % extrapolate the 5-10 % segment (there ``m`` is proportional
  to ``1/d``).

The multiplier applies (setting ``multiplier_applies_to``) to

* ``total``: the low-dose image's total noise SD is ``m * sigma0``, so the added noise has
  variance ``sigma0**2 * (m**2 - 1)`` (quantum law: ``sigma0**2 * (1/d - 1)``);
* ``added``: the added noise itself has SD ``m * sigma0``, variance ``sigma0**2 * m**2``,
  and the total SD is ``sigma0 * sqrt(1 + m**2)``.

Write ``r`` for the added variance over ``sigma0**2``. Dose 1 adds nothing in both readings
(``r = 0``): the full-dose image is the reference, although the ``added`` reading with
``m(1) = 1`` would add ``sigma0`` just below it.

The added noise is drawn as photon counts: with ``N`` photons per pixel at full dose,
relative fluctuation ``1/sqrt(N)`` corresponds to ``sigma0``, so the added variance is that
of a Poisson count with mean ``lambda = N / r`` (``total``, quantum law: ``N d / (1 - d)``, the
count whose relative variance equals ``1/(d N) - 1/N``; ``added``: ``N / m**2``). Counts
``k ~ Poisson(lambda)`` give the white field ``(k - lambda) / sqrt(lambda)``, whose spectrum
is multiplied by a radial filter (setting ``spectrum``):

* ``mtf2``: MTF(|f|), so the noise power spectrum (NPS) is proportional to MTF squared;
* ``fbp``: sqrt(|f|) MTF(|f|), so the NPS is proportional to |f| MTF(|f|)**2, the
  ramp-filtered shape of filtered back-projection noise, zero at f = 0;
* ``white``: 1, a flat NPS: uncorrelated Poisson noise in every pixel, not shaped by the MTF
  (the reading of the paper in which the MTF acts on nothing but the noise it does not shape).

The DC bin is removed (the noise is exactly zero mean, so mean HU is preserved), and the
field is scaled to the target SD ``sigma0 * sqrt(r)``.

All of the above is the image domain (setting ``domain``: ``image``). With ``projection`` the
noise is inserted in the slice's projections instead (:mod:`ldct.simulation.projection`): it
simulates photon counts, so its added variance ratio is the quantum law's ``r = 1/d - 1``, its
spectrum and non-stationarity come from filtered back-projection, and ``law``,
``multiplier_applies_to``, ``spectrum`` and ``full_dose_photons`` do not apply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ldct.simulation.mtf import MTFCurve, radial_frequency

if TYPE_CHECKING:  # scikit-image's projectors load only where the projection domain is used
    from ldct.simulation.projection import ProjectionScan

#: Dose fraction -> noise SD multiplier stated by Usui et al. (2021), plus the full dose.
PAPER_SD_MULTIPLIERS = {1.0: 1.0, 0.75: 1.3, 0.5: 2.0, 0.1: 10.0, 0.05: 20.0}

NOISE_LAWS = ("quantum", "paper")
#: What the SD multiplier applies to: the low-dose image's total noise, or the added noise.
MULTIPLIER_READINGS = ("total", "added")
#: Shapes of the added noise's power spectrum.
NOISE_SPECTRA = ("mtf2", "fbp", "white")
#: Where the noise is added: to the image, or to the slice's projections before FBP.
NOISE_DOMAINS = ("image", "projection")


def noise_sd_multiplier(dose: float, law: str) -> float:
    """The SD multiplier m at relative ``dose`` (0 < dose <= 1): low-dose total noise SD (or,
    read as ``added``, added noise SD) over the full-dose noise SD."""
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


@dataclass(frozen=True, kw_only=True)
class NoiseSettings:
    """How noise is added (module docstring): config section ``noise`` with a numeric SD.

    ``full_dose_sigma_hu`` is the noise SD (HU) the full-dose image carries,
    ``full_dose_photons`` the mean photon count per pixel at full dose (image domain),
    ``electronic_noise_variance`` the electronic noise per ray (photon counts^2, projection
    domain).
    """

    law: str
    multiplier_applies_to: str
    spectrum: str
    full_dose_sigma_hu: float
    full_dose_photons: float
    domain: str = "image"
    electronic_noise_variance: float = 0.0

    def __post_init__(self):
        for name, allowed in (
            ("law", NOISE_LAWS),
            ("multiplier_applies_to", MULTIPLIER_READINGS),
            ("spectrum", NOISE_SPECTRA),
            ("domain", NOISE_DOMAINS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"noise {name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("full_dose_sigma_hu", "full_dose_photons"):
            value = getattr(self, name)
            if not isinstance(value, Real) or not value > 0:
                raise ValueError(f"noise {name} must be a positive number, got {value!r}")
        if not isinstance(self.electronic_noise_variance, Real) or self.electronic_noise_variance < 0:
            raise ValueError(
                f"noise electronic_noise_variance must be a number >= 0, got {self.electronic_noise_variance!r}"
            )

    @classmethod
    def from_config(
        cls, noise: Mapping[str, Any], full_dose_sigma_hu: float | None = None
    ) -> NoiseSettings:
        """Settings from config section ``noise``; a given ``full_dose_sigma_hu`` (HU) replaces
        the config's value, as it must where that value is ``measure``."""
        return cls(
            law=noise["law"],
            multiplier_applies_to=noise["multiplier_applies_to"],
            spectrum=noise["spectrum"],
            full_dose_sigma_hu=(
                noise["full_dose_sigma_hu"] if full_dose_sigma_hu is None else full_dose_sigma_hu
            ),
            full_dose_photons=noise["full_dose_photons"],
            domain=noise.get("domain", "image"),
            electronic_noise_variance=noise.get("electronic_noise_variance", 0.0),
        )

    def added_variance_ratio(self, dose: float) -> float:
        """``r``: variance of the noise added at ``dose`` over ``sigma0**2`` (0 at dose 1).

        The projection domain simulates photon counts, so there ``r = 1/d - 1`` (the quantum law,
        total noise) whatever ``law`` and ``multiplier_applies_to`` say."""
        if self.domain == "projection":
            noise_sd_multiplier(dose, "quantum")  # checks the dose
            return 1.0 / dose - 1.0
        multiplier = noise_sd_multiplier(dose, self.law)
        if self.multiplier_applies_to == "total":
            return multiplier**2 - 1.0
        return multiplier**2 if dose < 1 else 0.0

    def added_sd_hu(self, dose: float) -> float:
        """SD (HU) of the noise added at ``dose``."""
        return self.full_dose_sigma_hu * float(np.sqrt(self.added_variance_ratio(dose)))

    def total_sd_hu(self, dose: float) -> float:
        """SD (HU) of the whole noise of the image at ``dose``: the full-dose noise and the added
        noise (in the projection domain, its level in the soft tissue I0 is calibrated on)."""
        return self.full_dose_sigma_hu * float(np.sqrt(1.0 + self.added_variance_ratio(dose)))


def stack_noise_sd_hu(meta: Mapping[str, Any]) -> list[float]:
    """The noise SD (HU, :meth:`NoiseSettings.total_sd_hu`) of each image of a simulated stack,
    in stack order, from its sidecar (``noise``, ``doses``, ``realizations``)."""
    settings = NoiseSettings.from_config(meta["noise"])
    return [settings.total_sd_hu(dose) for dose in meta["doses"] for _ in meta["realizations"]]


def projection_scan(
    image: np.ndarray, spacing_mm: tuple[float, float], curve: MTFCurve
) -> ProjectionScan:
    """The :class:`ldct.simulation.projection.ProjectionScan` of a full-dose slice."""
    from ldct.simulation.projection import ProjectionScan

    return ProjectionScan(image, spacing_mm, curve)


def simulation_seed(
    global_seed: int, image: str, dose: float, realization: int
) -> np.random.SeedSequence:
    """The seed of one simulated image, from (global seed, image id, dose, realization).

    The image id enters through the first 8 bytes of its SHA-256 and the dose in parts per
    million, so the seed is the same on every machine and Python run.
    """
    image_key = int.from_bytes(hashlib.sha256(image.encode()).digest()[:8], "little")
    return np.random.SeedSequence([global_seed, image_key, round(dose * 1_000_000), realization])


def noise_transfer(
    shape: tuple[int, int], spacing_mm: tuple[float, float], curve: MTFCurve, spectrum: str
) -> np.ndarray:
    """The filter (``numpy.fft.fft2`` bin order) applied to the white field: MTF(|f|) for
    ``mtf2``, sqrt(|f|) MTF(|f|) for ``fbp`` (|f| in lp/mm), 1 for ``white``, with the DC bin 0."""
    if spectrum not in NOISE_SPECTRA:
        raise ValueError(f"unknown noise spectrum '{spectrum}', expected one of {NOISE_SPECTRA}")
    frequency = radial_frequency(shape, spacing_mm)
    transfer = np.ones(shape) if spectrum == "white" else curve(frequency)
    if spectrum == "fbp":
        transfer = transfer * np.sqrt(frequency)
    transfer[0, 0] = 0.0
    return transfer


def correlated_poisson_noise(
    shape: tuple[int, int],
    spacing_mm: tuple[float, float],
    curve: MTFCurve,
    sigma_hu: float,
    photons: float,
    rng: np.random.Generator,
    spectrum: str = "mtf2",
) -> np.ndarray:
    """Zero-mean noise (HU) with expected SD ``sigma_hu`` and power spectrum ~ |T|**2, T the
    :func:`noise_transfer` of ``spectrum``.

    ``photons`` is the mean Poisson count per pixel behind the white field (see the module
    docstring); smaller counts give a more skewed, discrete distribution.
    """
    if sigma_hu == 0:
        return np.zeros(shape)
    counts = rng.poisson(photons, size=shape)
    white = (counts - photons) / np.sqrt(photons)
    transfer = noise_transfer(shape, spacing_mm, curve, spectrum)
    field = np.fft.ifft2(np.fft.fft2(white) * transfer).real
    expected_variance = np.sum(transfer**2) / white.size
    return field * (sigma_hu / np.sqrt(expected_variance))


def simulate_low_dose(
    image: np.ndarray,
    spacing_mm: tuple[float, float],
    dose: float,
    settings: NoiseSettings,
    curve: MTFCurve,
    seed: np.random.SeedSequence,
    scan: ProjectionScan | None = None,
) -> np.ndarray:
    """A low-dose version (float32 HU) of the full-dose ``image`` at relative ``dose``.

    In the projection domain ``scan`` is the image's :class:`ProjectionScan` (made here when
    None; pass it to simulate several doses of one slice)."""
    ratio = settings.added_variance_ratio(dose)
    if ratio <= 0:
        return image.astype(np.float32)
    if settings.domain == "projection":
        scan = scan if scan is not None else projection_scan(image, spacing_mm, curve)
        variance = scan.added_ray_variance(
            ratio, scan.full_dose_photons(settings.full_dose_sigma_hu), settings.electronic_noise_variance
        )
        return (image + scan.noise_hu(variance, np.random.default_rng(seed))).astype(np.float32)
    noise = correlated_poisson_noise(
        image.shape,
        spacing_mm,
        curve,
        sigma_hu=settings.full_dose_sigma_hu * np.sqrt(ratio),
        photons=settings.full_dose_photons / ratio,
        rng=np.random.default_rng(seed),
        spectrum=settings.spectrum,
    )
    return (image + noise).astype(np.float32)


def simulate_draws(
    image: np.ndarray,
    spacing_mm: tuple[float, float],
    draws: list[tuple[float, int]],
    settings: NoiseSettings,
    curve: MTFCurve,
    global_seed: int,
    image_id: str,
    scan: ProjectionScan | None = None,
) -> tuple[np.ndarray, list[np.random.SeedSequence]]:
    """One low-dose version of ``image`` per (dose, realization) of ``draws``, stacked.

    Each draw is seeded by :func:`simulation_seed` from (global seed, image id, dose,
    realization), so it does not depend on which other draws a job makes. In the projection
    domain every draw shares one :class:`ProjectionScan` (``scan``, or one made here). Returns
    the float32 stack (len(draws), rows, cols) in HU and the seeds.
    """
    if settings.domain == "projection" and scan is None:
        scan = projection_scan(image, spacing_mm, curve)
    seeds = [simulation_seed(global_seed, image_id, dose, realization) for dose, realization in draws]
    stack = np.stack(
        [
            simulate_low_dose(image, spacing_mm, dose, settings, curve, seed, scan)
            for (dose, _), seed in zip(draws, seeds)
        ]
    )
    return stack, seeds
