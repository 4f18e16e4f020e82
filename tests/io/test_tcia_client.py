"""TciaClient alone against a loopback NBIA server: retries, waits, refusals, giving up."""

from __future__ import annotations

import socket
import zipfile

import pytest

from fake_nbia import API_PATH, SERIES_A, client_of
from ldct.io.tcia.client import TciaClient, TciaError


def test_busy_server_is_asked_again_with_growing_waits(nbia, tmp_path):
    nbia.plan = {"getSeries": ["503"], "getImage": ["503", "503"]}
    waits: list[float] = []
    client = client_of(nbia, waits)
    assert client.series_metadata(SERIES_A)["ImageCount"] == 2
    part = tmp_path / "getImage.zip.part"
    client.download_zip(SERIES_A, part)
    with zipfile.ZipFile(part) as archive:
        assert len(archive.namelist()) == 3  # LICENSE and the 2 slices
    assert [call[3] for call in nbia.calls] == [503, 200, 503, 503, 200]
    assert waits == [0.01, 0.01, 0.02]


def test_refused_download_is_not_retried(nbia, tmp_path):
    """getImage's HTTP 400 (a series the user may not read) fails at once, with the URL."""
    with pytest.raises(TciaError, match=r"getImage\?SeriesInstanceUID=1\.2\.3\.4\.5: HTTP 400"):
        client_of(nbia).download_zip("1.2.3.4.5", tmp_path / "x.part")
    assert len(nbia.endpoint_calls("getImage")) == 1


def test_unreachable_server_gives_up_after_the_retries():
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TciaClient(f"http://127.0.0.1:{port}{API_PATH}", retries=2, backoff_s=0, timeout_s=2)
    with pytest.raises(
        TciaError, match=r"getSeries\?SeriesInstanceUID=.*failed 3 times, giving up"
    ):
        client.series_metadata(SERIES_A)
