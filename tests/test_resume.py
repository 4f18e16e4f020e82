"""Killed anywhere, the tiny study resumes to the numbers of an uninterrupted run; two clean runs
agree bit for bit.

Every file under results/ is compared by SHA-256, except what records the run rather than the
study (:data:`RUN_RECORDS`) and the wall-time column of the training tables.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, SNAKEMAKE, make_workdir, snakemake

#: Parts of results/ that describe one run, not its results, and why.
RUN_RECORDS = {
    "logs/": "each job's log, with timestamps",
    "benchmarks/": "each job's wall and CPU time",
    "checkpoints/": "training resume states, holding each epoch's wall time",
}
#: The column of the training tables (epochs.tsv) that holds each epoch's wall time.
WALL_TIME_COLUMN = "seconds"
#: The stages a run is killed in, in DAG order: the rule whose job is running at the kill.
KILL_POINTS = ("simulate", "denoise", "finetune_dncnn", "stats")
TINY = ("--configfile", "config/test.yaml", "--cores", "2")


def without_column(table: bytes, column: str) -> bytes:
    """A tab-separated table without ``column``."""
    rows = [line.split("\t") for line in table.decode().splitlines()]
    drop = rows[0].index(column)
    return "\n".join("\t".join(c for k, c in enumerate(row) if k != drop) for row in rows).encode()


def result_digests(workdir: Path) -> dict[str, str]:
    """SHA-256 of every file under results/ (hidden ones included), but :data:`RUN_RECORDS`."""
    results = workdir / "results"
    digests = {}
    for path in sorted(results.rglob("*")):
        name = path.relative_to(results).as_posix()
        if not path.is_file() or name.startswith(tuple(RUN_RECORDS)):
            continue
        data = path.read_bytes()
        if path.name == "epochs.tsv":
            data = without_column(data, WALL_TIME_COLUMN)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def incomplete_outputs(workdir: Path) -> set[str]:
    """Output paths Snakemake marked incomplete (jobs that started and did not finish), from
    its records: file names that are the URL-safe base64 of the path, split at '@'."""
    root = workdir / ".snakemake" / "incomplete"
    paths = set()
    for record in root.rglob("*"):
        if record.is_file() and record.name != "migration_underway":
            encoded = "".join(part.lstrip("@") for part in record.relative_to(root).parts)
            paths.add(base64.urlsafe_b64decode(encoded).decode())
    return paths


def kill_when_running(workdir: Path, rule: str) -> None:
    """Run the tiny study (resuming what is incomplete) and SIGKILL Snakemake's whole process
    group 0.3 s after it starts a job of ``rule``."""
    command = SNAKEMAKE + ["-s", str(REPO / "Snakefile"), "-d", str(workdir), *TINY, "--rerun-incomplete"]
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        for line in process.stdout:
            if line.strip() in (f"rule {rule}:", f"localrule {rule}:"):
                time.sleep(0.3)
                break
        else:
            pytest.fail(f"the run ended before a {rule} job started")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    snakemake(workdir, "--unlock", *TINY)


@pytest.mark.slow
def test_two_clean_runs_agree_bit_for_bit(tiny_study, tmp_path):
    """Simulated and denoised images, checkpoints, metrics, statistics, figures, DICOM: every
    result file of a second clean run equals the first's."""
    workdir = make_workdir(tmp_path / "again", REPO / "config" / "test.yaml")
    snakemake(workdir, *TINY)
    first, second = result_digests(tiny_study), result_digests(workdir)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.slow
def test_a_study_killed_in_every_stage_resumes_to_the_uninterrupted_results(tiny_study, tmp_path):
    """SIGKILL during a simulation, a denoising, a fine-tuning and the statistics, resuming in
    between: at each kill every finished file already equals the uninterrupted run's, the
    killed job is marked incomplete, no finished job is redone, and the end equals it all."""
    reference = result_digests(tiny_study)
    workdir = make_workdir(tmp_path / "killed", REPO / "config" / "test.yaml")
    finished_at_kill: dict[str, int] = {}
    for rule in KILL_POINTS:
        kill_when_running(workdir, rule)
        incomplete = incomplete_outputs(workdir)
        assert incomplete, f"no job was running when {rule} was killed"
        for name, digest in result_digests(workdir).items():
            path = f"results/{name}"
            if path in incomplete:
                continue
            assert not Path(name).name.startswith("."), f"a partial file is visible: {path}"
            assert digest == reference[name], f"{path} differs from the uninterrupted run"
            finished_at_kill.setdefault(path, (workdir / path).stat().st_mtime_ns)
    snakemake(workdir, *TINY, "--rerun-incomplete")
    assert result_digests(workdir) == reference
    assert incomplete_outputs(workdir) == set()
    redone = [path for path, mtime in finished_at_kill.items() if (workdir / path).stat().st_mtime_ns != mtime]
    assert redone == []
