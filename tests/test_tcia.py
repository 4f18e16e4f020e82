"""TCIA downloads against a loopback NBIA server: cache, retries, resume, checks, the workflow.

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
* ``restUtil/ManifestMaker.java``: the ``.tcia`` manifest (header lines, then
  ``ListOfSeriesToDownload=`` and one SeriesInstanceUID per line).
"""

from __future__ import annotations

import io
import json
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pydicom
import pytest
import yaml
from snakemake.utils import update_config

from conftest import REPO, make_workdir, one_ldct_message, snakemake
from ldct.config import image_sources, tcia_series, train_images, validate_config
from ldct.dicom import embedded_dicom_path
from ldct.errors import LdctInputError
from ldct.storage import read_table
from ldct.tcia import SliceFile, TciaClient, TciaError, read_manifest, select_slices

SCHEMA = REPO / "config" / "schema.yaml"
API_PATH = "/nbia-api/services/v4"
SERIES_A = "1.2.826.0.1.3680043.8.498.1001"
SERIES_B = "1.2.826.0.1.3680043.8.498.1002"
SERIES_MR = "1.2.826.0.1.3680043.8.498.1003"
COLLECTION = "LDCT-TEST"
LICENSE_TEXT = "Creative Commons Attribution 4.0 International License"


def ct_slice(source: str, series_uid: str, instance: int, offset: int = 0) -> bytes:
    """An embedded CT slice rewritten as instance ``instance`` of ``series_uid`` (DICOM bytes)."""
    dataset = pydicom.dcmread(embedded_dicom_path(source))
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


def client_of(server: FakeNbia, waits: list | None = None, retries: int = 3) -> TciaClient:
    sleep = waits.append if waits is not None else (lambda seconds: None)
    return TciaClient(server.base_url, retries=retries, backoff_s=0.01, timeout_s=10, sleep=sleep)


def leftovers(cache: Path) -> list[Path]:
    """Temporary or partial files a download must not leave behind."""
    return [
        p for p in cache.rglob("*") if p.name.endswith((".tmp", ".part")) or ".dicom." in p.name
    ]


def test_download_checks_the_series_and_a_second_call_asks_nothing(nbia, tmp_path):
    """One getSeries, one getImage; files ordered by InstanceNumber; then served from the cache."""
    series = client_of(nbia).fetch_series(SERIES_A, tmp_path, collection=COLLECTION)
    assert [item.instance_number for item in series.slices] == [1, 2]
    assert [item.sop_instance_uid for item in series.slices] == [f"{SERIES_A}.1", f"{SERIES_A}.2"]
    assert pydicom.dcmread(series.slices[1].path).Rows == 512  # 693_UNCR.dcm, sent first
    folder = tmp_path / SERIES_A
    assert (folder / "LICENSE").read_text() == LICENSE_TEXT
    index = json.loads((folder / "series.json").read_text())
    assert index["metadata"]["ImageCount"] == 2 and len(index["files"]) == 2
    assert [call[0] for call in nbia.calls] == ["getSeries", "getImage"]
    assert not leftovers(tmp_path)

    again = client_of(nbia).fetch_series(SERIES_A, tmp_path, collection=COLLECTION)
    assert len(nbia.calls) == 2  # no request at all
    assert again.slices == series.slices
    with pytest.raises(TciaError, match=rf"collection '{COLLECTION}', not 'Pancreas-CT' .*cached"):
        client_of(nbia).fetch_series(SERIES_A, tmp_path, collection="Pancreas-CT")
    assert len(nbia.calls) == 2


def test_busy_server_is_asked_again_with_growing_waits(nbia, tmp_path):
    nbia.plan = {"getSeries": ["503"], "getImage": ["503", "503"]}
    waits: list[float] = []
    series = client_of(nbia, waits).fetch_series(SERIES_A, tmp_path)
    assert len(series.slices) == 2
    assert [call[3] for call in nbia.calls] == [503, 200, 503, 503, 200]
    assert waits == [0.01, 0.01, 0.02]


def test_cut_download_resumes_with_a_range_request(nbia, tmp_path):
    """A server that honours Range: the retry asks only for the missing bytes."""
    nbia.range_support = True
    nbia.plan["getImage"] = ["cut"]
    series = client_of(nbia).fetch_series(SERIES_B, tmp_path)
    assert len(series.slices) == 2
    images = nbia.endpoint_calls("getImage")
    assert [(call[2] is None, call[3]) for call in images] == [(True, 200), (False, 206)]
    zip_size = len(nbia.series[SERIES_B][1])
    assert images[1][2] == f"bytes={zip_size // 2}-"
    assert not leftovers(tmp_path)


def test_cut_download_restarts_when_the_server_ignores_range(nbia, tmp_path):
    """NBIA streams getImage without Range support: the retry takes the whole zip again."""
    nbia.plan["getImage"] = ["cut"]
    series = client_of(nbia).fetch_series(SERIES_B, tmp_path)
    assert [item.instance_number for item in series.slices] == [1, 2]
    images = nbia.endpoint_calls("getImage")
    assert images[1][2] is not None and images[1][3] == 200
    assert not leftovers(tmp_path)


def test_download_cut_on_every_try_is_resumed_by_the_next_run(nbia, tmp_path):
    """Retries used up: the error names the URL, the partial zip stays and a later run resumes."""
    nbia.plan["getImage"] = ["cut", "cut"]
    with pytest.raises(TciaError, match=r"getImage\?SeriesInstanceUID=.*failed 2 times"):
        client_of(nbia, retries=1).fetch_series(SERIES_B, tmp_path)
    half = len(nbia.series[SERIES_B][1]) // 2
    assert (tmp_path / SERIES_B / ".getImage.zip.part").stat().st_size == half
    assert not (tmp_path / SERIES_B / "series.json").exists()

    nbia.range_support = True
    client_of(nbia).fetch_series(SERIES_B, tmp_path)
    assert nbia.endpoint_calls("getImage")[-1][2:] == (f"bytes={half}-", 206)
    assert not leftovers(tmp_path)


def test_zip_with_fewer_files_than_image_count_is_refused(nbia, slices, tmp_path):
    nbia.add_series(SERIES_A, slices[SERIES_A], image_count=3)
    with pytest.raises(TciaError) as caught:
        client_of(nbia).fetch_series(SERIES_A, tmp_path)
    message = str(caught.value)
    assert SERIES_A in message and "2 DICOM files" in message and "ImageCount is 3" in message
    assert f"{nbia.base_url}/getImage?SeriesInstanceUID={SERIES_A}" in message
    assert not (tmp_path / SERIES_A / "series.json").exists()
    assert not (tmp_path / SERIES_A / "dicom").exists()
    assert not leftovers(tmp_path)


def test_unknown_series_refused_series_and_non_ct_series(nbia, tmp_path):
    """getSeries' empty answer, getImage's HTTP 400 (not retried) and Modality MR: one message each."""
    unknown = "1.2.3.4.5"
    with pytest.raises(TciaError, match=rf"{unknown}: not found .*getSeries\?SeriesInstanceUID="):
        client_of(nbia).fetch_series(unknown, tmp_path)

    client = client_of(nbia)
    with pytest.raises(TciaError, match=r"getImage\?SeriesInstanceUID=1\.2\.3\.4\.5: HTTP 400"):
        client.download_zip(unknown, tmp_path / "x.part")
    assert len(nbia.endpoint_calls("getImage")) == 1

    with pytest.raises(TciaError, match=r"Modality is 'MR', expected 'CT'"):
        client.fetch_series(SERIES_MR, tmp_path)
    with pytest.raises(TciaError, match=rf"collection '{COLLECTION}', not 'Pancreas-CT'"):
        client.fetch_series(SERIES_A, tmp_path, collection="Pancreas-CT")
    assert len(nbia.endpoint_calls("getImage")) == 1


def test_unreachable_server_gives_up_after_the_retries(tmp_path):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TciaClient(f"http://127.0.0.1:{port}{API_PATH}", retries=2, backoff_s=0, timeout_s=2)
    with pytest.raises(
        TciaError, match=r"getSeries\?SeriesInstanceUID=.*failed 3 times, giving up"
    ):
        client.fetch_series(SERIES_A, tmp_path)
    assert not (tmp_path / SERIES_A).exists()


def test_manifest_lists_the_series_after_its_marker(tmp_path):
    """The header ManifestMaker writes, then one SeriesInstanceUID per line."""
    manifest = tmp_path / "manifest-1700000000000.tcia"
    manifest.write_text(
        "downloadServerUrl=https://nbia.cancerimagingarchive.net/nbia-download/servlet/DownloadServlet\n"
        "includeAnnotation=true\nnoOfrRetry=4\ndatabasketId=manifest-1700000000000.tcia\n"
        f"manifestVersion=3.0\nListOfSeriesToDownload=\n{SERIES_A}\n\n{SERIES_B}\n"
    )
    assert read_manifest(manifest) == [SERIES_A, SERIES_B]
    (tmp_path / "list.txt").write_text(f"{SERIES_A}\n")
    with pytest.raises(LdctInputError, match="not a TCIA manifest"):
        read_manifest(tmp_path / "list.txt")
    manifest.write_text(f"ListOfSeriesToDownload=\n{SERIES_A}\nPANCREAS_0001\n")
    with pytest.raises(LdctInputError, match="line 3: 'PANCREAS_0001' is not a SeriesInstanceUID"):
        read_manifest(manifest)


def test_slices_are_spread_evenly_over_the_chosen_instances():
    series = [SliceFile(Path(f"{n}.dcm"), n, f"1.{n}") for n in range(1, 101)]
    assert [s.instance_number for s in select_slices(series, 4)] == [13, 38, 63, 88]
    assert [s.instance_number for s in select_slices(series, 1, [41, 50])] == [46]
    assert len({s.path for s in select_slices(series, 100)}) == 100
    with pytest.raises(
        LdctInputError, match=r"11 slices asked for, .* 10 slices with InstanceNumber in \[1, 10\]"
    ):
        select_slices(series, 11, [1, 10])


def tcia_config(**tcia) -> dict:
    base = {"data": {"source": "tcia", "tcia": tcia}, "split": {"eval": ["a"], "train": []}}
    return base


def test_series_ids_in_the_split_stand_for_their_slices(tmp_path):
    manifest = tmp_path / "cart.tcia"
    manifest.write_text(f"ListOfSeriesToDownload=\n{SERIES_B}\n")
    config = tcia_config(
        series=[{"id": "a", "uid": SERIES_A, "slices": 2, "instances": [1, 2]}],
        manifest=str(manifest),
        slices_per_series=3,
    )
    validate_config(config, SCHEMA)
    assert config["split"]["eval"] == ["a_000", "a_001"]
    assert train_images(config) == ["series_01_000", "series_01_001", "series_01_002"]
    assert image_sources(config)["a_001"] == f"TCIA series {SERIES_A}, slice 2 of 2"
    assert [s.key for s in tcia_series(config)] == [
        "data.tcia.series[0]",
        f"data.tcia.manifest (series {SERIES_B})",
    ]


@pytest.mark.parametrize(
    "tcia, key",
    [
        ({}, "config key data.tcia.series: required"),
        ({"series": [{"id": "a", "uid": "1.2.x"}]}, "config key data.tcia.series[0].uid"),
        (
            {"series": [{"id": "a", "uid": SERIES_A}, {"id": "a", "uid": SERIES_B}]},
            "config key data.tcia.series[1].id: id 'a' is used twice",
        ),
        (
            {"series": [{"id": "a", "uid": SERIES_A}, {"id": "b", "uid": SERIES_A}]},
            "config key data.tcia.series[1]: series",
        ),
        (
            {"series": [{"id": "a", "uid": SERIES_A, "instances": [9, 2]}]},
            "config key data.tcia.series[0].instances",
        ),
        (
            {"series": [{"id": "b", "uid": SERIES_A}]},
            "config key split.eval: unknown image id(s) ['a']",
        ),
        (
            {"manifest": "/no/such.tcia"},
            "config key data.tcia.manifest: /no/such.tcia: cannot read",
        ),
    ],
)
def test_bad_tcia_config_names_the_key(tcia, key):
    with pytest.raises(LdctInputError) as caught:
        validate_config(tcia_config(**tcia), SCHEMA)
    assert str(caught.value).startswith(key), str(caught.value)


def test_paper_setup_on_tcia_has_10_eval_and_100_training_slices():
    """config/tcia_abdomen.yaml over config.yaml: two Pancreas-CT patients, no network needed."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config" / "tcia_abdomen.yaml").read_text()))
    validate_config(config, SCHEMA)
    assert len(config["split"]["eval"]) == 10 and config["split"]["eval"][0] == "pancreas_0001_000"
    assert len(train_images(config)) == 100
    assert {s.uid.rsplit(".", 1)[0] for s in tcia_series(config)} == {
        "1.2.826.0.1.3680043.2.1125.1"
    }


def study_with_tcia(tmp_path: Path, nbia: FakeNbia, series: list[dict], split: dict) -> Path:
    workdir = make_workdir(tmp_path / "study", REPO / "config" / "test.yaml")
    config = {
        "data": {
            "source": "tcia",
            "tcia": {
                "base_url": nbia.base_url,
                "collection": COLLECTION,
                "series": series,
                "retries": 1,
                "backoff_s": 0,
                "timeout_s": 10,
            },
        },
        "split": split,
    }
    (workdir / "config" / "tcia.yaml").write_text(yaml.safe_dump(config))
    return workdir


@pytest.mark.slow
def test_workflow_takes_its_slices_from_tcia(nbia, tmp_path):
    """acquire -> to_hu -> split on two loopback series; a rerun has nothing to do."""
    series = [
        {"id": "evalct", "uid": SERIES_A, "slices": 2},
        {"id": "trainct", "uid": SERIES_B, "slices": 1, "instances": [2, 2]},
    ]
    workdir = study_with_tcia(tmp_path, nbia, series, {"eval": ["evalct"], "train": ["trainct"]})
    args = ["--configfile", "config/test.yaml", "config/tcia.yaml"]
    snakemake(workdir, *args, "--cores", "2", "results/split.tsv")

    split = read_table(workdir / "results" / "split.tsv")
    assert [(row["image"], row["role"]) for row in split] == [
        ("evalct_000", "eval"),
        ("evalct_001", "eval"),
        ("trainct_000", "train"),
    ]
    assert [row["sop_instance_uid"] for row in split] == [
        f"{SERIES_A}.1",
        f"{SERIES_A}.2",
        f"{SERIES_B}.2",
    ]
    meta = json.loads((workdir / "results" / "hu" / "evalct_001.json").read_text())
    assert meta["source"] == f"TCIA series {SERIES_A}, slice 2 of 2"
    assert meta["series_instance_uid"] == SERIES_A and meta["shape"] == [64, 64]
    chosen = read_table(workdir / "results" / "tcia" / "trainct.tsv")
    assert [(row["image"], row["instance_number"]) for row in chosen] == [("trainct_000", "2")]
    assert sorted(call[0] for call in nbia.calls) == ["getImage"] * 2 + ["getSeries"] * 2
    assert (workdir / "resources" / "tcia" / SERIES_B / "series.json").is_file()

    dry = snakemake(workdir, *args, "-n", "--cores", "1", "results/split.tsv")
    assert "Nothing to be done" in dry.stdout + dry.stderr


@pytest.mark.slow
def test_workflow_stops_with_one_message_for_an_unknown_series(nbia, tmp_path):
    unknown = "1.2.826.0.1.3680043.8.498.9999"
    series = [
        {"id": "evalct", "uid": unknown, "slices": 1},
        {"id": "trainct", "uid": SERIES_B, "slices": 1},
    ]
    workdir = study_with_tcia(tmp_path, nbia, series, {"eval": ["evalct"], "train": ["trainct"]})
    process = snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "config/tcia.yaml",
        "--cores",
        "1",
        "results/split.tsv",
        check=False,
    )
    message = one_ldct_message(process)
    assert unknown in message and "not found" in message and nbia.base_url in message
    assert not (workdir / "results" / "tcia" / "evalct.tsv").exists()
    assert not (workdir / "resources" / "tcia" / unknown).exists()
