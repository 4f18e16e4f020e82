"""The library's shape: subpackages by pipeline stage, small modules, and imports that match each
module's job."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, make_workdir

MAX_LINES = 300
#: The pipeline stages, one subpackage each (docs/architecture.md describes every module).
STAGES = ("core", "io", "study", "simulation", "denoising", "training", "evaluation", "report", "cli")


def test_the_package_is_split_by_stage_into_subpackages_with_empty_inits():
    """Every stage is a subpackage; no __init__.py below the top holds code (importing a
    subpackage runs nothing); at most the package's own module and workflow.py lie at the top."""
    package = REPO / "ldct"
    assert sorted(p.parent.name for p in package.glob("*/__init__.py")) == sorted(STAGES)
    assert [p for p in package.rglob("*/__init__.py") if p.read_text()] == []
    assert sorted(p.name for p in package.glob("*.py")) == ["__init__.py", "workflow.py"]



def test_no_module_is_longer_than_300_lines():
    long = {
        str(path.relative_to(REPO)): lines
        for path in (REPO / "ldct").rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize(
    "module, absent",
    [
        ("ldct.denoising.dncnn", "ldct.training.loop"),  # the model needs no training code
        ("ldct.io.tcia.manifest", "requests"),  # reading a manifest needs no network library
        ("ldct.denoising.filters", "scipy"),  # a network or noisy-copy denoise job imports no filter library
    ],
)
def test_a_module_does_not_pull_in_what_it_does_not_use(module, absent):
    code = f"import sys, {module}; assert {absent!r} not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


#: Runs snakemake in this process and prints which heavy libraries it imported, at exit.
DRY_RUN = """
import atexit, runpy, sys
atexit.register(lambda: print("IMPORTED", sorted(m for m in ("torch", "scipy") if m in sys.modules)))
sys.argv = ["snakemake", "-s", sys.argv[1], "-n", "--cores", "1"]
runpy.run_module("snakemake", run_name="__main__")
"""


def test_a_dry_run_of_the_default_study_imports_neither_torch_nor_scipy(tmp_path):
    """Parsing the Snakefile and planning the DAG pays for no numerical library."""
    workdir = make_workdir(tmp_path)
    process = subprocess.run(
        [sys.executable, "-c", DRY_RUN, str(REPO / "Snakefile")],
        cwd=workdir, capture_output=True, text=True,
    )
    assert process.returncode == 0, process.stderr
    assert "IMPORTED []" in process.stdout, process.stdout[-2000:]
