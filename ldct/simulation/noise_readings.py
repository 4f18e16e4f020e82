"""The noise of each reading of the simulation, measured on one slice: the report's comparison of
the image-domain readings with projection-domain noise (figure ``noise_readings``).

A reading is a config section ``noise`` (with a numeric full-dose SD) and ``mtf.blur_image``.
Each is simulated on the same full-dose slice at the same dose, with the same seeds; the added
noise of a realization is the low-dose image minus the reading's reference (the slice, or under
``blur_image`` the slice blurred by the MTF), and its radial NPS is averaged over the
realizations (:mod:`ldct.simulation.nps`, whole slice).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ldct.simulation.low_dose import NoiseSettings, simulate_draws
from ldct.simulation.mtf import MTFCurve, blur_image
from ldct.simulation.nps import noise_power_spectrum, radial_average

READING_COLUMNS = ("reading", "frequency_lp_per_mm", "nps_hu2_mm2", "added_sd_hu")


def reading_spectra(
    image: np.ndarray,
    spacing_mm: tuple[float, float],
    curve: MTFCurve,
    readings: Mapping[str, tuple[Mapping[str, Any], bool]],
    dose: float,
    realizations: int,
    seed: int,
    image_id: str,
) -> list[dict[str, Any]]:
    """Rows (:data:`READING_COLUMNS`) of the radial NPS (HU^2 mm^2) of the noise each reading
    adds to ``image`` (HU) at ``dose``, with that noise's SD over the slice (HU).

    ``readings`` maps a name to (noise section with a numeric ``full_dose_sigma_hu``, blur_image).
    """
    rows = []
    for name, (noise, blurred) in readings.items():
        settings = NoiseSettings.from_config(noise)
        reference = blur_image(image, spacing_mm, curve) if blurred else np.asarray(image, np.float32)
        draws = [(dose, realization) for realization in range(realizations)]
        stack, _ = simulate_draws(reference, spacing_mm, draws, settings, curve, seed, image_id)
        added = stack.astype(np.float64) - reference
        frequency, nps = radial_average(noise_power_spectrum(added, spacing_mm), spacing_mm)
        sd = float(np.sqrt(np.mean(added.var(axis=(1, 2)))))
        rows += [
            {"reading": name, "frequency_lp_per_mm": float(f), "nps_hu2_mm2": float(v), "added_sd_hu": sd}
            for f, v in zip(frequency, nps)
        ]
    return rows
