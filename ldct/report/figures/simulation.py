"""Figures of the low-dose simulation: the MTF (the paper's Fig. 2), the noise power spectra, and
the noise of every reading against projection-domain noise."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ldct.core.doses import dose_caption
from ldct.report.figures.style import plt


def plot_mtf(frequency_lp_per_mm: np.ndarray, mtf: np.ndarray, title: str) -> plt.Figure:
    """The MTF against spatial frequency, with its 50 % and 10 % points marked."""
    figure, axis = plt.subplots(figsize=(5.5, 4.0), layout="constrained")
    axis.plot(frequency_lp_per_mm, mtf, color="black", linewidth=1.5)
    for level, style in ((0.5, "--"), (0.1, ":")):
        crossing = float(np.interp(level, mtf[::-1], frequency_lp_per_mm[::-1]))
        axis.axhline(level, color="grey", linestyle=style, linewidth=0.8)
        axis.plot([crossing], [level], "o", color="red", markersize=4)
        axis.annotate(
            f"MTF{level * 100:.0f} = {crossing:.2f} lp/mm",
            (crossing, level),
            xytext=(8, 6),
            textcoords="offset points",
            fontsize=9,
        )
    axis.set_xlim(0, float(frequency_lp_per_mm[-1]))
    axis.set_ylim(0, 1.05)
    axis.set_xlabel("spatial frequency (lp/mm)")
    axis.set_ylabel("MTF (unitless)")
    axis.set_title(title, fontsize=10)
    axis.grid(alpha=0.3)
    return figure


def plot_noise_power_spectra(rows: Sequence[Mapping[str, str]], title: str) -> plt.Figure:
    """Radial NPS (HU^2 mm^2, log scale) of the noise added at each dose, and the full-dose one.

    ``rows`` are those of :func:`ldct.simulation.nps.simulated_noise_spectra` (values as text or
    numbers): each dose's simulated NPS (solid) with the model's expectation (dotted), and the model
    NPS of the noise the full-dose image carries (dose 1, black, dashed).
    """
    curves: dict[float, list[tuple[float, float, float]]] = {}
    for row in rows:
        curves.setdefault(float(row["dose"]), []).append(
            (
                float(row["frequency_lp_per_mm"]),
                float(row["nps_simulated_hu2_mm2"]),
                float(row["nps_model_hu2_mm2"]),
            )
        )
    figure, axis = plt.subplots(figsize=(6.8, 4.4), layout="constrained")
    doses = sorted((dose for dose in curves if dose < 1.0), reverse=True)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(doses), 1)))
    for colour, dose in zip(colours, doses):
        frequency, simulated, model = np.array(curves[dose]).T
        axis.plot(frequency, simulated, color=colour, linewidth=1.4, label=f"{dose_caption(dose)}: added noise")
        axis.plot(frequency, model, color=colour, linewidth=0.9, linestyle=":")
    frequency, _, model = np.array(curves[1.0]).T
    axis.plot(frequency, model, color="black", linestyle="--", linewidth=1.4, label="Full-dose noise (model)")
    axis.plot([], [], color="grey", linestyle=":", linewidth=0.9, label="model of each dose")
    axis.set_yscale("log")
    axis.set_xlim(0, float(frequency[-1]))
    axis.set_xlabel("spatial frequency (lp/mm)")
    axis.set_ylabel("NPS (HU² mm²)")
    axis.set_title(title, fontsize=10)
    axis.grid(alpha=0.3, which="both")
    figure.legend(loc="outside right upper", fontsize=9, frameon=False)
    return figure


def plot_noise_readings(rows: Sequence[Mapping[str, str]], title: str, reference: str) -> plt.Figure:
    """Radial NPS of the noise each reading adds (left, HU^2 mm^2, log scale) and the same
    divided by that noise's variance (right, mm^2: the shape alone), the ``reference`` reading in
    black. ``rows``: :func:`ldct.simulation.noise_readings.reading_spectra`.
    """
    curves: dict[str, list[tuple[float, float]]] = {}
    sds: dict[str, float] = {}
    for row in rows:
        curves.setdefault(row["reading"], []).append((float(row["frequency_lp_per_mm"]), float(row["nps_hu2_mm2"])))
        sds[row["reading"]] = float(row["added_sd_hu"])
    figure, (absolute, shape) = plt.subplots(1, 2, figsize=(11.0, 4.4), layout="constrained")
    others = [name for name in curves if name != reference]
    colours = plt.get_cmap("tab10")(np.arange(len(others)) % 10)
    styles = [(name, colour, 1.2) for name, colour in zip(others, colours)]
    if reference in curves:
        styles.append((reference, "black", 2.2))
    for name, colour, width in styles:
        frequency, nps = np.array(curves[name]).T
        label = f"{name} (SD {sds[name]:.3g} HU)"
        absolute.plot(frequency, nps, color=colour, linewidth=width, label=label)
        shape.plot(frequency, nps / sds[name] ** 2, color=colour, linewidth=width, label=name)
    absolute.set_yscale("log")
    absolute.set_ylabel("NPS (HU² mm²)")
    shape.set_ylabel("NPS / noise variance (mm²)")
    for axis in (absolute, shape):
        axis.set_xlabel("spatial frequency (lp/mm)")
        axis.grid(alpha=0.3)
    absolute.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    return figure
