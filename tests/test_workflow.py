"""The workflow as a user runs it: the DAG, a whole tiny study, reruns, and bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from conftest import REPO, job_counts, make_workdir, snakemake
from ldct.storage import read_table

METHODS = ["gaussian", "median", "noisy", "wiener"]
METRICS = ["ssim_paper", "psnr_paper", "ssim_window", "psnr_window"]


def test_dry_run_of_default_config_lists_every_job(tmp_path):
    """Default config: 5 embedded slices, 1 eval slice x 4 doses x 10 realizations x 4 methods."""
    workdir = make_workdir(tmp_path)
    counts = job_counts(snakemake(workdir, "-n", "--cores", "1").stdout)
    assert counts == {
        "acquire": 5,
        "to_hu": 5,
        "split": 1,
        "mtf_curve": 1,
        "simulate": 4 * 10,
        "denoise": 4 * 10 * 4,
        "metrics": 4 * 10 * 4,
        "collect_metrics": 1,
        "stats": 1,
        "all": 1,
    }


@pytest.mark.slow
def test_tiny_study_writes_metrics_and_stats(tiny_study):
    """Every eval unit gets every metric; stats hold each dose x method x metric once."""
    metrics = read_table(tiny_study / "results/metrics/metrics.tsv")
    assert len(metrics) == 2 * 2 * 4  # doses x realizations x methods, one eval image
    assert {row["image"] for row in metrics} == {"abdomen"}
    for row in metrics:
        for metric in METRICS:
            assert np.isfinite(float(row[metric]))
    stats = read_table(tiny_study / "results/stats/stats.tsv")
    keys = sorted((row["dose"], row["method"], row["metric"]) for row in stats)
    assert keys == sorted((d, m, k) for d in ("0.5", "0.1") for m in METHODS for k in METRICS)
    noisy = [row for row in stats if row["method"] == "noisy"]
    assert {row["significant"] for row in noisy} == {"reference"}
    split = read_table(tiny_study / "results/split.tsv")
    assert {(row["image"], row["role"]) for row in split} == {
        ("abdomen", "eval"),
        ("spine_small", "train"),
    }


@pytest.mark.slow
def test_completed_run_has_nothing_to_do(tiny_study):
    """A dry run right after a completed run schedules no job."""
    process = snakemake(tiny_study, "--configfile", "config/test.yaml", "-n", "--cores", "1")
    assert "Nothing to be done" in process.stdout + process.stderr


@pytest.mark.slow
def test_changing_one_eval_dose_reruns_only_that_dose(tiny_study, tmp_path):
    """Dose 0.1 -> 0.2: new simulate/denoise/metrics jobs for 0.2 only, then collect and stats."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["doses"]["eval"] = [0.5, 0.2]
    (workdir / "config" / "changed.yaml").write_text(yaml.safe_dump(config))
    kept = sorted((workdir / "results").rglob("*dose0.5*/*")) + sorted(
        (workdir / "results" / "hu").iterdir()
    )
    mtimes = {path: path.stat().st_mtime_ns for path in kept if path.is_file()}

    dry = snakemake(workdir, "--configfile", "config/changed.yaml", "-n", "--cores", "1")
    assert job_counts(dry.stdout) == {
        "simulate": 2,
        "denoise": 2 * 4,
        "metrics": 2 * 4,
        "collect_metrics": 1,
        "stats": 1,
        "all": 1,
    }
    snakemake(workdir, "--configfile", "config/changed.yaml", "--cores", "2")
    assert {path: path.stat().st_mtime_ns for path in mtimes} == mtimes
    stats = read_table(workdir / "results/stats/stats.tsv")
    assert {row["dose"] for row in stats} == {"0.5", "0.2"}


@pytest.mark.slow
def test_corrupt_local_dicom_stops_with_one_message(tmp_path):
    """A truncated file in a local_dicom folder: the run fails naming it; no partial result."""
    from ldct.dicom import embedded_dicom_path

    folder = tmp_path / "dicoms"
    folder.mkdir()
    shutil.copy(embedded_dicom_path("CT_small.dcm"), folder / "small.dcm")
    shutil.copy(embedded_dicom_path("693_UNCR.dcm"), folder / "head.dcm")
    whole = embedded_dicom_path("693_UNCR.dcm").read_bytes()
    (folder / "broken.dcm").write_bytes(whole[: len(whole) // 2])
    workdir = make_workdir(tmp_path / "study", REPO / "config" / "test.yaml")
    config = {
        "data": {"source": "local_dicom", "local_dicom": {"folder": str(folder)}},
        "split": {"eval": ["small"]},
    }
    (workdir / "config" / "local.yaml").write_text(yaml.safe_dump(config))

    process = snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "config/local.yaml",
        "--cores",
        "1",
        check=False,
    )
    assert process.returncode != 0
    messages = [line for line in process.stderr.splitlines() if line.startswith("ldct:")]
    assert len(messages) == 1, process.stderr
    assert str(folder / "broken.dcm") in messages[0]
    results = workdir / "results"
    assert not (results / "dicom" / "broken.dcm").exists()
    assert not (results / "hu" / "broken.npy").exists()
    assert not (results / "stats" / "stats.tsv").exists()
    assert not (results / "metrics" / "metrics.tsv").exists()
    assert not [path for path in results.rglob("*") if path.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"doses": {"eval": [0.5, 0.0]}}, "doses.eval[1]"),
        ({"doses": {"eval": [1.5]}}, "doses.eval[0]"),
        ({"split": {"eval": ["abdomen"], "train": ["abdomen"]}}, "split"),
        ({"stats": {"reference": "median"}, "denoise": {"methods": ["noisy"]}}, "stats.reference"),
        ({"noise": {"law": "linear"}}, "noise.law"),
    ],
)
def test_bad_config_stops_with_a_message_naming_the_key(tmp_path, change, key):
    """Bad config values stop the workflow before any job, naming the config key."""
    workdir = make_workdir(tmp_path)
    (workdir / "config" / "bad.yaml").write_text(yaml.safe_dump(change))
    process = snakemake(
        workdir, "--configfile", "config/config.yaml", "config/bad.yaml", "-n", check=False
    )
    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert f"ldct: config key {key}" in output, output
    assert not (workdir / "results").exists()


def test_tabulated_mtf_reaches_the_curve_the_simulations_use(tmp_path):
    """mtf.model table: the mtf_curve rule writes the user's table, interpolated, 0 beyond it."""
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    (workdir / "scanner_mtf.txt").write_text("# lp/mm  MTF\n0 1\n0.4 0.6\n1.0 0\n")
    config = {"mtf": {"model": "table", "table": "scanner_mtf.txt", "curve_max_lp_per_mm": 1.2}}
    (workdir / "config" / "table.yaml").write_text(yaml.safe_dump(config))
    snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "config/table.yaml",
        "--cores",
        "1",
        "results/mtf/mtf_curve.tsv",
    )
    curve = {
        round(float(row["frequency_lp_per_mm"]), 3): float(row["mtf"])
        for row in read_table(workdir / "results/mtf/mtf_curve.tsv")
    }
    assert len(curve) == 241
    assert curve[0.0] == 1.0 and curve[0.4] == pytest.approx(0.6)
    assert curve[0.2] == pytest.approx(0.8) and curve[0.7] == pytest.approx(0.3)
    assert curve[1.0] == 0.0 and curve[1.2] == 0.0
