"""The original DnCNN from an existing checkpoint instead of pretraining: a shipped one (the DnCNN
authors' or ldct's own, :mod:`ldct.denoising.originals`), checked against its manifest, or a
user's (ldct or KAIR format)."""

from __future__ import annotations

from pathlib import Path

from ldct.core.errors import LdctInputError
from ldct.core.storage import copy_file, file_sha256, load_json, save_json, write_table
from ldct.denoising.checkpoints import load_model, save_checkpoint
from ldct.training.loop import HISTORY_COLUMNS


#: ``dncnn.pretrain.source`` values whose checkpoint ships with ldct.
SHIPPED_SOURCES = ("authors", "ldct")


def shipped_files(checkpoint: Path) -> tuple[Path, Path]:
    """The manifest and epoch table that lie beside a shipped checkpoint (the table only beside
    the networks ldct trained: the authors' come without a training curve)."""
    return checkpoint.with_suffix(".json"), checkpoint.with_suffix(".epochs.tsv")


def import_checkpoint(
    source: str, checkpoint: str, model_path: str, epochs_path: str, manifest_path: str
) -> None:
    """Write the pretrained model, its epoch table and manifest from an existing checkpoint.

    ``source`` ``authors`` or ``ldct`` (shipped): the checkpoint's SHA-256 must match its
    manifest; checkpoint, manifest and epoch table are copied (an empty table where none ships).
    ``file``: an ldct or KAIR checkpoint is loaded (KAIR keys converted) and saved in ldct's
    format, with an empty epoch table.
    """
    checkpoint = Path(checkpoint)
    digest = file_sha256(checkpoint)
    if source in SHIPPED_SOURCES:
        manifest_file, epochs_file = shipped_files(checkpoint)
        manifest = load_json(manifest_file)
        if manifest["sha256"] != digest:
            raise LdctInputError(
                f"{checkpoint}: SHA-256 {digest} differs from its manifest ({manifest['sha256']})"
            )
        load_model(checkpoint)
        copy_file(checkpoint, model_path)
        if epochs_file.is_file():
            copy_file(epochs_file, epochs_path)
        else:
            write_table(epochs_path, [], HISTORY_COLUMNS)
        save_json(manifest_path, dict(manifest, source=source, path=str(checkpoint)))
        return
    model, info = load_model(checkpoint)
    save_checkpoint(model_path, model, info)
    write_table(epochs_path, [], HISTORY_COLUMNS)
    save_json(
        manifest_path,
        {
            "model": "DnCNN, original, from a user's checkpoint",
            "source": "file",
            "path": str(checkpoint.resolve()),
            "original_sha256": digest,
            "architecture": model.architecture,
            "info": info,
            "sha256": file_sha256(model_path),
        },
    )
