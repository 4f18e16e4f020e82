"""Seconds per 250 x 350 slice of every denoising method, side by side
(benchmarks/results.md, "Denoisers per slice").

One slice of the study's size (1 mm pixels: a soft-tissue ellipse with a spine) at 10 % dose of
the study's default simulation, denoised by every registered filter (``bm3d`` only where the
extra ``ldct[bm3d]`` is installed, told the noise's spectrum as in the study; ``nl_means`` told its
SD) and by the original DnCNN (the authors' DnCNN-B, ``dncnn.inference_threads`` 1 as in the
study's denoise jobs), interleaved, best of ``--repeats``. ``--into results.json`` adds the result
to the suite's results under ``denoisers``, for ``python benchmarks/run.py --report-only``.

    python benchmarks/denoiser_speed.py [--repeats 3] [--into benchmarks/results.json]
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import torch

from ldct.core.methods import METHODS
from ldct.core.window import HuWindow
from ldct.denoising.bm3d import bm3d_psd
from ldct.denoising.filters import denoise
from ldct.denoising.network import load_network_denoiser
from ldct.denoising.originals import DEFAULT_ORIGINAL
from ldct.simulation.low_dose import NoiseSettings, simulate_low_dose
from ldct.simulation.mtf import parametric_mtf
from ldct.simulation.nps import model_noise_power_spectrum
from projection_speed import SPACING, phantom
from timing import dated, interleaved, separate


def measure(repeats: int) -> dict:
    torch.set_num_threads(1)
    clean, curve = phantom(), parametric_mtf(0.35, 0.60)
    settings = NoiseSettings(law="paper", multiplier_applies_to="total", spectrum="mtf2",
                             full_dose_sigma_hu=10.0, full_dose_photons=1e4)
    low = simulate_low_dose(clean, SPACING, 0.1, settings, curve, np.random.SeedSequence(1))
    sd = settings.total_sd_hu(0.1)
    psd = bm3d_psd(model_noise_power_spectrum(low.shape, SPACING, curve, sd, "mtf2"), SPACING)
    network = load_network_denoiser(DEFAULT_ORIGINAL, "window", HuWindow(-1000.0, 1000.0), "cpu")
    runs = {
        name: (lambda name=name: denoise(low, name, {k: v["default"] for k, v in entry.parameters.items()},
                                         noise_sd_hu=sd, noise_psd=psd))
        for name, entry in METHODS.items()
        if entry.kind == "filter" and (entry.extra is None or find_spec(entry.extra) is not None)
    }
    runs["dncnn"] = lambda: network(low[None], ["benchmark slice"])
    seconds = interleaved(runs, repeats, torch.device("cpu"))
    return {"seconds": {name: min(values) for name, values in seconds.items()}}


def markdown(result: dict) -> str:
    seconds = result["seconds"]
    lines = [
        dated(result, f"a 250 x 350 slice at 10 % dose, one thread, {result['machine']['cpu_capability']}, "
              "best of the interleaved runs (`bm3d` only with the extra `ldct[bm3d]` installed):"),
        "",
        "| method | s per slice | x the Gaussian filter |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {name} | {value:.3f} | {value / seconds['gaussian']:.0f} |" for name, value in seconds.items()]
    return "\n".join(lines)


def main() -> None:
    separate(__doc__.splitlines()[0], "denoisers", measure, markdown)


if __name__ == "__main__":
    main()
