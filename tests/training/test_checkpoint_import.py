"""The original DnCNN from a checkpoint: the shipped one only when it matches its manifest, and a
user's converted to ldct's format with a manifest of its own."""

from __future__ import annotations

import shutil

import pytest
import torch

from ldct.core.errors import LdctInputError
from ldct.core.storage import file_sha256, load_json, read_table, save_json
from ldct.denoising.checkpoints import load_model, save_checkpoint
from ldct.denoising.dncnn import DnCNN
from ldct.study.design import SHIPPED_CHECKPOINT
from ldct.training.checkpoint_import import import_checkpoint, shipped_files


def outputs(folder):
    return [str(folder / name) for name in ("model.pt", "epochs.tsv", "manifest.json")]


def test_the_shipped_checkpoint_is_copied_with_its_table_and_manifest(tmp_path):
    model, epochs, manifest = outputs(tmp_path)
    import_checkpoint("shipped", str(SHIPPED_CHECKPOINT), model, epochs, manifest)
    assert file_sha256(model) == file_sha256(SHIPPED_CHECKPOINT) == load_json(manifest)["sha256"]
    assert load_json(manifest)["source"] == "shipped"
    assert read_table(epochs) == read_table(shipped_files(SHIPPED_CHECKPOINT)[1])


def test_a_shipped_checkpoint_that_differs_from_its_manifest_is_refused(tmp_path):
    copy = tmp_path / "shipped" / SHIPPED_CHECKPOINT.name
    copy.parent.mkdir()
    shutil.copy(SHIPPED_CHECKPOINT, copy)
    manifest_file, epochs_file = shipped_files(SHIPPED_CHECKPOINT)
    save_json(shipped_files(copy)[0], dict(load_json(manifest_file), sha256="0" * 64))
    shutil.copy(epochs_file, shipped_files(copy)[1])
    with pytest.raises(LdctInputError, match=f"{copy}: SHA-256 .* differs from its manifest"):
        import_checkpoint("shipped", str(copy), *outputs(tmp_path))
    assert not (tmp_path / "model.pt").exists()


def test_a_users_checkpoint_is_saved_in_ldct_format_with_an_empty_epoch_table(tmp_path):
    torch.manual_seed(0)
    source = tmp_path / "mine.pt"
    save_checkpoint(source, DnCNN(depth=4, channels=8), {"note": "mine"})
    model, epochs, manifest = outputs(tmp_path)
    import_checkpoint("file", str(source), model, epochs, manifest)
    loaded, info = load_model(model)
    assert loaded.architecture == {"depth": 4, "channels": 8} and info == {"note": "mine"}
    assert read_table(epochs) == []
    recorded = load_json(manifest)
    assert recorded["original_sha256"] == file_sha256(source) and recorded["sha256"] == file_sha256(model)
