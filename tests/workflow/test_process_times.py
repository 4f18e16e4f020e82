"""The benchmarks' process accounting (benchmarks/process_times.py): a command's CPU counts the
processes it starts, its own CPU does not, checked against the kernel's count of the same work
run directly."""

import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from process_times import run_measured  # noqa: E402

BUSY = "sum(range(40_000_000))"


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_a_grandchild_counts_in_the_total_and_not_in_the_commands_own_cpu(tmp_path):
    before = _children_cpu_seconds()
    subprocess.run([sys.executable, "-c", BUSY], check=True)
    direct = _children_cpu_seconds() - before
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BUSY!r}], check=True)"
    times = run_measured([sys.executable, "-c", parent], tmp_path, tmp_path / "command.log")
    assert times["returncode"] == 0
    assert times["cpu_s"] >= 0.7 * direct
    assert times["own_cpu_s"] < 0.5 * direct
    assert times["wall_s"] >= times["own_cpu_s"]


def test_the_exit_status_and_the_output_are_kept(tmp_path):
    command = [sys.executable, "-c", "import sys; print('to the log'); sys.exit(3)"]
    times = run_measured(command, tmp_path, tmp_path / "command.log")
    assert times["returncode"] == 3
    assert (tmp_path / "command.log").read_text() == "to the log\n"
