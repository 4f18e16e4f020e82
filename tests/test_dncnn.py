"""DnCNN: architecture, residual output, HU scaling, and KAIR checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ldct.dncnn import (
    DnCNN,
    denoise_hu,
    hu_to_network,
    load_model,
    network_to_hu,
    save_checkpoint,
)
from ldct.errors import LdctInputError


def kair_dncnn(depth: int, channels: int, batch_norm: bool) -> nn.Module:
    """KAIR's network_dncnn.DnCNN as its B.sequential flattens it (act_mode 'BR' or 'R')."""
    layers: list[nn.Module] = [nn.Conv2d(1, channels, 3, padding=1, bias=True), nn.ReLU(True)]
    for _ in range(depth - 2):
        layers.append(nn.Conv2d(channels, channels, 3, padding=1, bias=True))
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels, momentum=0.9, eps=1e-04, affine=True))
        layers.append(nn.ReLU(True))
    layers.append(nn.Conv2d(channels, 1, 3, padding=1, bias=True))

    class KairDnCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(*layers)

        def forward(self, x):
            return x - self.model(x)

    net = KairDnCNN()
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.1, 0.1, generator=generator)
    return net.eval()


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
    window = (-1000.0, 1000.0)
    hu = np.array([-3000.0, -1000.0, 0.0, 1000.0, 3000.0])
    np.testing.assert_allclose(hu_to_network(hu, window), [-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(network_to_hu(hu_to_network(hu, window), window), hu, atol=1e-4)
    # A 200 HU noise SD (5 % dose under the paper's law) is the 25/255 of the natural model.
    assert hu_to_network(np.array([200.0]), window)[0] - hu_to_network(np.array([0.0]), window)[0] == pytest.approx(0.1)


def test_denoise_hu_keeps_shape_and_identity_model_returns_input():
    model = DnCNN(depth=3, channels=4)
    with torch.no_grad():
        model.last_layer.weight.zero_()
        model.last_layer.bias.zero_()
    image = np.random.default_rng(0).normal(40, 100, (30, 45)).astype(np.float32)
    out = denoise_hu(model, image, (-1000, 1000), "cpu")
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, image, atol=1e-3)


@pytest.mark.parametrize("batch_norm", [True, False], ids=["kair-training-layout", "kair-merged-bn"])
def test_kair_state_dict_loads_and_gives_the_same_output(tmp_path, batch_norm):
    torch.manual_seed(1)
    kair = kair_dncnn(depth=6, channels=12, batch_norm=batch_norm)
    path = tmp_path / "dncnn_25.pth"
    torch.save(kair.state_dict(), path)
    ours, info = load_model(path)
    assert ours.architecture == {"depth": 6, "channels": 12}
    assert "KAIR" in info["converted_from"]
    x = torch.rand(2, 1, 33, 29)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), kair(x), rtol=1e-5, atol=1e-5)


def test_data_parallel_prefix_is_accepted(tmp_path):
    kair = kair_dncnn(depth=4, channels=8, batch_norm=False)
    path = tmp_path / "parallel.pth"
    torch.save({f"module.{k}": v for k, v in kair.state_dict().items()}, path)
    ours, _ = load_model(path)
    x = torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), kair(x), rtol=1e-5, atol=1e-5)


def test_our_checkpoint_round_trips(tmp_path):
    torch.manual_seed(2)
    model = DnCNN(depth=4, channels=8)
    save_checkpoint(tmp_path / "m.pt", model, {"note": "x"})
    loaded, info = load_model(tmp_path / "m.pt")
    assert info == {"note": "x"}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert not (tmp_path / "m.pt.partial").exists()


def test_unreadable_or_foreign_checkpoints_name_the_file(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(LdctInputError, match="garbage.pt"):
        load_model(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, foreign)
    with pytest.raises(LdctInputError, match="foreign.pt"):
        load_model(foreign)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_asking_for_cuda_without_a_gpu_names_the_config_key():
    with pytest.raises(LdctInputError, match="config key dncnn.device"):
        denoise_hu(DnCNN(depth=3, channels=2), np.zeros((8, 8), np.float32), (-1000, 1000), "cuda")
