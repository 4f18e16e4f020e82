"""The TCIA cache: each series downloaded once, unpacked, checked and indexed.

Each series is cached under ``<cache>/<SeriesInstanceUID>/``: ``dicom/`` (the extracted
files), ``LICENSE`` and ``series.json`` (written last: the series metadata and one entry per
file). A series whose ``series.json`` lists files that all exist is never asked for again.
Every file is written to a temporary name and renamed into place; only the partial zip of an
interrupted download (``.getImage.zip.part``) stays behind, on purpose, to be resumed.

This module reads DICOM headers only, with ``pydicom``, imported when a series is indexed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ldct.core.storage import atomic_folder, atomic_write
from ldct.io.tcia.client import TciaClient, TciaError
from ldct.io.tcia.manifest import UID_PATTERN, SliceFile

INDEX_NAME = "series.json"
PART_NAME = ".getImage.zip.part"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedSeries:
    """A downloaded, checked series: its cache folder, API metadata and files by InstanceNumber."""

    uid: str
    folder: Path
    metadata: dict[str, Any]
    slices: list[SliceFile]


def fetch_series(
    client: TciaClient, uid: str, cache: str | os.PathLike, *, collection: str | None = None
) -> CachedSeries:
    """Series ``uid`` from the cache, downloading it with ``client`` and checking it if needed.

    Checks, each failing with a :class:`TciaError` that names the series and URL: the
    series exists, belongs to ``collection`` (when given), has Modality ``CT``, and its
    zip holds exactly ``ImageCount`` readable DICOM files of that series.
    """
    if not UID_PATTERN.match(uid):
        raise TciaError(f"'{uid}' is not a SeriesInstanceUID")
    folder = Path(cache) / uid
    url = client.url("getSeries", SeriesInstanceUID=uid)
    cached = load_cached_series(folder)
    if cached is not None:
        _check_metadata(uid, cached.metadata, collection, f"{url}, cached in {folder}")
        _log.info("series %s: in the cache (%s), nothing to download", uid, folder)
        return cached
    metadata = client.series_metadata(uid)
    _check_metadata(uid, metadata, collection, url)
    expected = _image_count(metadata, url)
    dicom = folder / "dicom"
    if not dicom.is_dir():
        _download(client, uid, folder, metadata, expected)
    slices = _index_files(dicom, uid)
    if len(slices) != expected:
        raise TciaError(
            f"TCIA series {uid}: {len(slices)} DICOM files in {dicom}, but ImageCount is "
            f"{expected} ({url}); delete that folder to download the series again"
        )
    _write_index(folder, client.base_url, metadata, slices)
    return CachedSeries(uid, folder, metadata, slices)


def load_cached_series(folder: str | os.PathLike) -> CachedSeries | None:
    """The series cached in ``folder``, or None unless its index and every listed file exist."""
    folder = Path(folder)
    try:
        index = json.loads((folder / INDEX_NAME).read_text())
    except (OSError, ValueError):
        return None
    slices = [
        SliceFile(folder / entry["file"], entry["instance_number"], entry["sop_instance_uid"])
        for entry in index.get("files", [])
    ]
    if not slices or not all(item.path.is_file() for item in slices):
        return None
    return CachedSeries(index["series_instance_uid"], folder, index["metadata"], slices)


def _download(
    client: TciaClient, uid: str, folder: Path, metadata: dict[str, Any], expected: int
) -> None:
    """Download the series zip into ``folder``, unpack its ``expected`` files, drop the zip."""
    part = folder / PART_NAME
    _log.info(
        "series %s: downloading %d images (%s bytes) from %s",
        uid,
        expected,
        metadata.get("FileSize", "?"),
        client.base_url,
    )
    client.download_zip(uid, part)
    _extract(part, folder, expected, client.url("getImage", SeriesInstanceUID=uid))
    part.unlink()


def _write_index(
    folder: Path, base_url: str, metadata: dict[str, Any], slices: list[SliceFile]
) -> None:
    """Write ``series.json``: the series, its source, its metadata and one entry per file."""
    index = {
        "series_instance_uid": folder.name,
        "base_url": base_url,
        "metadata": metadata,
        "files": [
            {
                "file": str(item.path.relative_to(folder)),
                "instance_number": item.instance_number,
                "sop_instance_uid": item.sop_instance_uid,
            }
            for item in slices
        ],
    }
    _write_text(folder / INDEX_NAME, json.dumps(index, indent=2, sort_keys=True) + "\n")


def _check_metadata(uid: str, metadata: dict[str, Any], collection: str | None, where: str) -> None:
    """A CT series, of ``collection`` when one is given; ``where`` names the source."""
    if collection and metadata.get("Collection") != collection:
        raise TciaError(
            f"TCIA series {uid}: belongs to collection '{metadata.get('Collection')}', "
            f"not '{collection}' ({where})"
        )
    if metadata.get("Modality") != "CT":
        raise TciaError(
            f"TCIA series {uid}: Modality is '{metadata.get('Modality')}', expected 'CT' ({where})"
        )


def _image_count(metadata: dict[str, Any], url: str) -> int:
    try:
        count = int(metadata["ImageCount"])
    except (KeyError, TypeError, ValueError) as error:
        raise TciaError(f"{url}: the series has no usable ImageCount ({error})") from error
    if count < 1:
        raise TciaError(f"{url}: ImageCount is {count}; the series holds no images")
    return count


def _member_files(archive: zipfile.ZipFile) -> Iterable[zipfile.ZipInfo]:
    """The zip's files, LICENSE excluded; names with folders or odd characters are refused."""
    for info in archive.infolist():
        if info.is_dir() or info.filename.upper() == "LICENSE":
            continue
        name = info.filename
        if "/" in name or "\\" in name or name.startswith(".") or not name.strip():
            raise TciaError(f"unexpected file name '{name}' in the TCIA zip")
        yield info


def _extract(part: Path, folder: Path, expected: int, url: str) -> None:
    """Unpack the zip into ``folder/dicom`` (and ``folder/LICENSE``) after counting its files."""
    with zipfile.ZipFile(part) as archive:
        members = list(_member_files(archive))
        if len(members) != expected:
            part.unlink()
            raise TciaError(
                f"TCIA series {folder.name}: the zip holds {len(members)} DICOM files, but "
                f"ImageCount is {expected} ({url})"
            )
        with atomic_folder(folder / "dicom") as staging:
            for info in members:
                with archive.open(info) as source, open(staging / info.filename, "wb") as target:
                    shutil.copyfileobj(source, target)
            if "LICENSE" in archive.namelist():
                license_text = archive.read("LICENSE").decode("utf-8", "replace")
                _write_text(folder / "LICENSE", license_text)


def _index_files(dicom: Path, uid: str) -> list[SliceFile]:
    """Read the header of every file in ``dicom``; files ordered by InstanceNumber."""
    import pydicom

    slices = []
    for path in sorted(dicom.iterdir()):
        try:
            header = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as error:  # pydicom raises several types for damaged files
            raise TciaError(f"{path}: not a readable DICOM file ({error})") from error
        series = str(header.get("SeriesInstanceUID", ""))
        if series != uid:
            raise TciaError(f"{path}: belongs to series '{series}', not to {uid}")
        number = header.get("InstanceNumber")
        slices.append(
            SliceFile(
                path,
                int(number) if number not in (None, "") else None,
                str(header.get("SOPInstanceUID", "")),
            )
        )
    slices.sort(
        key=lambda item: (item.instance_number is None, item.instance_number or 0, item.path.name)
    )
    return slices


def _write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
