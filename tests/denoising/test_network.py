"""A checkpoint as a denoiser: the fast path of the study and the CLI against the plain model, and
the HU scaling a checkpoint records."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_checkpoints import with_trained_batch_norms

from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import save_checkpoint
from ldct.denoising.dncnn import DnCNN, plain_denoise_hu
from ldct.denoising.network import load_network_denoiser

WINDOW = HuWindow(-1000.0, 1000.0)


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(3)
    path = tmp_path / "model.pt"
    save_checkpoint(path, with_trained_batch_norms(DnCNN(depth=5, channels=8), seed=4))
    return path


def test_a_window_scaled_stack_equals_the_plain_model_within_a_hundredth_of_a_hu(checkpoint):
    denoiser = load_network_denoiser(checkpoint, "window", WINDOW, "cpu")
    stack = np.random.default_rng(5).normal(40, 200, (2, 24, 20)).astype(np.float32)
    denoised, scaling = denoiser(stack, ["a", "b"])
    plain = np.stack([plain_denoise_hu(denoiser.model, image, WINDOW, "cpu") for image in stack])
    assert np.abs(denoised - plain).max() < 0.01
    assert scaling.describe()["hu_scaling"] == "window"


def test_no_scaling_given_takes_the_one_the_checkpoint_records_else_the_window(tmp_path, checkpoint):
    assert load_network_denoiser(checkpoint, None, WINDOW, "cpu").hu_scaling == "window"
    model = DnCNN(depth=3, channels=4)
    save_checkpoint(tmp_path / "minmax.pt", model, {"hu_scaling": "minmax"})
    assert load_network_denoiser(tmp_path / "minmax.pt", None, WINDOW, "cpu").hu_scaling == "minmax"
    assert load_network_denoiser(tmp_path / "minmax.pt", "window", WINDOW, "cpu").hu_scaling == "window"
