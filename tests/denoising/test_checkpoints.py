"""Checkpoints: this project's format round-trips, KAIR state dicts load, bad files are named."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ldct.core.errors import LdctInputError
from ldct.denoising.checkpoints import load_model, save_checkpoint, state_digest
from ldct.denoising.dncnn import DnCNN


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

    return with_trained_batch_norms(KairDnCNN(), seed=3)


def with_trained_batch_norms(net: nn.Module, seed: int) -> nn.Module:
    """``net`` in eval mode with non-trivial batch-norm statistics and affine parameters, as a
    trained network has (in place)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.1, 0.1, generator=generator)
    return net.eval()


@pytest.mark.parametrize("batch_norm", [True, False], ids=["kair-training-layout", "kair-merged-bn"])
def test_kair_state_dict_loads_and_gives_the_same_output(tmp_path, batch_norm):
    torch.manual_seed(1)
    kair = kair_dncnn(depth=6, channels=12, batch_norm=batch_norm)
    path = tmp_path / "dncnn_25.pth"
    torch.save(kair.state_dict(), path)
    ours, info = load_model(path)
    merged = {} if batch_norm else {"batch_norm": False}  # merged form: no batch norm to train
    assert ours.architecture == {"depth": 6, "channels": 12, **merged}
    assert ours.batch_norm is batch_norm
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


def test_state_digest_changes_with_any_weight():
    torch.manual_seed(4)
    model = DnCNN(depth=3, channels=2)
    before = state_digest(model)
    assert state_digest(model) == before
    with torch.no_grad():
        model.last_layer.bias.add_(1e-6)
    assert state_digest(model) != before
