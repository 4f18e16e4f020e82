"""What ``ldct denoise`` and ``ldct simulate`` do to one native CT slice, with the study's code.

Each builder returns a :data:`ldct.io.series.SliceOperation` and the :class:`Derivation` that
describes it in the output files. Slices keep their own pixel grid (no reorientation,
resampling or cropping), so filter sizes are in the slice's own pixels and the MTF and noise
spectrum use its own pixel spacing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from pydicom.dataset import Dataset

from ldct import __version__
from ldct.core.errors import LdctInputError
from ldct.core.methods import method
from ldct.core.storage import file_sha256
from ldct.core.window import HuWindow
from ldct.io.dicom_write import Derivation
from ldct.io.header import slice_metadata
from ldct.io.series import SliceOperation
from ldct.simulation.full_dose_noise import noise_table
from ldct.simulation.low_dose import (
    NoiseSettings,
    noise_sd_multiplier,
    simulate_low_dose,
    simulation_seed,
)
from ldct.simulation.mtf import parametric_mtf


def _settings_text(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())


def filter_operation(name: str, parameters: Mapping[str, Any]) -> tuple[SliceOperation, Derivation]:
    """The registered method ``name`` of kind ``filter`` with ``parameters``."""
    from ldct.denoising.filters import denoise

    entry = method(name)
    text = _settings_text(parameters)
    # A series' own noise is not known: a method told its SD or spectrum estimates it per slice.
    estimated = ", noise SD estimated on each slice" if entry.noise_sd or entry.noise_psd else ""
    derivation = Derivation(
        summary=f"{name} {text}".strip(),
        details=f"{__version__}: denoised by the {entry.description} ({text or 'no parameters'}{estimated})",
    )
    return (lambda hu, dataset, path: denoise(hu, name, dict(parameters))), derivation


def network_operation(
    model_path: str | Path, hu_scaling: str | None, window: HuWindow, device: str
) -> tuple[SliceOperation, Derivation]:
    """The DnCNN of checkpoint ``model_path``: HU mapped by ``hu_scaling`` (``window`` with
    ``window``, or each slice's ``minmax``; None: the scaling the checkpoint records it was
    trained with, else ``window``), run on ``device``; slices wider than
    :data:`ldct.denoising.inference.TILE_PX` go through in seamless tiles."""
    from ldct.denoising.network import load_network_denoiser

    denoiser = load_network_denoiser(model_path, hu_scaling, window, device)
    scaled = "minmax"
    if denoiser.hu_scaling == "window":
        scaled = f"window {window.low_hu:g}..{window.high_hu:g} HU"

    def operation(hu: np.ndarray, dataset: Dataset, path: Path) -> np.ndarray:
        return denoiser(hu[None], [str(path)])[0][0]

    derivation = Derivation(
        summary=f"DnCNN {Path(model_path).stem}",
        details=(
            f"{__version__}: denoised by the DnCNN {Path(model_path).name} (SHA-256 "
            f"{file_sha256(model_path)[:16]}), HU scaling {scaled}"
        ),
    )
    return operation, derivation


def measured_noise(files: list[Path]) -> dict[Path, float]:
    """Full-dose noise SD (HU) of each slice by the study's rule
    (:func:`ldct.simulation.full_dose_noise.noise_table`), the series taken as one patient: a
    slice with too little soft tissue takes the median of the others. LdctInputError when none
    is measurable."""
    from ldct.io.dicom_read import read_ct_slice
    from ldct.io.hu import to_hu_with_fill

    def slices():
        for path in files:
            dataset, pixels = read_ct_slice(path)
            row = {"image": str(path), "role": "input", "patient": "series"}
            spacing = slice_metadata(dataset, path)["pixel_spacing_mm"]
            yield row, to_hu_with_fill(dataset, pixels)[0], spacing

    rows = noise_table(slices())
    for row in rows:
        if row["note"]:
            logging.info("%s; it takes the %s", row["note"], row["source"])
    if rows[0]["source"] == "none":
        raise LdctInputError(
            f"{files[0].parent}: no slice has enough soft tissue to measure its noise; give "
            "--full-dose-sigma-hu as a number"
        )
    return {path: row["used_sd_hu"] for path, row in zip(files, rows, strict=True)}


def _law_text(noise: Mapping[str, Any], multiplier: float) -> str:
    """How the noise grows as the dose falls, for a derived series' description."""
    if noise.get("domain", "image") == "projection":
        return "photon counts (added variance (1/dose - 1) x the full-dose variance)"
    return (
        f"law {noise['law']} (SD multiplier {multiplier:.4g} of the "
        f"{noise['multiplier_applies_to']} noise)"
    )


def _noise_shape_text(noise: Mapping[str, Any]) -> str:
    """How the noise is shaped, for a derived series' description."""
    if noise.get("domain", "image") == "projection":
        return (
            "inserted in parallel-beam projections (photons per ray calibrated to the full-dose SD, "
            f"electronic noise variance {noise.get('electronic_noise_variance', 0.0):g}) and reconstructed by FBP"
        )
    return f"spectrum {noise['spectrum']}, {noise['full_dose_photons']:g} photons per pixel"


def simulation_operation(
    dose: float,
    noise: Mapping[str, Any],
    mtf50_lp_per_mm: float,
    mtf10_lp_per_mm: float,
    seed: int,
    sigma_by_file: Mapping[Path, float] | None = None,
) -> tuple[SliceOperation, Derivation]:
    """A low-dose version at relative ``dose`` by the study's simulation
    (:mod:`ldct.simulation.low_dose`): ``noise`` is config section ``noise``; where its
    ``full_dose_sigma_hu`` is ``measure``, ``sigma_by_file`` gives each file's (see
    :func:`measured_noise`). Each slice is seeded from (``seed``, its SOPInstanceUID, ``dose``), so
    reruns give the same noise."""
    curve = parametric_mtf(mtf50_lp_per_mm, mtf10_lp_per_mm)
    multiplier = noise_sd_multiplier(dose, noise["law"])
    settings = NoiseSettings.from_config(noise, full_dose_sigma_hu=1.0 if sigma_by_file else None)

    def operation(hu: np.ndarray, dataset: Dataset, path: Path) -> np.ndarray:
        slice_settings = settings if sigma_by_file is None else replace(
            settings, full_dose_sigma_hu=sigma_by_file[path]
        )
        spacing = tuple(slice_metadata(dataset, path)["pixel_spacing_mm"])
        draw_seed = simulation_seed(seed, str(dataset.SOPInstanceUID), dose, 0)
        return simulate_low_dose(hu, spacing, dose, slice_settings, curve, draw_seed)

    sigma_text = "measured per slice" if sigma_by_file is not None else f"{noise['full_dose_sigma_hu']:g} HU"
    derivation = Derivation(
        summary=f"simulated {dose * 100:g}% dose",
        details=(
            f"{__version__}: simulated {dose * 100:g} % dose: {_law_text(noise, multiplier)}, full-dose noise SD "
            f"{sigma_text}, {_noise_shape_text(noise)}, MTF50 {mtf50_lp_per_mm:g} / MTF10 "
            f"{mtf10_lp_per_mm:g} lp/mm, seed {seed}"
        ),
    )
    return operation, derivation
