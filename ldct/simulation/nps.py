"""Noise power spectrum (NPS) of CT noise fields, measured and as the simulation's model.

The 2-D NPS of zero-mean noise n on a grid of rows x cols pixels of spacing (dy, dx) mm is
NPS(f) = dy dx / (rows cols) <|DFT(n)(f)|^2>, in HU^2 mm^2, averaged over realizations. By
Parseval's theorem its sum over all frequency bins, times the bin area
df_y df_x = 1 / (rows dy cols dx) lp^2/mm^2, equals the noise variance in HU^2.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ldct.simulation.low_dose import NoiseSettings, noise_transfer
from ldct.simulation.mtf import MTFCurve, radial_frequency


def noise_power_spectrum(fields: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """2-D NPS (HU^2 mm^2, ``numpy.fft.fft2`` bin order) of noise fields (k, rows, cols) in HU.

    Each field's own mean is removed first, so the DC bin is zero.
    """
    fields = np.asarray(fields, dtype=np.float64)
    if fields.ndim == 2:
        fields = fields[None]
    rows, cols = fields.shape[1:]
    centred = fields - fields.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred)) ** 2
    return power.mean(axis=0) * spacing_mm[0] * spacing_mm[1] / (rows * cols)


def model_noise_power_spectrum(
    shape: tuple[int, int],
    spacing_mm: tuple[float, float],
    curve: MTFCurve,
    sigma_hu: float,
    spectrum: str = "mtf2",
) -> np.ndarray:
    """Expected 2-D NPS (HU^2 mm^2) of :func:`ldct.simulation.low_dose.correlated_poisson_noise`.

    That noise is white noise filtered by T = :func:`ldct.simulation.low_dose.noise_transfer`
    (MTF(|f|) for ``mtf2``, sqrt(|f|) MTF(|f|) for ``fbp``; DC bin 0) and scaled to SD ``sigma_hu``,
    so NPS(f) = sigma^2 dy dx T(f)^2 / mean(T^2) over all bins.
    """
    power = noise_transfer(shape, spacing_mm, curve, spectrum) ** 2
    return sigma_hu**2 * spacing_mm[0] * spacing_mm[1] * power / power.mean()


def stack_noise_power_spectra(
    meta: Mapping[str, Any], shape: tuple[int, int], curve: MTFCurve
) -> list[np.ndarray]:
    """The model 2-D NPS (HU^2 mm^2) of the whole noise of each image of a simulated stack, in
    stack order, from its sidecar: its reading's shape (projection domain: the fbp shape, that
    of FBP noise where it is stationary) at the image's total noise SD."""
    settings = NoiseSettings.from_config(meta["noise"])
    shape_name = "fbp" if settings.domain == "projection" else settings.spectrum
    spacing = tuple(meta["pixel_spacing_mm"])
    unit = model_noise_power_spectrum(shape, spacing, curve, 1.0, shape_name)
    return [unit * settings.total_sd_hu(dose) ** 2 for dose in meta["doses"] for _ in meta["realizations"]]


def radial_average(
    nps: np.ndarray, spacing_mm: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of a 2-D NPS over rings of |f|: (ring centres in lp/mm, NPS in HU^2 mm^2).

    Rings are as wide as the coarser of the two frequency steps, 1 / (n d) lp/mm, start at
    zero and stop at the lower Nyquist frequency; the DC bin is left out.
    """
    rows, cols = nps.shape
    width = max(1.0 / (rows * spacing_mm[0]), 1.0 / (cols * spacing_mm[1]))
    nyquist = min(0.5 / spacing_mm[0], 0.5 / spacing_mm[1])
    frequency = radial_frequency(nps.shape, spacing_mm)
    ring = np.floor(frequency / width).astype(int)
    count = int(nyquist // width)
    inside = (ring < count) & (frequency > 0)
    sums = np.bincount(ring[inside], weights=nps[inside], minlength=count)
    hits = np.bincount(ring[inside], minlength=count)
    filled = hits > 0
    centres = (np.arange(count) + 0.5) * width
    return centres[filled], sums[filled] / hits[filled]


NPS_COLUMNS = ("dose", "frequency_lp_per_mm", "nps_simulated_hu2_mm2", "nps_model_hu2_mm2")


def simulated_noise_spectra(
    full_dose: np.ndarray,
    low_dose: dict[float, list[np.ndarray]],
    spacing_mm: tuple[float, float],
    curve: MTFCurve,
    settings: NoiseSettings,
) -> list[dict[str, float]]:
    """Radial NPS of the noise the simulation added at each dose, and of the full-dose noise.

    The added noise of a realization is low-dose minus full-dose image (HU); its NPS is
    averaged over the realizations of the dose. Next to it stands the model's expectation,
    the full-dose NPS times the dose's added variance ratio r
    (:meth:`ldct.simulation.low_dose.NoiseSettings.added_variance_ratio`). Rows with dose 1.0 hold
    the model NPS of the noise the full-dose image itself carries, taken to have the added noise's
    spectrum shape and SD ``settings.full_dose_sigma_hu``; their simulated column is NaN. In the
    projection domain the model is the fbp shape, which FBP noise has where it is stationary
    (uniform regions): a guide, not an exact expectation. Rows: :data:`NPS_COLUMNS`.
    """
    # Projection-domain noise is FBP noise: in a uniform region its NPS has the fbp shape.
    shape = "fbp" if settings.domain == "projection" else settings.spectrum
    full = model_noise_power_spectrum(
        full_dose.shape, spacing_mm, curve, settings.full_dose_sigma_hu, shape
    )
    frequency, full_radial = radial_average(full, spacing_mm)
    rows = []
    for dose in sorted(low_dose, reverse=True):
        fields = np.stack([image.astype(np.float64) - full_dose for image in low_dose[dose]])
        _, measured = radial_average(noise_power_spectrum(fields, spacing_mm), spacing_mm)
        ratio = settings.added_variance_ratio(dose)
        rows += [
            {
                "dose": dose,
                "frequency_lp_per_mm": float(f),
                "nps_simulated_hu2_mm2": float(value),
                "nps_model_hu2_mm2": float(model * ratio),
            }
            for f, value, model in zip(frequency, measured, full_radial)
        ]
    rows += [
        {
            "dose": 1.0,
            "frequency_lp_per_mm": float(f),
            "nps_simulated_hu2_mm2": float("nan"),
            "nps_model_hu2_mm2": float(model),
        }
        for f, model in zip(frequency, full_radial)
    ]
    return rows
