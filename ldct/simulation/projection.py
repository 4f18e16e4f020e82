"""Projection-domain low-dose simulation (``noise.domain: projection``): quantum noise inserted in
the line integrals of a parallel-beam scan of the slice and reconstructed by filtered
back-projection (FBP), as CT physicists simulate a lower dose from a scan (Yu et al. 2012,
"Development and validation of a practical lower-dose-simulation tool for optimizing CT scan
protocols", J Comput Assist Tomogr 36(4); Zeng et al. 2015, IEEE TNS 62(5)).

**The scan.** HU become linear attenuation ``mu = mu_w (1 + HU / 1000)`` (per mm, clipped at 0;
``mu_w`` :data:`WATER_ATTENUATION_PER_MM`, water at 70 keV). The slice, padded with air to a square
of side ``n`` pixels, is forward-projected (``skimage.transform.radon``, parallel beam, one detector
per pixel, ``ceil(pi n / 2)`` views over 180 degrees, the angular sampling that matches ``n``
detectors) into line integrals ``p`` (dimensionless).

**The noise.** A ray that ``I0`` photons enter carries ``I0 exp(-p)`` through the patient, so its
log-converted line integral has variance ``exp(p) / I0``. The full-dose scan already carries
that noise; a scan at dose ``d`` has ``d I0`` photons and variance ``exp(p) / (d I0)``, so only
the difference ``(1 - d) / d * exp(p) / I0`` is inserted, as zero-mean Gaussian noise per ray
(Yu et al.'s approximation of the Poisson difference). Under the study's other noise laws the
factor ``(1 - d) / d`` is the added variance ratio ``r`` of
:meth:`ldct.simulation.low_dose.NoiseSettings.added_variance_ratio` (``1/d - 1`` for the quantum
law). Yu et al.'s electronic-noise term is optional: with variance ``s_e^2`` (photon counts^2)
per ray and the effective dose ``a = 1 / (1 + r)``, the inserted variance is
``r exp(p) / I0 * (1 + (1 + a) / a * s_e^2 exp(p) / I0)``.

**The reconstruction.** The noise sinogram is reconstructed by FBP with the plain ramp filter
(``skimage.transform.iradon``) and then filtered by the configured MTF: the scanner's
reconstruction kernel sets both the image's resolution and its noise texture, and the full-dose
slice carries that kernel's MTF, so the inserted noise gets the same (its NPS, in a uniform
region, is proportional to ``|f| MTF(f)^2``: zero at f = 0, peaking at mid frequencies). The
noise, in HU, is added to the full-dose slice, whose anatomy and resolution stay the scanner's.

**Calibration** (:meth:`ProjectionScan.full_dose_photons`). ``I0`` is chosen per slice so that
the full-dose noise this model gives (per-ray variance ``exp(p) / I0``, reconstructed the same
way) has SD ``sigma0`` in the slice's soft tissue: the noise scales as ``1 / sqrt(I0)``, so one
reconstruction at ``I0 = 1`` fixes it. Soft tissue is where the slice, smoothed by a 2 mm Gaussian,
lies between 0 and 100 HU; a slice with less than :data:`MIN_CALIBRATION_MM2` of it is calibrated
on its body (smoothed HU above -500).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy import ndimage
from skimage.transform import iradon, radon

from ldct.core.errors import LdctInputError
from ldct.simulation.full_dose_noise import MASK_SMOOTHING_MM, SOFT_TISSUE_HU
from ldct.simulation.mtf import MTFCurve, blur_image

#: Linear attenuation of water at 70 keV, per mm (NIST XCOM: 0.1929 cm^2/g at 1 g/cm^3).
WATER_ATTENUATION_PER_MM = 0.01929
#: Least soft-tissue area (mm^2) to calibrate I0 on; below it, the body.
MIN_CALIBRATION_MM2 = 500.0
#: Smoothed HU above which a pixel is body, not air (for the calibration's fallback).
BODY_HU = -500.0


def attenuation_per_mm(image_hu: np.ndarray) -> np.ndarray:
    """Linear attenuation (1/mm) of HU values, ``mu_w (1 + HU / 1000)``, clipped at 0."""
    return np.clip(WATER_ATTENUATION_PER_MM * (1.0 + np.asarray(image_hu, np.float64) / 1000.0), 0.0, None)


def calibration_mask(image_hu: np.ndarray, pixel_mm: float) -> np.ndarray:
    """The pixels the calibration measures the full-dose noise in: soft tissue, else the body,
    else the whole slice."""
    smoothed = ndimage.gaussian_filter(np.asarray(image_hu, np.float64), MASK_SMOOTHING_MM / pixel_mm)
    least = MIN_CALIBRATION_MM2 / pixel_mm**2
    soft = (smoothed >= SOFT_TISSUE_HU[0]) & (smoothed <= SOFT_TISSUE_HU[1])
    if soft.sum() >= least:
        return soft
    body = smoothed > BODY_HU
    return body if body.sum() >= least else np.ones(image_hu.shape, bool)


def calibration_seed(image_hu: np.ndarray) -> np.random.SeedSequence:
    """The seed of a slice's calibration, from its content: the same slice gets the same I0."""
    digest = hashlib.sha256(np.ascontiguousarray(image_hu, dtype=np.float32).tobytes()).digest()
    return np.random.SeedSequence(int.from_bytes(digest[:8], "little"))


class ProjectionScan:
    """One slice as a parallel-beam scan: its line integrals and the reconstruction of noise."""

    def __init__(self, image_hu: np.ndarray, spacing_mm: tuple[float, float], curve: MTFCurve):
        if not math.isclose(spacing_mm[0], spacing_mm[1], rel_tol=1e-6):
            raise LdctInputError(
                f"noise.domain projection needs square pixels, got a spacing of {spacing_mm} mm"
            )
        self.image_hu = np.asarray(image_hu, np.float64)
        self.shape = self.image_hu.shape
        self.pixel_mm = float(spacing_mm[0])
        self.spacing_mm = (self.pixel_mm, self.pixel_mm)
        self.curve = curve
        self.side = max(self.shape)
        self.angles_deg = np.linspace(0.0, 180.0, math.ceil(math.pi * self.side / 2), endpoint=False)
        padded = np.zeros((self.side, self.side))
        padded[self._window()] = attenuation_per_mm(self.image_hu)
        #: Line integrals p (detectors x views), dimensionless.
        self.line_integrals = radon(padded, self.angles_deg, circle=False) * self.pixel_mm
        self._photons: dict[float, float] = {}

    def _window(self) -> tuple[slice, slice]:
        """Where the slice lies in the padded square."""
        top, left = (self.side - self.shape[0]) // 2, (self.side - self.shape[1]) // 2
        return slice(top, top + self.shape[0]), slice(left, left + self.shape[1])

    def reconstruct_hu(self, line_integral_noise: np.ndarray) -> np.ndarray:
        """FBP (ramp filter) of line-integral noise, then the MTF: the noise in HU on the slice."""
        mu = iradon(
            line_integral_noise / self.pixel_mm, self.angles_deg, output_size=self.side,
            filter_name="ramp", circle=False,
        )
        noise_hu = 1000.0 * mu[self._window()] / WATER_ATTENUATION_PER_MM
        return blur_image(noise_hu, self.spacing_mm, self.curve).astype(np.float64)

    def noise_hu(self, ray_variance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Zero-mean Gaussian noise of ``ray_variance`` per ray, reconstructed (HU)."""
        return self.reconstruct_hu(rng.standard_normal(self.line_integrals.shape) * np.sqrt(ray_variance))

    def full_dose_photons(self, sigma_hu: float) -> float:
        """``I0``: photons per ray entering the patient at full dose that give full-dose noise of
        SD ``sigma_hu`` (HU) in the calibration mask (computed once per slice and SD)."""
        if sigma_hu not in self._photons:
            rng = np.random.default_rng(calibration_seed(self.image_hu))
            unit = self.noise_hu(np.exp(self.line_integrals), rng)
            measured = float(unit[calibration_mask(self.image_hu, self.pixel_mm)].std())
            self._photons[sigma_hu] = (measured / sigma_hu) ** 2
        return self._photons[sigma_hu]

    def added_ray_variance(self, ratio: float, photons: float, electronic_variance: float = 0.0) -> np.ndarray:
        """Per-ray variance of the inserted noise: ``r exp(p) / I0``, times Yu et al.'s
        electronic-noise factor where ``electronic_variance`` (photon counts^2) is above 0."""
        transmission_inverse = np.exp(self.line_integrals) / photons
        variance = ratio * transmission_inverse
        if electronic_variance > 0:
            effective_dose = 1.0 / (1.0 + ratio)
            variance = variance * (
                1.0 + (1.0 + effective_dose) / effective_dose * electronic_variance * transmission_inverse
            )
        return variance
