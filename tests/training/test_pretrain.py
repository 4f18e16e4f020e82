"""Pretraining on the pictures of a folder the user names (the DnCNN authors' Train400, say)
instead of the bundled scikit-image pictures."""

from __future__ import annotations

import numpy as np
from skimage import io

from ldct.training.pretrain import pretrain, training_images


def tiny_settings(**changes) -> dict:
    settings = {
        "images": ["moon"], "image_folder": None, "held_out": ["camera"], "patch_size_px": 16,
        "noise": "blind", "noise_sigma": 25, "blind_sigma_range": [0, 55], "depth": 3, "channels": 4,
        "epochs": 1, "steps_per_epoch": 2, "batch_size": 2, "learning_rate": 1e-3, "lr_milestones": [],
        "precision": "float32", "deterministic": True,
    }
    return settings | changes


def picture_folder(tmp_path, count=2):
    folder = tmp_path / "train400"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        io.imsave(folder / f"test_{index + 1:03d}.png", rng.integers(0, 256, (40, 36), dtype=np.uint8),
                  check_contrast=False)
    (folder / "README.txt").write_text("not a picture")
    return folder


def test_a_folders_pictures_are_the_training_images(tmp_path):
    folder = picture_folder(tmp_path)
    images, data = training_images(tiny_settings(image_folder=str(folder)))
    expected = [io.imread(folder / name) / 255.0 for name in ("test_001.png", "test_002.png")]
    assert len(images) == 2 and data["pictures"] == 2
    for image, reference in zip(images, expected):
        np.testing.assert_allclose(image, reference, rtol=1e-6)
    assert str(folder) in data["source"]


def test_the_manifest_tells_which_pictures_were_trained_on(tmp_path):
    folder = picture_folder(tmp_path)
    _, history, manifest = pretrain(tiny_settings(image_folder=str(folder)), 0, str(tmp_path / "c.pt"), "cpu")
    assert len(history) == 1 and manifest["data"]["pictures"] == 2
    assert manifest["data"]["held_out"] == ["camera"] and "trained_on" not in manifest["data"]
    digest = manifest["data"]["pictures_sha256"]
    io.imsave(folder / "test_002.png", np.zeros((40, 36), dtype=np.uint8), check_contrast=False)
    assert training_images(tiny_settings(image_folder=str(folder)))[1]["pictures_sha256"] != digest


def test_without_a_folder_the_bundled_pictures_are_named():
    images, data = training_images(tiny_settings(images=["moon", "coins"]))
    assert len(images) == 2 and data["trained_on"] == ["moon", "coins"]
