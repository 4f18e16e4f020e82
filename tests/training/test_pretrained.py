"""The original DnCNNs ldct trained itself and ships for comparison: intact, and real denoisers of
natural images (the DnCNN authors' networks, the default, are tested in
tests/denoising/test_matconvnet.py).

``dncnn_blind`` (DnCNN-B) must gain at least 7 dB at sigma 25 and 4 dB at sigma 15
(of 255) on images it never saw, and adapt to the noise level; ``dncnn_sigma25`` (DnCNN-S) at
least 7 dB at sigma 25. Every gain is measured here again, with noise the manifests' numbers
were not measured on, and PSNR computed independently of ldct.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from ldct.core.storage import file_sha256, load_json, read_table
from ldct.denoising.checkpoints import load_model
from ldct.denoising.originals import SHIPPED_ORIGINALS
from ldct.training.checkpoint_import import shipped_files
from ldct.training.pretrain import NATURAL_IMAGES, load_natural_image

MODELS = {"blind": SHIPPED_ORIGINALS["ldct", "blind"], "sigma25": SHIPPED_ORIGINALS["ldct", "fixed"]}


def psnr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """PSNR (dB) for a peak of 1, computed here independently of ldct."""
    return float(10 * np.log10(1.0 / np.mean((estimate.astype(np.float64) - reference) ** 2)))


def manifest(name: str) -> dict:
    return load_json(shipped_files(MODELS[name])[0])


def held_out_gains(name: str, sigma: float, seed: int = 2024) -> list[float]:
    """PSNR gain (dB) of a shipped model on each of its held-out images at noise ``sigma``/255."""
    model, _ = load_model(MODELS[name])
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)
    gains = []
    for image in manifest(name)["data"]["held_out"]:
        clean = load_natural_image(image)
        noisy = (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)
        with torch.no_grad():
            denoised = model(torch.from_numpy(noisy)[None, None])[0, 0].numpy()
        gains.append(psnr(denoised, clean) - psnr(noisy, clean))
    return gains


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checkpoint_is_small_and_matches_its_manifest(name):
    checkpoint, found = MODELS[name], manifest(name)
    assert checkpoint.stat().st_size < 5 * 1024**2
    assert file_sha256(checkpoint) == found["sha256"]
    assert found["architecture"] == {"depth": 20, "channels": 64}
    assert found["steps"] == found["settings"]["epochs"] * found["settings"]["steps_per_epoch"]
    epochs = read_table(shipped_files(checkpoint)[1])
    assert len(epochs) == found["settings"]["epochs"]
    assert int(epochs[-1]["steps"]) == found["steps"]
    held_out = found["data"]["held_out"]
    assert held_out and not set(held_out) & set(found["data"]["trained_on"])
    assert set(held_out) <= set(NATURAL_IMAGES)


def test_blind_model_is_dncnn_b_and_its_manifest_meets_the_targets():
    found = manifest("blind")
    assert found["settings"]["noise"] == "blind" and found["settings"]["blind_sigma_range"] == [0, 55]
    gains = {sigma: found["held_out_psnr_db"][sigma]["gain"] for sigma in ("15", "25", "50")}
    assert gains["25"] >= 7.0 and gains["15"] >= 4.0, gains
    assert found["published_dncnn_b_bsd68_psnr_db"] == {"15": 31.61, "25": 29.16, "50": 26.23}


@pytest.mark.parametrize("sigma, least_gain_db", [(15, 4.0), (25, 7.0)])
def test_blind_model_denoises_natural_images_it_never_saw(sigma, least_gain_db):
    gains = held_out_gains("blind", sigma)
    assert min(gains) >= least_gain_db, gains
    recorded = manifest("blind")["held_out_psnr_db"][str(sigma)]["gain"]
    assert np.mean(gains) == pytest.approx(recorded, abs=0.3)


def removed_noise_sd(name: str, sigma: float) -> float:
    """SD (0-255 scale) of what a shipped model removes from ``camera`` under noise ``sigma``."""
    model, _ = load_model(MODELS[name])
    clean = load_natural_image("camera")
    rng = np.random.default_rng(7)
    noisy = (clean + rng.normal(0, sigma / 255, clean.shape)).astype(np.float32)
    with torch.no_grad():
        denoised = model(torch.from_numpy(noisy)[None, None])[0, 0].numpy()
    return float(np.std(noisy - denoised) * 255)


def test_blind_model_removes_the_noise_level_it_is_given():
    """DnCNN-B removes about as much as the image carries, from sigma 5 to 50; DnCNN-S removes
    its one level (25): far too much at sigma 5, half of it at sigma 50."""
    for sigma in (5, 15, 25, 50):
        assert removed_noise_sd("blind", sigma) == pytest.approx(sigma, rel=0.2), sigma
    assert removed_noise_sd("sigma25", 5) > 1.6 * 5
    assert removed_noise_sd("sigma25", 50) < 0.6 * 50


def test_sigma25_model_denoises_natural_images_it_never_saw():
    """Sigma 25: at least +7 dB, and more than the best Gaussian filter gives."""
    gains = held_out_gains("sigma25", 25)
    rng = np.random.default_rng(2024)
    gaussian_gains = []
    for name in manifest("sigma25")["data"]["held_out"]:
        clean = load_natural_image(name)
        noisy = (clean + rng.normal(0, 25 / 255, clean.shape)).astype(np.float32)
        gaussian_gains.append(
            max(psnr(ndimage.gaussian_filter(noisy, s), clean) for s in (0.6, 0.8, 1.0, 1.2, 1.5))
            - psnr(noisy, clean)
        )
    assert min(gains) >= 7.0, gains
    assert np.mean(gains) > np.mean(gaussian_gains) + 1.0, (gains, gaussian_gains)
    assert np.mean(gains) == pytest.approx(manifest("sigma25")["held_out_psnr_db"]["gain"], abs=0.3)
