"""The original DnCNN that ships with ldct: intact, and a real sigma-25 denoiser."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from ldct.checkpoints import load_model
from ldct.storage import file_sha256
from ldct.study import SHIPPED_CHECKPOINT
from ldct.pretrain import NATURAL_IMAGES, load_natural_image, shipped_files
from ldct.storage import load_json, read_table

MANIFEST_PATH, EPOCHS_PATH = shipped_files(SHIPPED_CHECKPOINT)


def psnr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """PSNR (dB) for a peak of 1, computed here independently of ldct."""
    return float(10 * np.log10(1.0 / np.mean((estimate.astype(np.float64) - reference) ** 2)))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_json(MANIFEST_PATH)


def test_checkpoint_is_small_and_matches_its_manifest(manifest):
    assert SHIPPED_CHECKPOINT.stat().st_size < 5 * 1024**2
    assert file_sha256(SHIPPED_CHECKPOINT) == manifest["sha256"]
    assert manifest["architecture"] == {"depth": 20, "channels": 64}
    assert manifest["steps"] == manifest["settings"]["epochs"] * manifest["settings"]["steps_per_epoch"]
    epochs = read_table(EPOCHS_PATH)
    assert len(epochs) == manifest["settings"]["epochs"]
    assert int(epochs[-1]["steps"]) == manifest["steps"]


def test_shipped_model_denoises_natural_images_it_never_saw(manifest):
    """Sigma 25 (of 255): at least +7 dB, and more than the best Gaussian filter gives."""
    held_out = manifest["data"]["held_out"]
    assert held_out and not set(held_out) & set(manifest["data"]["trained_on"])
    assert set(held_out) <= set(NATURAL_IMAGES)
    model, _ = load_model(SHIPPED_CHECKPOINT)
    torch.set_num_threads(2)
    rng = np.random.default_rng(2024)  # not the noise the manifest's numbers were measured on
    gains, gaussian_gains = [], []
    for name in held_out:
        clean = load_natural_image(name)
        noisy = (clean + rng.normal(0, 25 / 255, clean.shape)).astype(np.float32)
        with torch.no_grad():
            denoised = model(torch.from_numpy(noisy)[None, None])[0, 0].numpy()
        gains.append(psnr(denoised, clean) - psnr(noisy, clean))
        gaussian_gains.append(
            max(psnr(ndimage.gaussian_filter(noisy, s), clean) for s in (0.6, 0.8, 1.0, 1.2, 1.5))
            - psnr(noisy, clean)
        )
    assert min(gains) >= 7.0, gains
    assert np.mean(gains) > np.mean(gaussian_gains) + 1.0, (gains, gaussian_gains)
    assert np.mean(gains) == pytest.approx(manifest["held_out_psnr_db"]["gain"], abs=0.3)
