"""The noise of each reading measured on one slice (the report's noise_readings figure)."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.report.figures.simulation import plot_noise_readings
from ldct.simulation.mtf import parametric_mtf
from ldct.simulation.noise_readings import reading_spectra

CURVE = parametric_mtf(0.35, 0.60)


def noise(**changes):
    return {"law": "quantum", "multiplier_applies_to": "total", "spectrum": "mtf2",
            "full_dose_sigma_hu": 10.0, "full_dose_photons": 1e4, **changes}


@pytest.fixture(scope="module")
def spectra():
    rows, cols = np.mgrid[:120, :160]
    image = np.full((120, 160), -1000.0)
    image[((rows - 60) / 50) ** 2 + ((cols - 80) / 70) ** 2 < 1] = 40.0
    readings = {
        "mtf2": (noise(), False),
        "white": (noise(spectrum="white"), False),
        "blurred_white": (noise(spectrum="white"), True),
        "projection": (noise(domain="projection"), False),
    }
    rows = reading_spectra(image, (1.0, 1.0), CURVE, readings, 0.1, 4, 7, "phantom")
    by_reading = {}
    for row in rows:
        by_reading.setdefault(row["reading"], []).append(row)
    return rows, by_reading


def test_each_reading_has_its_spectrum_and_level(spectra):
    _, by_reading = spectra

    def band(name, low, high):
        """Mean NPS of the rings with low <= |f| < high (lp/mm)."""
        return np.mean([r["nps_hu2_mm2"] for r in by_reading[name] if low <= r["frequency_lp_per_mm"] < high])

    sd = {name: rows[0]["added_sd_hu"] for name, rows in by_reading.items()}
    # Image-domain noise has SD sigma0 sqrt(1/d - 1) = 30 HU everywhere.
    for name in ("mtf2", "white", "blurred_white"):
        assert sd[name] == pytest.approx(30.0, rel=0.03)
    # White noise is flat (the blurred reading's noise too: only its image is blurred); MTF^2
    # noise is largest at the lowest frequencies; projection noise is small there and peaks at
    # mid frequencies.
    for name in ("white", "blurred_white"):
        assert band(name, 0.0, 0.1) / band(name, 0.4, 0.5) == pytest.approx(1.0, abs=0.15)
    assert band("mtf2", 0.0, 0.1) > 5 * band("mtf2", 0.4, 0.5)
    assert band("projection", 0.0, 0.05) < 0.5 * band("projection", 0.15, 0.3)


def test_the_figure_draws_every_reading_in_both_panels(spectra):
    rows, by_reading = spectra
    figure = plot_noise_readings(rows, "t", "projection")
    absolute, shape = figure.axes
    assert len(absolute.lines) == len(shape.lines) == len(by_reading)
    assert absolute.lines[-1].get_color() == "black"
