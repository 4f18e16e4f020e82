"""The default original DnCNN (the authors' DnCNN-B, a fixture checkpoint) on a real CT slice.

The tiny study's workflow tests train a 4-layer network for a few steps, whose scores depend on
the order in which a CPU's kernels sum; what the study's original DnCNN does with the dose is
asserted here, on the shipped network, whose scores do not.
"""

from __future__ import annotations

import numpy as np

from ldct.cli.main import DEFAULT_HU_WINDOW, DEFAULT_MTF_LP_PER_MM, DEFAULT_NOISE
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.inference import denoise_stack
from ldct.denoising.originals import DEFAULT_ORIGINAL
from ldct.denoising.scaling import window_scaling
from ldct.evaluation.metrics import paper_metrics
from ldct.io.embedded import DATA
from ldct.io.prepare import SliceSettings, prepare_slice
from ldct.simulation.low_dose import NoiseSettings, simulate_low_dose
from ldct.simulation.mtf import parametric_mtf



def test_the_original_dncnns_score_follows_the_dose():
    """A 128 x 128 window of a shipped abdominal slice at 50 % and 10 % dose, denoised by the
    default original DnCNN in the default HU window: its SSIM is far higher at the higher dose
    (it does not remove one fixed noise level). Measured: 0.94 against 0.39 (float32 rounding
    moves either by about 1e-6)."""
    path = sorted((DATA / "abdominal_ct" / "kits_00072").glob("*.dcm"))[0]
    full, meta = prepare_slice(path, SliceSettings())
    full = full[60:188, 110:238]
    spacing = tuple(meta["pixel_spacing_mm"])
    model, _ = load_model(DEFAULT_ORIGINAL)
    noise = NoiseSettings.from_config(DEFAULT_NOISE)
    curve = parametric_mtf(DEFAULT_MTF_LP_PER_MM["mtf50"], DEFAULT_MTF_LP_PER_MM["mtf10"])
    scaling = window_scaling(HuWindow(*DEFAULT_HU_WINDOW))
    scores = {}
    for dose in (0.5, 0.1):
        low = simulate_low_dose(full, spacing, dose, noise, curve, np.random.SeedSequence(5))
        denoised = denoise_stack(model, low[None], scaling, "cpu")[0]
        assert np.abs(denoised - low).mean() > 1.0, dose
        scores[dose] = paper_metrics(denoised, full)["ssim_paper"]
    assert scores[0.5] - scores[0.1] > 0.3, scores
