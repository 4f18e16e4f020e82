"""Wall and CPU seconds of one command run to its end: the CPU of the command's own process, and
of that process together with every process it started (Linux: ``/proc`` and ``wait4``).

For a workflow run the difference is the CPU its jobs used, measured by the kernel from start to
exit, which the jobs' ``benchmark:`` files only sample (every 0.5 s, then every 30 s, so each
job's last interval is missing from them).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path


def own_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` itself, its children not included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_measured(command: list[str], cwd: Path, log: Path, poll_s: float = 0.2) -> dict[str, float | int]:
    """Run ``command`` in ``cwd`` with its output appended to ``log``; its exit status (``returncode``),
    ``wall_s``, ``cpu_s`` (the command and every process it started and waited for) and
    ``own_cpu_s`` (the command's process alone, read every ``poll_s`` seconds until it exits)."""
    start = time.perf_counter()
    with log.open("a") as output:
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
    own = [0.0]
    finished = threading.Event()

    def poll() -> None:
        while not finished.is_set():
            try:
                own[0] = own_cpu_seconds(process.pid)
            except (OSError, IndexError, ValueError):
                return
            finished.wait(poll_s)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, status, usage = os.wait4(process.pid, 0)
    finished.set()
    poller.join()
    # Reaped here by wait4 (for its rusage), so Popen must not wait for the process again.
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": process.returncode,
        "wall_s": time.perf_counter() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "own_cpu_s": own[0],
    }
