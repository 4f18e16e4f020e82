"""The HTTP side of TCIA: NBIA REST API v4 calls with retries and resumable downloads.

Two calls of the API are used, each answered the way NBIA's own server code answers them
(``gov.nih.nci.nbia.restAPI.v4`` in CBIIT/NBIA-TCIA):

* ``getSeries?SeriesInstanceUID=...`` - a JSON array of series objects (``SeriesInstanceUID``,
  ``Collection``, ``Modality``, ``ImageCount``, ``FileSize``, ...); an unknown series gives
  HTTP 200 with an empty body.
* ``getImage?SeriesInstanceUID=...`` - a zip stream of the series: a ``LICENSE`` entry and one
  DICOM file per image (``00000001.dcm``, ...). The server streams it without a length and
  does not honour HTTP Range, so an interrupted download restarts that series; a server that
  does honour Range (a mirror or proxy) lets it continue where it stopped.

This module needs ``requests`` and ``tqdm``.
"""

from __future__ import annotations

import logging
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

import requests
from tqdm import tqdm

from ldct.core.errors import LdctInputError

#: The public NBIA REST API, version 4 (no login for public collections).
DEFAULT_BASE_URL = "https://services.cancerimagingarchive.net/nbia-api/services/v4"
#: HTTP statuses worth retrying: the server is busy or failing, not refusing the request.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

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


class TciaClient:
    """A small client of the NBIA REST API v4 with retries and resumable downloads.

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


def _is_valid_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False
