"""Download CT series from The Cancer Imaging Archive (TCIA) through the NBIA REST API v4.

The public collections need no login. Three calls of the API are used, each answered the way
NBIA's own server code answers them (``gov.nih.nci.nbia.restAPI.v4`` in CBIIT/NBIA-TCIA):

* ``getSeries?SeriesInstanceUID=...`` - a JSON array of series objects (``SeriesInstanceUID``,
  ``Collection``, ``Modality``, ``ImageCount``, ``FileSize``, ...); an unknown series gives
  HTTP 200 with an empty body.
* ``getImage?SeriesInstanceUID=...`` - a zip stream of the series: a ``LICENSE`` entry and one
  DICOM file per image (``00000001.dcm``, ...). The server streams it without a length and
  does not honour HTTP Range, so an interrupted download restarts that series; a server that
  does honour Range (a mirror or proxy) lets it continue where it stopped.
* a ``.tcia`` manifest (the portal's cart export): ``key=value`` header lines, then
  ``ListOfSeriesToDownload=`` and one SeriesInstanceUID per line.

Each series is cached under ``<cache>/<SeriesInstanceUID>/``: ``dicom/`` (the extracted
files), ``LICENSE`` and ``series.json`` (written last: the series metadata and one entry per
file). A series whose ``series.json`` lists files that all exist is never asked for again.
Every file is written to a temporary name and renamed into place; only the partial zip of an
interrupted download (``.getImage.zip.part``) stays behind, on purpose, to be resumed.

This module needs ``requests`` and ``pydicom`` (headers only).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import requests
from tqdm import tqdm

from .errors import LdctInputError
from .storage import atomic_write

#: The public NBIA REST API, version 4 (no login for public collections).
DEFAULT_BASE_URL = "https://services.cancerimagingarchive.net/nbia-api/services/v4"
#: A DICOM UID: digit groups separated by dots (PS3.5 section 9.1).
UID_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
#: The line of a ``.tcia`` manifest after which the series UIDs follow.
MANIFEST_MARKER = "ListOfSeriesToDownload="
#: HTTP statuses worth retrying: the server is busy or failing, not refusing the request.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
INDEX_NAME = "series.json"
PART_NAME = ".getImage.zip.part"

#: Transport failures worth another try: connection refused or lost, time-out, a stream cut.
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

_log = logging.getLogger(__name__)


class TciaError(LdctInputError):
    """A TCIA series cannot be used: unknown, refused, not CT, incomplete, or unreachable.

    The message names the series and the URL asked.
    """


class _Transient(Exception):
    """A failure worth another try (connection lost, busy server, truncated zip)."""


@dataclass(frozen=True)
class SliceFile:
    """One cached DICOM file of a series."""

    path: Path
    instance_number: int | None
    sop_instance_uid: str


@dataclass(frozen=True)
class CachedSeries:
    """A downloaded, checked series: its cache folder, API metadata and files by InstanceNumber."""

    uid: str
    folder: Path
    metadata: dict[str, Any]
    slices: list[SliceFile]


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


class TciaClient:
    """A small client of the NBIA REST API v4 with retries, resumable downloads and a cache.

    ``retries`` is how many times a failed request is tried again (connection errors,
    time-outs, HTTP 429 and 5xx, a zip cut short); the k-th retry waits ``backoff_s * 2**k``
    seconds. ``timeout_s`` bounds the wait for the connection and for each read. With
    ``progress``, downloads draw a byte-count bar on stderr.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retries: int = 5,
        backoff_s: float = 2.0,
        timeout_s: float = 120.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        self.sleep = sleep
        self.progress = progress

    def url(self, endpoint: str, **params: str) -> str:
        """The full URL of ``endpoint`` with ``params``, as it is requested and reported."""
        return requests.Request("GET", f"{self.base_url}/{endpoint}", params=params).prepare().url

    # -- metadata -----------------------------------------------------------------------
    def series_metadata(self, uid: str) -> dict[str, Any]:
        """The ``getSeries`` object of series ``uid``.

        Raises :class:`TciaError` when the server knows no such series (it answers an empty
        body or array), refuses the request (HTTP 4xx) or stays unreachable.
        """
        url = self.url("getSeries", SeriesInstanceUID=uid)
        response = self._with_retries(url, lambda: self._get_json(url))
        rows = response if isinstance(response, list) else []
        for row in rows:
            if isinstance(row, dict) and row.get("SeriesInstanceUID") == uid:
                return row
        raise TciaError(f"TCIA series {uid}: not found ({url} lists no such series)")

    def _get_json(self, url: str) -> Any:
        with self.session.get(url, timeout=self.timeout_s) as response:
            self._check_status(response, url)
            if not response.content.strip():
                return []
            try:
                return response.json()
            except ValueError as error:
                raise TciaError(f"{url}: the answer is not JSON ({error})") from error

    # -- download -----------------------------------------------------------------------
    def download_zip(self, uid: str, part: Path) -> None:
        """Download the ``getImage`` zip of series ``uid`` into ``part``, resuming if possible.

        An existing ``part`` (left by an interrupted download) is continued with an HTTP
        Range request; a server that answers with the whole zip instead (status 200, as
        NBIA does) restarts it. A transfer cut short keeps ``part`` for the next try; a
        finished transfer that is not a valid zip is discarded and downloaded again.
        """
        url = self.url("getImage", SeriesInstanceUID=uid)
        part.parent.mkdir(parents=True, exist_ok=True)
        self._with_retries(url, lambda: self._download_once(url, part))

    def _download_once(self, url: str, part: Path) -> None:
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with self.session.get(
                url, headers=headers, stream=True, timeout=self.timeout_s
            ) as response:
                if response.status_code == 416:  # the part is not a prefix the server knows
                    part.unlink()
                    raise _Transient(f"{url}: HTTP 416 for the partial download; starting over")
                self._check_status(response, url)
                resumed = (
                    offset > 0
                    and response.status_code == 206
                    and response.headers.get("Content-Range", "").startswith(f"bytes {offset}-")
                )
                if offset and not resumed:
                    _log.info("%s: the server sent the whole zip; restarting the series", url)
                elif resumed:
                    _log.info("%s: resuming after %d bytes", url, offset)
                length = response.headers.get("Content-Length")
                start = offset if resumed else 0
                with (
                    open(part, "ab" if resumed else "wb") as handle,
                    tqdm(
                        total=start + int(length) if length else None,
                        initial=start,
                        unit="B",
                        unit_scale=True,
                        mininterval=5,
                        desc="getImage",
                        disable=not self.progress,
                    ) as bar,
                ):
                    for chunk in response.iter_content(chunk_size=1 << 16):
                        handle.write(chunk)
                        bar.update(len(chunk))
        except _NETWORK_ERRORS as error:
            kept = part.stat().st_size if part.exists() else 0
            raise _Transient(f"{url}: transfer cut after {kept} bytes ({error})") from error
        if not _is_valid_zip(part):
            part.unlink()
            raise _Transient(f"{url}: the zip received is incomplete or damaged")

    # -- the cached series ----------------------------------------------------------------
    def fetch_series(
        self, uid: str, cache: str | os.PathLike, *, collection: str | None = None
    ) -> CachedSeries:
        """Series ``uid`` from the cache, downloading and checking it first if needed.

        Checks, each failing with a :class:`TciaError` that names the series and URL: the
        series exists, belongs to ``collection`` (when given), has Modality ``CT``, and its
        zip holds exactly ``ImageCount`` readable DICOM files of that series.
        """
        if not UID_PATTERN.match(uid):
            raise TciaError(f"'{uid}' is not a SeriesInstanceUID")
        folder = Path(cache) / uid
        url = self.url("getSeries", SeriesInstanceUID=uid)
        cached = load_cached_series(folder)
        if cached is not None:
            _check_metadata(uid, cached.metadata, collection, f"{url}, cached in {folder}")
            _log.info("series %s: in the cache (%s), nothing to download", uid, folder)
            return cached
        metadata = self.series_metadata(uid)
        _check_metadata(uid, metadata, collection, url)
        expected = _image_count(metadata, url)
        dicom = folder / "dicom"
        if not dicom.is_dir():
            part = folder / PART_NAME
            _log.info(
                "series %s: downloading %d images (%s bytes) from %s",
                uid,
                expected,
                metadata.get("FileSize", "?"),
                self.base_url,
            )
            self.download_zip(uid, part)
            _extract(part, folder, expected, self.url("getImage", SeriesInstanceUID=uid))
            part.unlink()
        slices = _index_files(dicom, uid)
        if len(slices) != expected:
            raise TciaError(
                f"TCIA series {uid}: {len(slices)} DICOM files in {dicom}, but ImageCount is "
                f"{expected} ({url}); delete that folder to download the series again"
            )
        index = {
            "series_instance_uid": uid,
            "base_url": self.base_url,
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
        return CachedSeries(uid, folder, metadata, slices)

    # -- plumbing -------------------------------------------------------------------------
    def _with_retries(self, url: str, attempt: Callable[[], Any]) -> Any:
        for tries in range(self.retries + 1):
            try:
                return attempt()
            except (_Transient, *_NETWORK_ERRORS) as error:
                if tries == self.retries:
                    raise TciaError(
                        f"{url}: failed {self.retries + 1} times, giving up (last: {error})"
                    ) from error
                wait = self.backoff_s * 2**tries
                _log.warning("%s; trying again in %.3g s", error, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _check_status(response: requests.Response, url: str) -> None:
        status = response.status_code
        if status in RETRY_STATUSES:
            raise _Transient(f"{url}: HTTP {status}")
        if status >= 400:
            text = " ".join(response.text.split())[:300]
            raise TciaError(
                f"{url}: HTTP {status} {response.reason}" + (f": {text}" if text else "")
            )


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


def _is_valid_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


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
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".dicom."))
        try:
            for info in members:
                with archive.open(info) as source, open(staging / info.filename, "wb") as target:
                    shutil.copyfileobj(source, target)
            if "LICENSE" in archive.namelist():
                license_text = archive.read("LICENSE").decode("utf-8", "replace")
                _write_text(folder / "LICENSE", license_text)
            os.replace(staging, folder / "dicom")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


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
