"""Where the images come from: local folders, and TCIA series in the config and in the
workflow, against a loopback NBIA server (fake_nbia). Embedded slices: see test_study.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from conftest import REPO, make_workdir, one_ldct_message, snakemake
from fake_nbia import (
    COLLECTION,
    LOOPBACK_TIMEOUT_S,
    SERIES_A,
    SERIES_B,
    FakeNbia,
)
from ldct.core.errors import LdctInputError
from ldct.core.storage import read_table
from ldct.io.dicom_read import embedded_dicom_path
from ldct.study.design import load_study
from ldct.study.sources import image_sources

SCHEMA = REPO / "config" / "schema.yaml"


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
    study = load_study(config, SCHEMA)
    assert study.eval_images == ("a_000", "a_001")
    assert study.train_images == ("series_01_000", "series_01_001", "series_01_002")
    assert study.sources["a_001"].text == f"TCIA series {SERIES_A}, slice 2 of 2"
    assert study.sources["a_001"].series == "a" and study.sources["a_001"].dicom is None
    assert [s.key for s in study.tcia_series.values()] == [
        "data.tcia.series[0]",
        f"data.tcia.manifest (series {SERIES_B})",
    ]
    assert study.tcia_series["a"].instances == (1, 2)


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
        load_study(tcia_config(**tcia), SCHEMA)
    assert str(caught.value).startswith(key), str(caught.value)


def test_paper_setup_on_tcia_has_10_eval_and_100_training_slices():
    """config/tcia_abdomen.yaml over config.yaml: two Pancreas-CT patients, no network needed."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config" / "tcia_abdomen.yaml").read_text()))
    study = load_study(config, SCHEMA)
    assert len(study.eval_images) == 10 and study.eval_images[0] == "pancreas_0001_000"
    assert len(study.train_images) == 100
    assert {s.uid.rsplit(".", 1)[0] for s in study.tcia_series.values()} == {
        "1.2.826.0.1.3680043.2.1125.1"
    }


def test_a_local_folder_gives_one_image_per_file_named_by_its_stem(tmp_path):
    for name in ("CT_small.dcm", "693_UNCR.dcm"):
        (tmp_path / name).write_bytes(embedded_dicom_path(name).read_bytes())
    (tmp_path / ".hidden.dcm").write_bytes(b"")
    config = {"data": {"source": "local_dicom", "local_dicom": {"folder": str(tmp_path)}}}
    sources, series = image_sources(config)
    assert sorted(sources) == ["693_UNCR", "CT_small"] and series == []
    assert sources["CT_small"].dicom == sources["CT_small"].text == str(tmp_path / "CT_small.dcm")
    (tmp_path / "CT_small").write_bytes(b"")
    with pytest.raises(LdctInputError) as caught:
        image_sources(config)
    assert str(caught.value).startswith("config key data.local_dicom.folder: files 'CT_small'")


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
                "timeout_s": LOOPBACK_TIMEOUT_S,
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
    assert meta["series_instance_uid"] == SERIES_A and meta["shape"] == [128, 128]
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
