"""Shared helpers: run the workflow of this checkout in a temporary working directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: The loopback NBIA server's fixtures (nbia, slices) for the TCIA tests.
pytest_plugins = ["fake_nbia"]

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def make_workdir(path: Path, *extra_configs: Path) -> Path:
    """A working directory holding the default config and the given extra configs in config/."""
    (path / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "config.yaml", path / "config" / "config.yaml")
    for config in extra_configs:
        shutil.copy(config, path / "config" / Path(config).name)
    return path


def snakemake(
    workdir: Path,
    *args: str,
    check: bool = True,
    code: Path = REPO,
) -> subprocess.CompletedProcess:
    """Run the Snakefile of ``code`` (default: this checkout) in ``workdir``, importing ``ldct``
    from ``code`` too; returns the finished process (text output).
    """
    command = SNAKEMAKE + ["-s", str(code / "Snakefile"), "-d", str(workdir), *args]
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    if code != REPO:
        environment["PYTHONPATH"] = str(code)
    process = subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        env=environment,
    )
    if check and process.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {process.returncode}\n{process.stdout}\n{process.stderr}"
        )
    return process


def one_ldct_message(process: subprocess.CompletedProcess) -> str:
    """The single 'ldct:' line of a failed run; fails unless the run failed with exactly one."""
    assert process.returncode != 0, process.stdout
    messages = [line for line in process.stderr.splitlines() if line.startswith("ldct:")]
    assert len(messages) == 1, process.stderr
    return messages[0]


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    counts: dict[str, int] = {}
    lines = iter(dry_run_output.splitlines())
    for line in lines:
        if line.startswith("Job stats:"):
            break
    for line in lines:
        fields = line.split()
        if len(fields) == 2 and fields[1].isdigit() and fields[0] != "total":
            counts[fields[0]] = int(fields[1])
        elif fields and fields[0] == "total":
            break
    return counts


#: Most test workers ``pytest -n auto`` starts: each holds torch and its own studies in memory.
MAX_WORKERS = 4
#: The xdist group of every test that reads the tiny study: one worker builds it and runs them.
TINY_STUDY_GROUP = "tiny_study"


def pytest_xdist_auto_num_workers(config) -> int:
    """One worker per usable CPU, at most :data:`MAX_WORKERS`."""
    from ldct.core.devices import usable_cpus

    return min(usable_cpus(), MAX_WORKERS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Every test that reads the tiny study joins its xdist group (``--dist loadgroup``; before
    xdist reads the groups), so that the study is built once per run, not once per worker; the
    group goes first, its worker being the one with the longest queue."""
    for item in items:
        if "tiny_study" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(TINY_STUDY_GROUP))
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory) -> Path:
    """A working directory in which the whole DAG has run on config/test.yaml (built once per
    run: its tests share one xdist worker)."""
    workdir = make_workdir(tmp_path_factory.mktemp("tiny_study"), REPO / "config" / "test.yaml")
    snakemake(workdir, "--configfile", "config/test.yaml", "--cores", "2")
    return workdir
