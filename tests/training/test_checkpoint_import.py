"""The original DnCNN from a checkpoint: a shipped one (the authors' or ldct's) only when it matches
its manifest, and a user's converted to ldct's format with a manifest of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from ldct.core.errors import LdctInputError
from ldct.core.storage import file_sha256, load_json, read_table, save_json
from ldct.denoising.checkpoints import load_model, save_checkpoint
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.originals import DEFAULT_ORIGINAL, LDCT_DNCNN_B
from ldct.training.checkpoint_import import import_checkpoint, shipped_files


def outputs(folder):
    return [str(folder / name) for name in ("model.pt", "epochs.tsv", "manifest.json")]


def test_ldcts_shipped_checkpoint_is_copied_with_its_table_and_manifest(tmp_path):
    model, epochs, manifest = outputs(tmp_path)
    import_checkpoint("ldct", str(LDCT_DNCNN_B), model, epochs, manifest)
    assert file_sha256(model) == file_sha256(LDCT_DNCNN_B) == load_json(manifest)["sha256"]
    assert load_json(manifest)["source"] == "ldct"
    assert len(read_table(epochs)) == 24
    assert read_table(epochs) == read_table(shipped_files(LDCT_DNCNN_B)[1])


def test_the_authors_network_is_copied_with_an_empty_epoch_table(tmp_path):
    """The authors' DnCNN-B ships without a training curve: the table has the columns only."""
    model, epochs, manifest = outputs(tmp_path)
    import_checkpoint("authors", str(DEFAULT_ORIGINAL), model, epochs, manifest)
    recorded = load_json(manifest)
    assert file_sha256(model) == file_sha256(DEFAULT_ORIGINAL) == recorded["sha256"]
    assert recorded["source"] == "authors" and recorded["source_path"] == "model/GD_Gray_Blind.mat"
    assert read_table(epochs) == [] and Path(epochs).read_text().startswith("epoch\t")
    assert load_model(model)[0].architecture == {"depth": 20, "channels": 64, "batch_norm": False}


def test_a_shipped_checkpoint_that_differs_from_its_manifest_is_refused(tmp_path):
    copy = tmp_path / "shipped" / LDCT_DNCNN_B.name
    copy.parent.mkdir()
    shutil.copy(LDCT_DNCNN_B, copy)
    manifest_file, epochs_file = shipped_files(LDCT_DNCNN_B)
    save_json(shipped_files(copy)[0], dict(load_json(manifest_file), sha256="0" * 64))
    shutil.copy(epochs_file, shipped_files(copy)[1])
    with pytest.raises(LdctInputError, match=f"{copy}: SHA-256 .* differs from its manifest"):
        import_checkpoint("ldct", str(copy), *outputs(tmp_path))
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
