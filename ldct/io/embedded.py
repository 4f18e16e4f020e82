"""The CT slices ldct ships under ``ldct/data/`` and the SHA-256 manifest that guards them.

An embedded file named in the config is looked up here first (``abdominal_ct/kits_00072/
1-011.dcm``), then among the test files of pydicom and pydicom-data (:mod:`ldct.io.dicom_read`). A
file shipped here is listed in its folder's ``SHA256SUMS`` (``sha256sum`` format); the acquire rule
checks every copy against it, so a study never runs on a changed slice.
"""

from __future__ import annotations

from pathlib import Path

from ldct.core.errors import LdctInputError
from ldct.core.storage import file_sha256

#: Where the shipped slices lie (inside the package, so a plain ``pip install`` has them).
DATA = Path(__file__).resolve().parents[1] / "data"
#: The manifest's file name in each shipped folder.
MANIFEST_NAME = "SHA256SUMS"


def shipped_path(filename: str) -> Path | None:
    """The file ``filename`` (relative to ``ldct/data``) if ldct ships it, else None."""
    path = (DATA / filename).resolve()
    if DATA not in path.parents or not path.is_file():
        return None
    return path


def expected_sha256(path: Path) -> str:
    """The SHA-256 (hex) the manifest of ``path``'s top folder under ``ldct/data`` lists for it.

    Raises LdctInputError when the manifest or its line for the file is missing.
    """
    relative = path.resolve().relative_to(DATA)
    manifest = DATA / relative.parts[0] / MANIFEST_NAME
    if not manifest.is_file():
        raise LdctInputError(f"{manifest}: missing; it lists the SHA-256 of every shipped slice")
    name = Path(*relative.parts[1:]).as_posix()
    for line in manifest.read_text().splitlines():
        digest, _, listed = line.partition("  ")
        if listed.removeprefix("./") == name:
            return digest
    raise LdctInputError(f"{path}: not listed in {manifest}")


def verify_sha256(path: str | Path, expected: str) -> None:
    """LdctInputError naming the file unless its bytes have the SHA-256 ``expected``."""
    found = file_sha256(path)
    if found != expected:
        raise LdctInputError(
            f"{path}: SHA-256 {found} differs from {expected} in the manifest; the shipped slice "
            "was changed (reinstall ldct or restore the file)"
        )
