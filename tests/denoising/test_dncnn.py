"""DnCNN: architecture, residual output, HU scaling and whole-image denoising."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ldct.core.window import HuWindow
from ldct.denoising.dncnn import DnCNN, hu_to_network, network_to_hu, plain_denoise_hu


def test_paper_architecture_layers_and_parameter_count():
    """20 convolutions of 3x3, 64 filters, batch norm in the 18 middle layers, ReLU."""
    model = DnCNN()
    convolutions = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convolutions) == 20
    assert all(conv.kernel_size == (3, 3) for conv in convolutions)
    assert [conv.out_channels for conv in convolutions] == [64] * 19 + [1]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 18
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 19
    head, body, tail = 9 * 64 + 64, 18 * (9 * 64 * 64 + 64 + 2 * 64), 9 * 64 + 1
    assert sum(p.numel() for p in model.parameters()) == head + body + tail == 668_225


def test_output_is_input_minus_predicted_residual():
    torch.manual_seed(0)
    model = DnCNN(depth=5, channels=16).eval()
    x = torch.rand(3, 1, 37, 41)
    with torch.no_grad():
        out = model(x)
        residual = model.model(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, x - residual, rtol=0, atol=0)
    with torch.no_grad():
        model.last_layer.weight.zero_()
        model.last_layer.bias.zero_()
        assert torch.equal(model(x), x)  # no residual predicted: the input comes back


def test_hu_mapping_is_linear_unclipped_and_invertible():
    window = HuWindow(-1000.0, 1000.0)
    hu = np.array([-3000.0, -1000.0, 0.0, 1000.0, 3000.0])
    np.testing.assert_allclose(hu_to_network(hu, window), [-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(network_to_hu(hu_to_network(hu, window), window), hu, atol=1e-4)
    # A 200 HU noise SD (5 % dose under the paper's law) is the 25/255 of the natural model.
    assert hu_to_network(np.array([200.0]), window)[0] - hu_to_network(np.array([0.0]), window)[0] == pytest.approx(0.1)


def test_plain_denoise_hu_keeps_shape_and_identity_model_returns_input():
    model = DnCNN(depth=3, channels=4)
    with torch.no_grad():
        model.last_layer.weight.zero_()
        model.last_layer.bias.zero_()
    image = np.random.default_rng(0).normal(40, 100, (30, 45)).astype(np.float32)
    out = plain_denoise_hu(model, image, HuWindow(-1000, 1000), "cpu")
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, image, atol=1e-3)


def test_the_merged_batch_norm_form_has_convolutions_and_relus_only_and_keeps_it_on_disk(tmp_path):
    """The form of the DnCNN authors' published networks: KAIR's layout without batch norm
    (conv, ReLU, ..., conv at index 2 (depth - 1)); a checkpoint records and restores it."""
    from ldct.denoising.checkpoints import load_model, save_checkpoint

    model = DnCNN(depth=5, channels=3, batch_norm=False)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert len(model.model) == 2 * (5 - 1) + 1 and model.last_layer is model.model[8]
    assert model.architecture == {"depth": 5, "channels": 3, "batch_norm": False}
    assert DnCNN(depth=5, channels=3).architecture == {"depth": 5, "channels": 3}
    save_checkpoint(tmp_path / "merged.pt", model)
    loaded, _ = load_model(tmp_path / "merged.pt")
    assert loaded.architecture == model.architecture
    x = torch.rand(1, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model.eval()(x))
