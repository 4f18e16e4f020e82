"""The DnCNN authors' MatConvNet networks as ldct DnCNNs: the layout of a MATLAB v7.3 file read
right, bad files refused, and the two shipped conversions intact and as good as recorded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data

from conftest import REPO
from ldct.core.errors import LdctInputError
from ldct.core.storage import file_sha256, load_json
from ldct.denoising.checkpoints import load_model
from ldct.denoising.matconvnet import convert_matconvnet_dncnn
from ldct.evaluation.gaussian_denoising import denoised_psnr_db

h5py = pytest.importorskip("h5py")

MODELS = REPO / "ldct" / "models"


def matlab_text(text: str) -> np.ndarray:
    """A MATLAB char array as a v7.3 file stores it: uint16 codes, one column."""
    return np.array([[ord(c)] for c in text], dtype=np.uint16)


def write_matconvnet(path, layers) -> None:
    """A MatConvNet ``net.layers`` file as MATLAB v7.3 writes it. ``layers``: ('relu', None) or
    ('conv', (filters, bias)) with filters as MATLAB holds them, [H, W, in, out]. HDF5 keeps
    MATLAB's column-major data, which h5py shows with the axes reversed (``.T``); MATLAB drops
    trailing singleton axes, so one output channel leaves [H, W, in]."""
    with h5py.File(path, "w") as handle:
        refs = handle.create_group("#refs#")
        references = []
        for number, (kind, weights) in enumerate(layers):
            group = refs.create_group(f"layer{number}")
            group["type"] = matlab_text(kind)
            if kind == "conv":
                filters, bias = weights
                if filters.shape[-1] == 1:
                    filters = filters[..., 0]
                parts = [refs.create_dataset(f"w{number}", data=filters.T),
                         refs.create_dataset(f"b{number}", data=bias[None, :])]
                group.create_dataset("weights", data=np.array([[p.ref] for p in parts], dtype=h5py.ref_dtype))
                group["pad"] = np.ones((1, 4))
                group["stride"] = np.ones((1, 2))
            references.append(group.ref)
        net = handle.create_group("net")
        net.create_dataset("layers", data=np.array([[r] for r in references], dtype=h5py.ref_dtype))


def dncnn_layers(depth: int, channels: int, rng) -> list:
    """Random filters for a DnCNN of ``depth`` convolutions, MATLAB layout [H, W, in, out]."""
    widths = [1] + [channels] * (depth - 1) + [1]
    layers = []
    for number in range(depth):
        filters = rng.normal(0, 0.2, (3, 3, widths[number], widths[number + 1])).astype(np.float32)
        layers.append(("conv", (filters, rng.normal(0, 0.05, widths[number + 1]).astype(np.float32))))
        if number < depth - 1:
            layers.append(("relu", None))
    return layers


def test_a_matlab_filter_h_w_in_out_becomes_pytorchs_out_in_h_w(tmp_path):
    """Filter element [h, w, i, o] of the MATLAB array is weight[o, i, h, w] of the network, and
    the network computes what a plain correlation with those weights computes."""
    layers = dncnn_layers(depth=4, channels=5, rng=np.random.default_rng(0))
    write_matconvnet(tmp_path / "net.mat", layers)
    model = convert_matconvnet_dncnn(tmp_path / "net.mat")
    assert model.architecture == {"depth": 4, "channels": 5, "batch_norm": False}
    convolutions = [weights for kind, weights in layers if kind == "conv"]
    x = torch.from_numpy(np.random.default_rng(1).random((1, 1, 12, 9)).astype(np.float32))
    residual = x
    for number, (filters, bias) in enumerate(convolutions):
        weight = torch.from_numpy(np.ascontiguousarray(filters.transpose(3, 2, 0, 1)))
        residual = torch.nn.functional.conv2d(residual, weight, torch.from_numpy(bias), padding=1)
        if number < len(convolutions) - 1:
            residual = torch.relu(residual)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x - residual, rtol=0, atol=1e-5)


def test_a_file_that_is_not_a_matconvnet_dncnn_is_refused_naming_it(tmp_path):
    (tmp_path / "text.mat").write_text("not HDF5")
    with pytest.raises(LdctInputError, match="text.mat: not a MATLAB v7.3"):
        convert_matconvnet_dncnn(tmp_path / "text.mat")
    layers = dncnn_layers(depth=3, channels=2, rng=np.random.default_rng(2))
    write_matconvnet(tmp_path / "pooled.mat", layers[:2] + [("pool", None)] + layers[2:])
    with pytest.raises(LdctInputError, match="pooled.mat: layers .* are not a DnCNN's"):
        convert_matconvnet_dncnn(tmp_path / "pooled.mat")


@pytest.mark.parametrize("name, depth", [("authors_dncnn_b", 20), ("authors_dncnn_s25", 17)])
def test_the_shipped_conversions_are_intact_and_denoise_as_recorded(name, depth):
    """SHA-256 as in the manifest; merged batch norm; BSD68 PSNR (recorded by
    benchmarks/dncnn_reference.py) within 0.1 dB of the paper's; the PSNR on scikit-image's
    camera at sigma 25 as recorded, within 0.01 dB (uint8 rounding may differ by CPU)."""
    checkpoint = MODELS / f"{name}.pt"
    manifest = load_json(checkpoint.with_suffix(".json"))
    assert file_sha256(checkpoint) == manifest["sha256"]
    model, _ = load_model(checkpoint)
    assert model.architecture == {"depth": depth, "channels": 64, "batch_norm": False}
    for sigma, published in manifest["published_bsd68_psnr_db"].items():
        assert abs(manifest["bsd68_psnr_db"][sigma] - published) < 0.1
    camera = manifest["camera_psnr_db"]
    measured = denoised_psnr_db(model, data.camera(), camera["sigma"], camera["seed"])
    assert measured == pytest.approx(camera["psnr_db"], abs=0.01)
