"""jobs.eval_slices_per_job: the default (all) runs one denoise and one metrics job per method
and dose over every eval slice; one (a job per slice) writes the same files, and reruns stay per
dose and per method either way, and per eval slice under one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, job_counts, make_workdir, snakemake

PER_SLICE = {"jobs": {"eval_slices_per_job": "one"}}
METHODS = 8


def write_config(workdir: Path, name: str, base: Path | None, **changes) -> str:
    """config/<name>.yaml: ``base`` (a config file; None: none) with ``changes`` merged into its
    sections and one job per method, eval slice and dose; returns its path relative to
    ``workdir``."""
    config = yaml.safe_load(base.read_text()) if base else {}
    for section, change in {**PER_SLICE, **changes}.items():
        config[section] = {**config.get(section, {}), **change}
    (workdir / "config" / f"{name}.yaml").write_text(yaml.safe_dump(config))
    return f"config/{name}.yaml"


def dry_counts(workdir: Path, *configs: str) -> dict[str, int]:
    """Job counts of a dry run of the default target with ``configs`` over the default config."""
    return job_counts(snakemake(workdir, "--configfile", *configs, "-n", "--cores", "1").stdout)


def test_default_config_has_a_job_per_method_and_dose(tmp_path):
    """21 eval slices x 4 doses x 8 methods: 28 denoise and 28 metrics jobs, each writing all 21
    slices' files and logging under eval_slices/."""
    workdir = make_workdir(tmp_path)
    process = snakemake(workdir, "-n", "--cores", "1")
    counts = job_counts(process.stdout)
    assert (counts["denoise"], counts["metrics"], counts["simulate"]) == (4 * METHODS, 4 * METHODS, 21 * 4)
    assert "log: results/logs/denoise/median/eval_slices/dose0.5.log" in process.stdout
    job = process.stdout.split("log: results/logs/metrics/median/eval_slices/dose0.5.log")[0]
    outputs = job.rsplit("output: ", 1)[1].splitlines()[0].split(", ")
    assert len(outputs) == 21
    assert all(path.startswith("results/metrics/per_image/median/") for path in outputs)


def test_per_slice_jobs_on_the_default_config(tmp_path):
    """jobs.eval_slices_per_job: one on the default config: a denoise and a metrics job per
    method, eval slice and dose, each logging under its slice."""
    workdir = make_workdir(tmp_path)
    config = write_config(workdir, "one", None)
    process = snakemake(workdir, "-n", "--cores", "1", "--configfile", "config/config.yaml", config)
    counts = job_counts(process.stdout)
    assert (counts["denoise"], counts["metrics"]) == (21 * 4 * METHODS, 21 * 4 * METHODS)
    assert "log: results/logs/denoise/median/abdomen/dose0.5.log" in process.stdout


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*.*"))}


@pytest.mark.slow
def test_per_slice_jobs_write_the_same_files(tiny_study, tmp_path):
    """The tiny study (one job per method and dose) again with one job per method, eval slice
    and dose: 8 x 2 x 2 denoise and metrics jobs, every denoised stack, sidecar and metric table
    bitwise as the default jobs wrote them; then a changed dose reruns only that dose's jobs, a
    changed filter only that filter's, and a dropped eval slice none."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    tiny = REPO / "config" / "test.yaml"
    config = write_config(workdir, "one", tiny)
    counts = dry_counts(workdir, config)
    assert (counts["denoise"], counts["metrics"]) == (METHODS * 2 * 2, METHODS * 2 * 2)
    snakemake(workdir, "--configfile", config, "--cores", "2")
    for folder in ("results/denoised", "results/metrics", "results/stats"):
        assert files_under(workdir / folder) == files_under(tiny_study / folder), folder

    counts = dry_counts(workdir, write_config(workdir, "dose", tiny, doses={"eval": [0.5, 0.2]}))
    assert (counts["simulate"], counts["denoise"], counts["metrics"]) == (2, METHODS * 2, METHODS * 2)
    median = {"parameters": {"median": {"size_px": 5}}}
    counts = dry_counts(workdir, write_config(workdir, "median", tiny, denoise=median))
    assert (counts["denoise"], counts["metrics"]) == (2 * 2, 2 * 2)
    fewer = {"eval": ["abdomen"], "train": ["totalseg_01"]}
    counts = dry_counts(workdir, write_config(workdir, "fewer", tiny, split=fewer))
    assert "denoise" not in counts and "metrics" not in counts, counts


def test_sensitivity_variants_get_a_job_per_method_and_dose(tmp_path):
    """`snakemake sensitivity` on the tiny config: with one job per method and dose (the default)
    there are half the denoise and metrics jobs of the per-slice layout (2 eval slices), each
    variant's in its own folder."""
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml", REPO / "config" / "sensitivity.yaml")
    tiny = REPO / "config" / "test.yaml"
    dry_run = ("-n", "--cores", "1", "sensitivity")
    process = snakemake(workdir, "--configfile", "config/test.yaml", *dry_run)
    per_dose = job_counts(process.stdout)
    config = write_config(workdir, "one", tiny)
    per_slice = job_counts(snakemake(workdir, "--configfile", config, *dry_run).stdout)
    assert per_slice["denoise"] == 2 * per_dose["denoise"] and per_slice["metrics"] == 2 * per_dose["metrics"]
    assert per_dose["stats"] > 1  # the default study and its variants
    assert "log: results/sensitivity/quantum_law/logs/denoise/dncnn/eval_slices/dose0.5.log" in process.stdout
