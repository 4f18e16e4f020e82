"""What ``ldct denoise`` and ``ldct simulate`` do to one native CT slice, with the study's code.

Each builder returns a :data:`ldct.series.SliceOperation` and the :class:`Derivation` that
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

from . import __version__
from .dicom_write import Derivation
from .errors import LdctInputError
from .hu import slice_metadata
from .methods import method
from .mtf import parametric_mtf
from .noise import NoiseSettings, noise_sd_multiplier, simulate_low_dose, simulation_seed
from .noise_estimate import estimate_noise_sd_hu
from .series import SliceOperation
from .storage import file_sha256
from .window import HuWindow


def _settings_text(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())


def filter_operation(name: str, parameters: Mapping[str, Any]) -> tuple[SliceOperation, Derivation]:
    """The registered method ``name`` of kind ``filter`` with ``parameters``."""
    from .denoise import denoise

    entry = method(name)
    text = _settings_text(parameters)
    derivation = Derivation(
        summary=f"{name} {text}".strip(),
        details=f"{__version__}: denoised by the {entry.description} ({text or 'no parameters'})",
    )
    return (lambda hu, dataset, path: denoise(hu, name, dict(parameters))), derivation


def network_operation(
    model_path: str | Path, hu_scaling: str | None, window: HuWindow, device: str
) -> tuple[SliceOperation, Derivation]:
    """The DnCNN of checkpoint ``model_path``: HU mapped by ``hu_scaling`` (``window`` with
    ``window``, or each slice's ``minmax``; None: the scaling the checkpoint records it was
    trained with, else ``window``), run on ``device``; slices wider than
    :data:`ldct.inference.TILE_PX` go through in seamless tiles."""
    from .checkpoints import load_model
    from .inference import denoise_stack
    from .scaling import stack_scaling

    model, info = load_model(model_path)
    hu_scaling = hu_scaling or info.get("hu_scaling", "window")
    scaled = f"window {window.low_hu:g}..{window.high_hu:g} HU" if hu_scaling == "window" else "minmax"

    def operation(hu: np.ndarray, dataset: Dataset, path: Path) -> np.ndarray:
        scaling = stack_scaling(hu_scaling, hu[None], window, [str(path)])
        return denoise_stack(model, hu[None], scaling, device)[0]

    derivation = Derivation(
        summary=f"DnCNN {Path(model_path).stem}",
        details=(
            f"{__version__}: denoised by the DnCNN {Path(model_path).name} (SHA-256 "
            f"{file_sha256(model_path)[:16]}), HU scaling {scaled}"
        ),
    )
    return operation, derivation


def measured_noise(files: list[Path]) -> dict[Path, float]:
    """Full-dose noise SD (HU) of each slice by :mod:`ldct.noise_estimate`; slices with too
    little soft tissue take the median of the others. LdctInputError when none is measurable."""
    from .dicom import read_ct_slice
    from .hu import to_hu_with_fill

    measured: dict[Path, float | None] = {}
    for path in files:
        dataset, pixels = read_ct_slice(path)
        spacing = slice_metadata(dataset, path)["pixel_spacing_mm"]
        try:
            measured[path] = estimate_noise_sd_hu(to_hu_with_fill(dataset, pixels)[0], spacing, str(path))
        except LdctInputError as error:
            logging.info("%s; it takes the series median", error)
            measured[path] = None
    known = [value for value in measured.values() if value is not None]
    if not known:
        raise LdctInputError(
            f"{files[0].parent}: no slice has enough soft tissue to measure its noise; give "
            "--full-dose-sigma-hu as a number"
        )
    median = float(np.median(known))
    return {path: median if value is None else value for path, value in measured.items()}


def simulation_operation(
    dose: float,
    noise: Mapping[str, Any],
    mtf50_lp_per_mm: float,
    mtf10_lp_per_mm: float,
    seed: int,
    sigma_by_file: Mapping[Path, float] | None = None,
) -> tuple[SliceOperation, Derivation]:
    """A low-dose version at relative ``dose`` by the study's simulation (:mod:`ldct.noise`):
    ``noise`` is config section ``noise``; where its ``full_dose_sigma_hu`` is ``measure``,
    ``sigma_by_file`` gives each file's (see :func:`measured_noise`). Each slice is seeded from
    (``seed``, its SOPInstanceUID, ``dose``), so reruns give the same noise."""
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
            f"{__version__}: simulated {dose * 100:g} % dose: law {noise['law']} (SD multiplier "
            f"{multiplier:.4g} of the {noise['multiplier_applies_to']} noise), full-dose noise SD "
            f"{sigma_text}, spectrum {noise['spectrum']}, MTF50 {mtf50_lp_per_mm:g} / MTF10 "
            f"{mtf10_lp_per_mm:g} lp/mm, {noise['full_dose_photons']:g} photons per pixel, seed {seed}"
        ),
    )
    return operation, derivation
