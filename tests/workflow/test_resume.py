"""Killed anywhere, the tiny study resumes to the numbers of an uninterrupted run: a second run
from a clean working directory, killed in every stage and resumed, agrees with the first bit for
bit (so two runs of the study agree, as a clean rerun would show, with the kills on top).

Every file under results/ is compared by SHA-256, except what records the run rather than the
study (:data:`RUN_RECORDS`), the wall-time column of the training tables, and the incomplete
areas (``.incomplete/``) where writes in progress live. The assertions hold whatever the timing
of a kill: a file with a result's name either equals the uninterrupted run's or is marked
incomplete by Snakemake.
"""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REPO, SNAKEMAKE, make_workdir, snakemake
from ldct.core.storage import INCOMPLETE_FOLDER

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


def temporaries(workdir: Path) -> list[str]:
    """Everything under results/ inside an incomplete area: what a write in progress holds."""
    results = workdir / "results"
    return sorted(
        path.relative_to(workdir).as_posix()
        for path in results.rglob("*")
        if INCOMPLETE_FOLDER in path.relative_to(results).parts
    )


def result_digests(workdir: Path) -> dict[str, str]:
    """SHA-256 of every file with a result's name under results/ (hidden ones included): all
    but :data:`RUN_RECORDS` and what the incomplete areas hold."""
    results = workdir / "results"
    digests = {}
    for path in sorted(results.rglob("*")):
        name = path.relative_to(results).as_posix()
        if not path.is_file() or name.startswith(tuple(RUN_RECORDS)):
            continue
        if INCOMPLETE_FOLDER in path.relative_to(results).parts:
            continue
        data = path.read_bytes()
        if path.name == "epochs.tsv":
            data = without_column(data, WALL_TIME_COLUMN)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def marker_times(workdir: Path) -> dict[str, int]:
    """Output path -> modification time (ns) of Snakemake's record that the output's job
    started and has not finished. The record's file name is the URL-safe base64 of the path,
    cut into parts at folder boundaries, each folder part prefixed with '@'."""
    root = workdir / ".snakemake" / "incomplete"
    times = {}
    for record in root.rglob("*"):
        if record.name == "migration_underway" or record.name.startswith("@"):
            continue
        encoded = "".join(part.lstrip("@") for part in record.relative_to(root).parts)
        try:
            times[base64.urlsafe_b64decode(encoded).decode()] = record.stat().st_mtime_ns
        except FileNotFoundError:  # the job finished while the records were listed
            continue
    return times


def incomplete_outputs(workdir: Path) -> set[str]:
    """Output paths Snakemake marked incomplete (jobs that started and did not finish)."""
    return set(marker_times(workdir))


def unfinished_results(workdir: Path, reference: dict[str, str]) -> list[str]:
    """Files with a result's name under results/ that differ from the uninterrupted run's
    ``reference`` (or are not in it) and that Snakemake has not marked incomplete: the partial
    results a user could take for finished ones. Empty after any kill, whatever its timing."""
    incomplete = incomplete_outputs(workdir)
    return [
        f"results/{name}"
        for name, digest in result_digests(workdir).items()
        if f"results/{name}" not in incomplete and reference.get(name) != digest
    ]


def forward_lines(stream, lines: queue.Queue) -> None:
    """Put each line of ``stream`` on ``lines``, then None at its end."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def kill_when_running(workdir: Path, rule: str) -> None:
    """Run the tiny study (resuming what is incomplete) and SIGKILL Snakemake's whole process
    group once a job of ``rule`` is running: when Snakemake has freshly marked its outputs
    incomplete and not yet reported it finished.

    Snakemake marks a job's outputs after printing the job, so the kill waits for the marker
    itself, not for a time after the printout; a marker left by an earlier kill counts only
    once it is written anew. The test fails only if every job of ``rule`` ran and finished
    without the marker being seen, polled every 10 ms.
    """
    command = SNAKEMAKE + ["-s", str(REPO / "Snakefile"), "-d", str(workdir), *TINY, "--rerun-incomplete"]
    before = marker_times(workdir)
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=forward_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        running: dict[str, list[str]] = {}  # jobid -> outputs, for jobs of ``rule``
        printed: list[str] | None = None  # outputs of the job of ``rule`` being printed
        while True:
            try:
                line = lines.get(timeout=0.01)
            except queue.Empty:
                line = ""
            if line is None:
                pytest.fail(f"the run ended before a running {rule} job was seen")
            text = line.strip()
            if text in (f"rule {rule}:", f"localrule {rule}:"):
                printed = []
            elif printed is not None and text.startswith("output: "):
                printed = text.removeprefix("output: ").split(", ")
            elif printed is not None and text.startswith("jobid: "):
                running[text.removeprefix("jobid: ")], printed = printed, None
            elif text.startswith("Finished jobid: "):
                running.pop(text.split()[2], None)
            if running:
                marked = marker_times(workdir)
                fresh = {output for output, mtime in marked.items() if before.get(output) != mtime}
                if any(fresh.intersection(outputs) for outputs in running.values()):
                    return
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        reader.join()
        snakemake(workdir, "--unlock", *TINY)


@pytest.mark.slow
def test_a_study_killed_in_every_stage_resumes_to_the_uninterrupted_results(tiny_study, tmp_path):
    """SIGKILL during a simulation, a denoising, a fine-tuning and the statistics, resuming in
    between: at each kill every file with a result's name equals the uninterrupted run's or
    is marked incomplete, and what was being written is in an incomplete area; no finished job
    is redone; the end equals it all (every result file of this second run from a clean
    working directory: simulated and denoised images, checkpoints, metrics, statistics, figures,
    DICOM) and leaves no temporary anywhere under results/."""
    reference = result_digests(tiny_study)
    workdir = make_workdir(tmp_path / "killed", REPO / "config" / "test.yaml")
    finished_at_kill: dict[str, int] = {}
    for rule in KILL_POINTS:
        kill_when_running(workdir, rule)
        incomplete = incomplete_outputs(workdir)
        assert incomplete, f"no job was marked incomplete when {rule} was killed"
        assert unfinished_results(workdir, reference) == [], f"killed in {rule}"
        for name in result_digests(workdir):
            path = f"results/{name}"
            if path not in incomplete:
                finished_at_kill.setdefault(path, (workdir / path).stat().st_mtime_ns)
    snakemake(workdir, *TINY, "--rerun-incomplete")
    resumed = result_digests(workdir)
    assert sorted(resumed) == sorted(reference)
    assert [name for name in reference if resumed[name] != reference[name]] == []
    assert incomplete_outputs(workdir) == set()
    assert temporaries(workdir) == []
    redone = [path for path, mtime in finished_at_kill.items() if (workdir / path).stat().st_mtime_ns != mtime]
    assert redone == []


#: A writer killed half-way through, in a process of its own: it writes the first half of
#: ``path``'s bytes, says so on stdout and waits to be killed. ``in_place`` writes ``path``
#: itself, as a writer without a temporary would.
HALF_WRITER = """
import sys, time
from pathlib import Path
from ldct.core.storage import atomic_write
path, in_place = Path(sys.argv[1]), sys.argv[2] == "1"

def write(handle):
    handle.write(b"first half")
    handle.flush()
    print("half", flush=True)
    time.sleep(600)

if in_place:
    with open(path, "wb") as handle:
        write(handle)
else:
    atomic_write(path, write)
"""


@pytest.mark.parametrize("in_place", [False, True])
def test_the_kill_check_catches_a_writer_that_writes_in_place(tmp_path, in_place):
    """A result killed half-written: with ldct's writer nothing under a result's name differs
    from the finished run, and the half is in the incomplete area; a writer that writes in
    place leaves a result-named partial file, which :func:`unfinished_results` reports."""
    target = tmp_path / "results" / "stats" / "stats.tsv"
    target.parent.mkdir(parents=True)
    reference = {"stats/stats.tsv": hashlib.sha256(b"first half, second half").hexdigest()}
    writer = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITER, str(target), "1" if in_place else "0"],
        stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline() == "half\n"
    writer.kill()
    writer.wait()
    if in_place:
        assert unfinished_results(tmp_path, reference) == ["results/stats/stats.tsv"]
    else:
        assert unfinished_results(tmp_path, reference) == []
        (half,) = [name for name in temporaries(tmp_path) if (tmp_path / name).is_file()]
        assert Path(half).parent == target.parent.relative_to(tmp_path) / INCOMPLETE_FOLDER
        assert (tmp_path / half).read_bytes() == b"first half"
