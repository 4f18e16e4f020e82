"""A loopback NBIA server for the TCIA tests: fixtures, series and a client pointed at it.

The fake server answers as NBIA's own REST API v4 code does (CBIIT/NBIA-TCIA on GitHub,
software/nbia-api/src/gov/nih/nci/nbia/restAPI/v4/):

* ``V4_getSeries.java``: a JSON array of series objects with the columns SeriesInstanceUID,
  StudyInstanceUID, Modality, ProtocolName, SeriesDate, SeriesDescription, BodyPartExamined,
  SeriesNumber, AnnotationsFlag, Collection, PatientID, Manufacturer, ManufacturerModelName,
  SoftwareVersions, ImageCount, TimeStamp, LicenseName, LicenseURI, DataDescriptionURI,
  FileSize, DateReleased, StudyDesc, StudyDate, ThirdPartyAnalysis, Authorized.
* ``getData.java`` (formatResponse): no matching series is HTTP 200 with an empty body.
* ``V4_getImage.java``: a zip streamed as application/octet-stream (no length, no Range),
  Content-Disposition ``attachment; filename="<uid>.zip"``, holding a ``LICENSE`` entry and
  the files ``00000001.dcm``, ``00000002.dcm``, ...; a series the user may not read is
  HTTP 400 with a text message.

A test module uses the fixtures by importing them: ``from fake_nbia import nbia, slices``.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pydicom
import pytest

from ldct.io.dicom_read import embedded_dicom_path
from ldct.io.tcia.client import TciaClient

API_PATH = "/nbia-api/services/v4"
SERIES_A = "1.2.826.0.1.3680043.8.498.1001"
SERIES_B = "1.2.826.0.1.3680043.8.498.1002"
SERIES_MR = "1.2.826.0.1.3680043.8.498.1003"
COLLECTION = "LDCT-TEST"
LICENSE_TEXT = "Creative Commons Attribution 4.0 International License"


def ct_slice(source: str, series_uid: str, instance: int, offset: int = 0) -> bytes:
    """An embedded CT slice rewritten as instance ``instance`` of ``series_uid`` (DICOM bytes),
    each series a patient of its own."""
    dataset = pydicom.dcmread(embedded_dicom_path(source))
    dataset.PatientID = f"patient-of-{series_uid}"
    dataset.SeriesInstanceUID = series_uid
    dataset.SOPInstanceUID = f"{series_uid}.{instance}"
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.InstanceNumber = instance
    if offset:
        pixels = dataset.pixel_array + offset
        dataset.PixelData = pixels.astype(pixels.dtype).tobytes()
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    return buffer.getvalue()


def series_zip(files: list[bytes]) -> bytes:
    """getImage's zip: LICENSE, then 00000001.dcm, ... (here in reverse InstanceNumber order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LICENSE", LICENSE_TEXT)
        for number, data in enumerate(reversed(files), start=1):
            archive.writestr(f"{number:08d}.dcm", data)
    return buffer.getvalue()


def series_object(uid: str, image_count: int, size: int, modality: str = "CT") -> dict:
    """One element of getSeries' JSON array, every column of V4_getSeries filled."""
    return {
        "SeriesInstanceUID": uid,
        "StudyInstanceUID": uid + ".0",
        "Modality": modality,
        "ProtocolName": "ABDOMEN",
        "SeriesDate": "2000-01-01 00:00:00.0",
        "SeriesDescription": "Loopback series",
        "BodyPartExamined": "ABDOMEN",
        "SeriesNumber": 2,
        "AnnotationsFlag": False,
        "Collection": COLLECTION,
        "PatientID": "LDCT_0001",
        "Manufacturer": "Test",
        "ManufacturerModelName": "Loopback",
        "SoftwareVersions": "1",
        "ImageCount": image_count,
        "TimeStamp": "2020-01-01 00:00:00.0",
        "LicenseName": LICENSE_TEXT,
        "LicenseURI": "https://creativecommons.org/licenses/by/4.0/",
        "DataDescriptionURI": "https://doi.org/10.0000/loopback",
        "FileSize": size,
        "DateReleased": "2020-01-01 00:00:00.0",
        "StudyDesc": "CT ABDOMEN",
        "StudyDate": "2000-01-01 00:00:00.0",
        "ThirdPartyAnalysis": "NO",
        "Authorized": 1,
    }


class FakeNbia(ThreadingHTTPServer):
    """NBIA REST API v4 on 127.0.0.1: getSeries and getImage, with injectable failures.

    ``plan[endpoint]`` is a queue of what the next requests of that endpoint get instead of
    a normal answer: ``"503"`` (busy) or ``"cut"`` (half the zip, then the connection
    closes). ``range_support`` makes getImage honour HTTP Range (NBIA itself does not).
    Every request is logged in ``calls`` as (endpoint, SeriesInstanceUID, Range, status).
    """

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), NbiaHandler)
        self.series: dict[str, tuple[dict, bytes]] = {}
        self.plan: dict[str, list[str]] = {"getSeries": [], "getImage": []}
        self.range_support = False
        self.calls: list[tuple[str, str, str | None, int]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{API_PATH}"

    def add_series(self, uid: str, files: list[bytes], modality="CT", image_count=None) -> None:
        data = series_zip(files)
        count = len(files) if image_count is None else image_count
        self.series[uid] = (series_object(uid, count, len(data), modality), data)

    def endpoint_calls(self, endpoint: str) -> list[tuple[str, str, str | None, int]]:
        return [call for call in self.calls if call[0] == endpoint]


class NbiaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeNbia

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        url = urlparse(self.path)
        endpoint = url.path.removeprefix(API_PATH + "/")
        uid = parse_qs(url.query).get("SeriesInstanceUID", [""])[0]
        planned = self.server.plan.get(endpoint, [])
        action = planned.pop(0) if planned else None
        self.call = (endpoint, uid, self.headers.get("Range"))
        if action == "503":
            self.reply(503, b"Service Unavailable", "text/plain")
        elif endpoint == "getSeries":
            self.get_series(uid)
        elif endpoint == "getImage":
            self.get_image(uid, cut=action == "cut")
        else:
            self.reply(404, b"Not Found", "text/plain")

    def start(self, status: int) -> None:
        """Log the call, then send the status line: a client never sees an unlogged answer."""
        self.server.calls.append((*self.call, status))
        self.send_response(status)

    def reply(self, status: int, body: bytes, content_type: str, headers=()) -> None:
        self.start(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def get_series(self, uid: str) -> None:
        if uid not in self.server.series:
            return self.reply(200, b"", "application/json")  # NBIA: no series, empty body
        metadata, _ = self.server.series[uid]
        self.reply(200, json.dumps([metadata]).encode(), "application/json")

    def get_image(self, uid: str, cut: bool) -> None:
        if uid not in self.server.series:
            message = (
                "The user has not been granted the access to image with given "
                f"SeriesInstanceUID,{uid}. Please contact System Admin to resolve this issue."
            )
            return self.reply(400, message.encode(), "application/json")
        _, data = self.server.series[uid]
        disposition = ("Content-Disposition", f'attachment; filename="{uid}.zip"')
        requested = self.headers.get("Range", "")
        if self.server.range_support and requested.startswith("bytes="):
            start = int(requested.removeprefix("bytes=").split("-")[0])
            content_range = ("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            return self.reply(
                206, data[start:], "application/octet-stream", [disposition, content_range]
            )
        self.start(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header(*disposition)
        self.send_header("Transfer-Encoding", "chunked")  # streamed: no Content-Length
        self.end_headers()
        body = data[: len(data) // 2] if cut else data
        for start in range(0, len(body), 1 << 15):
            chunk = body[start : start + (1 << 15)]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        if cut:
            self.wfile.flush()
            self.close_connection = True  # the stream stops without its last chunk
            return
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture(scope="module")
def slices() -> dict[str, list[bytes]]:
    """Two small loopback series of real CT slices, and one MR-labelled series."""
    return {
        SERIES_A: [ct_slice("CT_small.dcm", SERIES_A, 1), ct_slice("693_UNCR.dcm", SERIES_A, 2)],
        SERIES_B: [
            ct_slice("CT_small.dcm", SERIES_B, 1, offset=7),
            ct_slice("693_UNCR.dcm", SERIES_B, 2, offset=7),
        ],
        SERIES_MR: [ct_slice("CT_small.dcm", SERIES_MR, 1)],
    }


@pytest.fixture
def nbia(slices):
    server = FakeNbia()
    server.add_series(SERIES_A, slices[SERIES_A])
    server.add_series(SERIES_B, slices[SERIES_B])
    server.add_series(SERIES_MR, slices[SERIES_MR], modality="MR")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


#: The clients' HTTP timeout against the loopback server: a guard against a hung server only,
#: far above any response time on a loaded machine, since a retry that a clock caused would
#: change the calls the tests count.
LOOPBACK_TIMEOUT_S = 300


def client_of(server: FakeNbia, waits: list | None = None, retries: int = 3) -> TciaClient:
    """A client of ``server`` with short waits, recorded in ``waits`` instead of slept."""
    sleep = waits.append if waits is not None else (lambda seconds: None)
    return TciaClient(server.base_url, retries=retries, backoff_s=0.01,
                      timeout_s=LOOPBACK_TIMEOUT_S, sleep=sleep)
