"""TCIA manifests and the choice of slices in a series; pure Python, no network.

A ``.tcia`` manifest is the TCIA portal's cart export (``restUtil/ManifestMaker.java`` in
CBIIT/NBIA-TCIA): ``key=value`` header lines, then ``ListOfSeriesToDownload=`` and one
SeriesInstanceUID per line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ldct.core.errors import LdctInputError

#: A DICOM UID: digit groups separated by dots (PS3.5 section 9.1).
UID_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
#: The line of a ``.tcia`` manifest after which the series UIDs follow.
MANIFEST_MARKER = "ListOfSeriesToDownload="


@dataclass(frozen=True)
class SliceFile:
    """One cached DICOM file of a series."""

    path: Path
    instance_number: int | None
    sop_instance_uid: str


def read_manifest(path: str | os.PathLike) -> list[str]:
    """The SeriesInstanceUIDs listed in a ``.tcia`` manifest, in file order.

    Header lines (``downloadServerUrl=...``, ``manifestVersion=...``) and ``#`` comments are
    skipped. Raises :class:`LdctInputError` naming the file when it cannot be read, has no
    ``ListOfSeriesToDownload=`` line, lists no series, or holds a line that is not a UID.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise LdctInputError(f"{path}: cannot read the TCIA manifest ({error.strerror})") from error
    stripped = [line.strip() for line in lines]
    if MANIFEST_MARKER not in stripped:
        raise LdctInputError(f"{path}: no '{MANIFEST_MARKER}' line; not a TCIA manifest")
    start = stripped.index(MANIFEST_MARKER) + 1
    uids = []
    for number, line in enumerate(stripped[start:], start=start + 1):
        if not line or line.startswith("#"):
            continue
        if not UID_PATTERN.match(line):
            raise LdctInputError(f"{path}, line {number}: '{line}' is not a SeriesInstanceUID")
        uids.append(line)
    if not uids:
        raise LdctInputError(f"{path}: the manifest lists no series")
    duplicates = sorted({uid for uid in uids if uids.count(uid) > 1})
    if duplicates:
        raise LdctInputError(f"{path}: series listed twice: {duplicates}")
    return uids


def select_slices(
    slices: Sequence[SliceFile], count: int, instances: Sequence[int] | None = None
) -> list[SliceFile]:
    """``count`` slices spread evenly over a series (ordered by InstanceNumber).

    With ``instances = [first, last]`` only slices whose InstanceNumber lies in that closed
    range are candidates. Of n candidates, the i-th pick is candidate
    floor((2i + 1) n / (2 count)): the centres of ``count`` equal runs, so the picks are
    distinct and symmetric about the middle of the range. Raises :class:`LdctInputError`
    when fewer than ``count`` candidates exist.
    """
    candidates = list(slices)
    if instances is not None:
        first, last = instances
        candidates = [
            item
            for item in slices
            if item.instance_number is not None and first <= item.instance_number <= last
        ]
    if count < 1 or count > len(candidates):
        where = f" with InstanceNumber in [{instances[0]}, {instances[1]}]" if instances else ""
        raise LdctInputError(
            f"{count} slices asked for, but the series has {len(candidates)} slices{where}"
        )
    n = len(candidates)
    return [candidates[(2 * i + 1) * n // (2 * count)] for i in range(count)]
