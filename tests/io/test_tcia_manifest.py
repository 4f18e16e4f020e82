"""TCIA manifests and the choice of slices in a series.

The manifest is the one ``restUtil/ManifestMaker.java`` of NBIA writes (CBIIT/NBIA-TCIA on
GitHub): header lines, then ``ListOfSeriesToDownload=`` and one SeriesInstanceUID per line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_nbia import SERIES_A, SERIES_B
from ldct.core.errors import LdctInputError
from ldct.io.tcia.manifest import SliceFile, read_manifest, select_slices


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
