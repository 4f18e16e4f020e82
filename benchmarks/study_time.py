"""Where the default study's time goes: wall time against the time spent inside jobs.

Runs README command 1's workflow (``snakemake --cores N --resources gpu=1``) in a fresh working
directory, and times ``snakemake -n`` beside it. Then sums, per rule, the wall and CPU seconds
that the rules' ``benchmark:`` files recorded, and prints a markdown summary: CPU use as a share
of wall time x usable CPUs, and the share of that capacity spent outside benchmarked job CPU
(start-up and imports are inside a job's own benchmark; scheduling, waiting and rules without a
``benchmark:`` are outside).

    python benchmarks/study_time.py [--cores 8] [--workdir DIR] [--configfile extra.yaml ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_snakemake(workdir: Path, *args: str) -> float:
    """Seconds one snakemake run of this checkout takes in ``workdir``; fails loudly."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    start = time.perf_counter()
    process = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr[-3000:]}")
    return seconds


def fresh_workdir(path: Path, configs: list[str]) -> Path:
    (path / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "config.yaml", path / "config" / "config.yaml")
    for config in configs:
        shutil.copy(config, path / "config" / Path(config).name)
    return path


def benchmark_sums(results: Path) -> dict[str, dict[str, float]]:
    """Rule -> {jobs, wall_s, cpu_s} summed over its benchmark files."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: {"jobs": 0, "wall_s": 0.0, "cpu_s": 0.0})
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = path.relative_to(results / "benchmarks").parts[0].removesuffix(".tsv")
        for row in csv.DictReader(path.open(), delimiter="\t"):
            sums[rule]["jobs"] += 1
            sums[rule]["wall_s"] += float(row["s"])
            sums[rule]["cpu_s"] += float(row["cpu_time"])
    return dict(sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="8")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--configfile", nargs="*", default=[])
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="ldct-study-time-"))
    extra = ["--configfile", *(Path(c).name for c in args.configfile)] if args.configfile else []
    dry = run_snakemake(fresh_workdir(root / "dry", args.configfile), "-n", "--cores", "1", *extra)
    study = fresh_workdir(root / "study", args.configfile)
    wall = run_snakemake(study, "--cores", args.cores, "--resources", "gpu=1", *extra)
    sums = benchmark_sums(study / "results")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu_total = sum(rule["cpu_s"] for rule in sums.values())
    print(f"`snakemake -n`: {dry:.1f} s; workflow (--cores {args.cores}, {cpus} usable CPUs): {wall:.0f} s wall\n")
    print("| rule | jobs | summed wall (s) | summed CPU (s) |")
    print("| --- | --- | --- | --- |")
    for rule, row in sorted(sums.items(), key=lambda item: -item[1]["cpu_s"]):
        print(f"| {rule} | {row['jobs']:.0f} | {row['wall_s']:.0f} | {row['cpu_s']:.0f} |")
    used = cpu_total / (wall * cpus)
    print(f"\nbenchmarked job CPU: {cpu_total:.0f} s of {wall * cpus:.0f} CPU-seconds available "
          f"({used:.0%}); outside it: {1 - used:.0%}")


if __name__ == "__main__":
    main()
