"""The workflow passes Snakemake's linter and the snakefmt formatter check."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_snakemake_lint_is_clean():
    process = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True
    )
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    assert "Congratulations" in output, output


def test_snakefmt_check_is_clean():
    process = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stdout + process.stderr
