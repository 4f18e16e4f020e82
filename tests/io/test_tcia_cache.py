"""fetch_series against a loopback NBIA server: the cache, resumed downloads and the checks."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from fake_nbia import (
    COLLECTION,
    LICENSE_TEXT,
    SERIES_A,
    SERIES_B,
    SERIES_MR,
    client_of,
)
from ldct.core.storage import INCOMPLETE_FOLDER
from ldct.io.tcia.cache import fetch_series
from ldct.io.tcia.client import TciaError


def leftovers(cache: Path) -> list[Path]:
    """Temporary or partial files a download must not leave behind."""
    return [p for p in cache.rglob("*") if p.name.endswith(".part") or p.name == INCOMPLETE_FOLDER]


def test_download_checks_the_series_and_a_second_call_asks_nothing(nbia, tmp_path):
    """One getSeries, one getImage; files ordered by InstanceNumber; then served from the cache."""
    series = fetch_series(client_of(nbia), SERIES_A, tmp_path, collection=COLLECTION)
    assert [item.instance_number for item in series.slices] == [1, 2]
    assert [item.sop_instance_uid for item in series.slices] == [f"{SERIES_A}.1", f"{SERIES_A}.2"]
    assert pydicom.dcmread(series.slices[1].path).Rows == 512  # 693_UNCR.dcm, sent first
    folder = tmp_path / SERIES_A
    assert (folder / "LICENSE").read_text() == LICENSE_TEXT
    index = json.loads((folder / "series.json").read_text())
    assert index["metadata"]["ImageCount"] == 2 and len(index["files"]) == 2
    assert [call[0] for call in nbia.calls] == ["getSeries", "getImage"]
    assert not leftovers(tmp_path)

    again = fetch_series(client_of(nbia), SERIES_A, tmp_path, collection=COLLECTION)
    assert len(nbia.calls) == 2  # no request at all
    assert again.slices == series.slices
    with pytest.raises(TciaError, match=rf"collection '{COLLECTION}', not 'Pancreas-CT' .*cached"):
        fetch_series(client_of(nbia), SERIES_A, tmp_path, collection="Pancreas-CT")
    assert len(nbia.calls) == 2


def test_cut_download_resumes_with_a_range_request(nbia, tmp_path):
    """A server that honours Range: the retry asks only for the missing bytes."""
    nbia.range_support = True
    nbia.plan["getImage"] = ["cut"]
    series = fetch_series(client_of(nbia), SERIES_B, tmp_path)
    assert len(series.slices) == 2
    images = nbia.endpoint_calls("getImage")
    assert [(call[2] is None, call[3]) for call in images] == [(True, 200), (False, 206)]
    zip_size = len(nbia.series[SERIES_B][1])
    assert images[1][2] == f"bytes={zip_size // 2}-"
    assert not leftovers(tmp_path)


def test_cut_download_restarts_when_the_server_ignores_range(nbia, tmp_path):
    """NBIA streams getImage without Range support: the retry takes the whole zip again."""
    nbia.plan["getImage"] = ["cut"]
    series = fetch_series(client_of(nbia), SERIES_B, tmp_path)
    assert [item.instance_number for item in series.slices] == [1, 2]
    images = nbia.endpoint_calls("getImage")
    assert images[1][2] is not None and images[1][3] == 200
    assert not leftovers(tmp_path)


def test_download_cut_on_every_try_is_resumed_by_the_next_run(nbia, tmp_path):
    """Retries used up: the error names the URL, the partial zip stays and a later run resumes."""
    nbia.plan["getImage"] = ["cut", "cut"]
    with pytest.raises(TciaError, match=r"getImage\?SeriesInstanceUID=.*failed 2 times"):
        fetch_series(client_of(nbia, retries=1), SERIES_B, tmp_path)
    half = len(nbia.series[SERIES_B][1]) // 2
    assert (tmp_path / SERIES_B / ".getImage.zip.part").stat().st_size == half
    assert not (tmp_path / SERIES_B / "series.json").exists()

    nbia.range_support = True
    fetch_series(client_of(nbia), SERIES_B, tmp_path)
    assert nbia.endpoint_calls("getImage")[-1][2:] == (f"bytes={half}-", 206)
    assert not leftovers(tmp_path)


def test_zip_with_fewer_files_than_image_count_is_refused(nbia, slices, tmp_path):
    nbia.add_series(SERIES_A, slices[SERIES_A], image_count=3)
    with pytest.raises(TciaError) as caught:
        fetch_series(client_of(nbia), SERIES_A, tmp_path)
    message = str(caught.value)
    assert SERIES_A in message and "2 DICOM files" in message and "ImageCount is 3" in message
    assert f"{nbia.base_url}/getImage?SeriesInstanceUID={SERIES_A}" in message
    assert not (tmp_path / SERIES_A / "series.json").exists()
    assert not (tmp_path / SERIES_A / "dicom").exists()
    assert not leftovers(tmp_path)


def test_unknown_series_and_non_ct_series(nbia, tmp_path):
    """getSeries' empty answer and Modality MR: one message each, no folder, no download."""
    unknown = "1.2.3.4.5"
    client = client_of(nbia)
    with pytest.raises(TciaError, match=rf"{unknown}: not found .*getSeries\?SeriesInstanceUID="):
        fetch_series(client, unknown, tmp_path)
    assert not (tmp_path / unknown).exists()

    with pytest.raises(TciaError, match=r"Modality is 'MR', expected 'CT'"):
        fetch_series(client, SERIES_MR, tmp_path)
    with pytest.raises(TciaError, match=rf"collection '{COLLECTION}', not 'Pancreas-CT'"):
        fetch_series(client, SERIES_A, tmp_path, collection="Pancreas-CT")
    assert not nbia.endpoint_calls("getImage")
