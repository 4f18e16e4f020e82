"""Where a run's results came from: the config's hash, the git state of the workflow, the
SHA-256 of the files a job read, and the software versions (``results/provenance.json`` and
the ``inputs`` entry of every image sidecar).

The config hash is the hex SHA-256 of the config's canonical JSON, UTF-8 encoded:
``json.dumps(config, sort_keys=True, separators=(",", ":"))`` (non-ASCII escaped, Python's
default). Recompute it from ``provenance.json`` with
``hashlib.sha256(json.dumps(json.load(f)["config"], sort_keys=True, separators=(",", ":"))
.encode()).hexdigest()``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping

from ldct.core.storage import file_sha256
from ldct.report.versions import software_versions

#: The ldct package; files inside it are named relative to its parent folder ('ldct/models/...').
PACKAGE = Path(__file__).resolve().parents[1]


def canonical_config_json(config: Mapping[str, Any]) -> str:
    """The config as canonical JSON: keys sorted, no whitespace, non-ASCII escaped."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def config_sha256(config: Mapping[str, Any]) -> str:
    """Hex SHA-256 of :func:`canonical_config_json` encoded as UTF-8."""
    return hashlib.sha256(canonical_config_json(config).encode("utf-8")).hexdigest()


def git_state(folder: str | os.PathLike) -> dict[str, str | bool | None]:
    """{commit, dirty} of the git checkout whose top folder is ``folder``.

    ``commit`` is ``git rev-parse HEAD``; ``dirty`` is whether ``git status --porcelain`` lists
    anything: a modified, staged, deleted or untracked file (git-ignored files, such as
    ``results/``, never count). Both are None where ``folder`` is not the top of a git checkout
    with a commit (a pip-installed copy, a tarball, a copy inside another repository) or git is
    missing.
    """
    folder = Path(folder).resolve()
    try:
        top = _git(folder, "rev-parse", "--show-toplevel")
        if Path(top).resolve() != folder:
            return {"commit": None, "dirty": None}
        commit = _git(folder, "rev-parse", "HEAD")
        changes = _git(folder, "--no-optional-locks", "status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": changes != ""}


def _git(folder: Path, *arguments: str) -> str:
    """The stripped standard output of ``git -C folder arguments``; raises where git fails."""
    process = subprocess.run(
        ["git", "-C", str(folder), *arguments], capture_output=True, text=True, check=True
    )
    return process.stdout.strip()


def installed_versions() -> dict[str, str]:
    """Software -> version: Python, the platform and every package of :mod:`ldct.report.versions`
    (``not installed`` where missing), read from package metadata without importing them."""
    return {row["software"]: row["version"] for row in software_versions()}


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as provenance names it: a file shipped inside ldct relative to the package's
    parent (``ldct/models/dncnn_blind.pt``, the same on every machine), any other as given."""
    resolved = Path(path).resolve()
    if PACKAGE in resolved.parents:
        return resolved.relative_to(PACKAGE.parent).as_posix()
    return str(path)


def input_checksums(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """Path (:func:`shown_path`) -> hex SHA-256 of each file in ``paths``."""
    return {shown_path(path): file_sha256(path) for path in paths}
