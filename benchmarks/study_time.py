"""Where the default study's time goes, and how it grows with the study (docs/performance.md,
"Where the time goes").

* Runs README command 1's workflow (``snakemake --cores N --resources gpu=1``) on the default
  config in a fresh folder, and times ``snakemake -n`` beside it.
* Counts the CPU of the run's jobs as the kernel does (Snakemake and every process it started,
  less Snakemake's own process: ``process_times.py``), and sums, per rule, the wall and CPU
  seconds of the jobs' ``benchmark:`` files (every rule has one; they include each job's Python
  start-up, and miss the last sampling interval of each job). The share of the run's CPU
  capacity (wall time x usable CPUs) not used inside jobs is what Snakemake's scheduling and
  bookkeeping and idle CPUs cost.
* Reruns the fine-tuning jobs alone afterwards and compares their epoch times (the ``seconds``
  column of ``epochs.tsv``) with those inside the study.
* Runs the study again with each further ``--job-sizes`` value of ``jobs.eval_slices_per_job``
  (default ``one``: a denoise and a metrics job per method, eval slice and dose), right after
  the first run, and compares wall time, CPU and the ``dncnn_full`` epoch, and whether
  ``metrics.tsv`` and ``stats.tsv`` are bitwise those of the first run.
* Reruns the whole study with the eval slices and, separately, the realizations multiplied by
  each ``--factors`` value (more eval slices are copies of the default eval slice under new
  ids: the same work per slice), to show how wall time grows.

    python benchmarks/study_time.py [--cores 8] [--factors 2 4] [--job-sizes one] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import yaml

from ldct.core.devices import usable_cpus
from process_times import run_measured

REPO = Path(__file__).resolve().parents[1]


def run_snakemake(workdir: Path, *args: str) -> dict[str, float | int]:
    """One snakemake run of this checkout in ``workdir`` (output appended to ``snakemake.log``):
    ``wall_s``, ``cpu_s`` (Snakemake and its jobs) and ``own_cpu_s`` (Snakemake's own process);
    fails loudly."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    log = workdir / "snakemake.log"
    times = run_measured(command, workdir, log)
    if times["returncode"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{log.read_text()[-3000:]}")
    return times


def fresh_workdir(path: Path, overrides: dict[str, Any]) -> tuple[Path, list[str]]:
    """A working directory with the default config and ``overrides`` as an extra config file;
    the snakemake arguments that read it."""
    (path / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "config.yaml", path / "config" / "config.yaml")
    if not overrides:
        return path, []
    (path / "config" / "benchmark.yaml").write_text(yaml.safe_dump(overrides))
    return path, ["--configfile", "config/benchmark.yaml"]


def default_config() -> dict[str, Any]:
    """This checkout's ``config/config.yaml``."""
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def scaled(what: str, factor: int) -> dict[str, Any]:
    """Config overrides that multiply the default study's eval slices or realizations."""
    default = default_config()
    if what == "realizations":
        return {"realizations": default["realizations"] * factor}
    embedded = list(default["data"]["embedded"])
    by_id = {entry["image"]: entry for entry in embedded}
    evaluated = [image for entry in default["split"]["eval"] for image in fnmatch.filter(by_id, entry)]
    copies = [{**by_id[image], "image": f"{image}_copy{k}"} for k in range(2, factor + 1) for image in evaluated]
    return {"data": {"embedded": embedded + copies}, "split": {"eval": evaluated + [c["image"] for c in copies]}}


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


def study_run(workdir: Path, cores: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """One whole run: wall time, the CPU of its jobs (the kernel's count: Snakemake and every
    process it started, less Snakemake's own process) and of Snakemake itself, the jobs'
    ``benchmark:`` sums per rule, and the share of the run's CPU capacity (wall time x usable
    CPUs) not spent inside jobs, by either count."""
    workdir, extra = fresh_workdir(workdir, overrides)
    times = run_snakemake(workdir, "--cores", cores, "--resources", "gpu=1", *extra)
    rules = benchmark_sums(workdir / "results")
    capacity = times["wall_s"] * usable_cpus()
    job_cpu = times["cpu_s"] - times["own_cpu_s"]
    benchmark_cpu = sum(rule["cpu_s"] for rule in rules.values())
    return {
        "wall_s": times["wall_s"],
        "jobs": int(sum(rule["jobs"] for rule in rules.values())),
        "job_cpu_s": job_cpu,
        "snakemake_cpu_s": times["own_cpu_s"],
        "benchmark_cpu_s": benchmark_cpu,
        "share_outside_jobs": 1 - job_cpu / capacity,
        "share_outside_benchmarks": 1 - benchmark_cpu / capacity,
        "rules": rules,
    }


def epoch_seconds(workdir: Path, variant: str) -> float:
    with (workdir / "results" / "dncnn" / variant / "epochs.tsv").open() as table:
        return sum(float(row["seconds"]) for row in csv.DictReader(table, delimiter="\t"))


def finetuning_alone(workdir: Path, cores: str) -> dict[str, dict[str, float]]:
    """Each fine-tuning job's summed epoch seconds in the study and when rerun alone."""
    variants = sorted(path.name for path in (workdir / "results" / "dncnn").iterdir() if path.name != "pretrained")
    in_study = {variant: epoch_seconds(workdir, variant) for variant in variants}
    result = {}
    for variant in variants:
        shutil.rmtree(workdir / "results" / "checkpoints" / variant, ignore_errors=True)
        target = f"results/dncnn/{variant}/model.pt"
        extra = ["--configfile", "config/benchmark.yaml"] if (workdir / "config" / "benchmark.yaml").exists() else []
        run_snakemake(workdir, "--cores", cores, "--resources", "gpu=1", "--force", target, *extra)
        alone = epoch_seconds(workdir, variant)
        result[variant] = {"in_study_s": in_study[variant], "alone_s": alone, "speed_in_study": alone / in_study[variant]}
    return result


def job_size_run(root: Path, cores: str, job_size: str) -> dict[str, Any]:
    """The default study with ``jobs.eval_slices_per_job: job_size``: its :func:`study_run`
    figures, the ``dncnn_full`` epoch seconds, and whether its metric and statistics tables are
    bitwise those of the run in ``root / "study"``."""
    workdir = root / f"job_size_{job_size}"
    run = study_run(workdir, cores, {"jobs": {"eval_slices_per_job": job_size}})
    run["dncnn_full_epochs_s"] = epoch_seconds(workdir, "dncnn_full")
    run["same_tables"] = all(
        (workdir / table).read_bytes() == (root / "study" / table).read_bytes()
        for table in ("results/metrics/metrics.tsv", "results/stats/stats.tsv")
    )
    return run


def measure(cores: str, factors: list[int], root: Path, job_sizes: Sequence[str] = ()) -> dict[str, Any]:
    dry_dir, _ = fresh_workdir(root / "dry", {})
    dry = min(run_snakemake(dry_dir, "-n", "--cores", cores)["wall_s"] for _ in range(2))
    result: dict[str, Any] = {"cores": cores, "usable_cpus": usable_cpus(), "dry_run_s": dry}
    result["study"] = study_run(root / "study", cores, {})
    result["study"]["job_size"] = default_config()["jobs"]["eval_slices_per_job"]
    result["study"]["dncnn_full_epochs_s"] = epoch_seconds(root / "study", "dncnn_full")
    result["job_sizes"] = {size: job_size_run(root, cores, size) for size in job_sizes}
    result["finetuning_alone"] = finetuning_alone(root / "study", cores)
    result["scaling"] = {"1": {"slices": result["study"]["wall_s"], "realizations": result["study"]["wall_s"]}}
    for factor in factors:
        result["scaling"][str(factor)] = {
            what: study_run(root / f"{what}_x{factor}", cores, scaled(what, factor))["wall_s"]
            for what in ("slices", "realizations")
        }
    return result


def markdown(result: dict[str, Any]) -> str:
    study = result["study"]
    lines = [
        f"README command 1's workflow (`--cores {result['cores']}`, {result['usable_cpus']} usable CPUs): "
        f"**{study['wall_s']:.0f} s** wall for {study['jobs']} jobs; `snakemake -n` {result['dry_run_s']:.1f} s.",
        "",
        "| rule | jobs | summed job wall (s) | summed job CPU (s) |",
        "| --- | --- | --- | --- |",
    ]
    for rule, row in sorted(study["rules"].items(), key=lambda item: -item[1]["cpu_s"]):
        lines.append(f"| {rule} | {row['jobs']:.0f} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} |")
    capacity = study["wall_s"] * result["usable_cpus"]
    lines += [
        "",
        f"CPU inside jobs, as the kernel counts it (every process Snakemake started, from start to exit): "
        f"{study['job_cpu_s']:.0f} s of {capacity:.0f} CPU-seconds (wall x CPUs); Snakemake's own process "
        f"{study['snakemake_cpu_s']:.0f} s; **outside jobs: {study['share_outside_jobs']:.0%}** "
        "(Snakemake's scheduling and bookkeeping, and idle CPUs).",
        "",
        f"The `benchmark:` files above sum to {study['benchmark_cpu_s']:.0f} CPU-s "
        f"({study['share_outside_benchmarks']:.0%} of the capacity outside them): they sample a job's CPU "
        "every 0.5 s (every 30 s after its first 15 s), so each job's last interval is missing.",
        "",
        "| fine-tuning | epochs in the study (s) | epochs alone (s) | speed in the study |",
        "| --- | --- | --- | --- |",
    ]
    for variant, row in result["finetuning_alone"].items():
        lines.append(f"| {variant} | {row['in_study_s']:.1f} | {row['alone_s']:.1f} | {row['speed_in_study']:.0%} |")
    if result.get("job_sizes"):
        lines += job_size_table(study, result["job_sizes"])
    if len(result["scaling"]) > 1:
        lines += growth_table(result["scaling"])
    return "\n".join(lines)


def job_size_table(study: dict[str, Any], runs: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: the default run against the same study cut into other job sizes."""
    lines = [
        "",
        "The same study with other `jobs.eval_slices_per_job`, run right after it:",
        "",
        "| eval slices per job | jobs | wall (s) | CPU in jobs (s) | Snakemake's own CPU (s) | outside jobs "
        "| `dncnn_full` epoch (s) | `metrics.tsv`, `stats.tsv` bitwise the same |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    default = study.get("job_size", "one")  # results written before the key existed: one
    for size, run in {f"{default} (default)": study, **runs}.items():
        same = "-" if run is study else ("yes" if run["same_tables"] else "**no**")
        lines.append(
            f"| {size} | {run['jobs']} | {run['wall_s']:.0f} | {run['job_cpu_s']:.0f} | {run['snakemake_cpu_s']:.0f} "
            f"| {run['share_outside_jobs']:.0%} | {run['dncnn_full_epochs_s']:.0f} | {same} |"
        )
    for size, run in runs.items():
        lines += ["", f"Wall time, {size} / {default} (default): **{run['wall_s'] / study['wall_s']:.2f}**."]
    return lines


def growth_table(scaling: dict[str, dict[str, float]]) -> list[str]:
    """Markdown lines: wall time at each multiple of the eval slices and of the realizations."""
    lines = [
        "",
        "Growth (the last two columns: added wall time per added multiple of the default's eval "
        "slices or realizations; equal numbers mean linear growth):",
        "",
        "| factor | wall, x eval slices (s) | wall, x realizations (s) | added per multiple, slices (s) "
        "| added per multiple, realizations (s) |",
        "| --- | --- | --- | --- | --- |",
    ]
    base = scaling["1"]
    for factor, row in scaling.items():
        added = [
            f"{(row[what] - base[what]) / (int(factor) - 1):.0f}" if int(factor) > 1 else "-"
            for what in ("slices", "realizations")
        ]
        lines.append(f"| {factor} | {row['slices']:.0f} | {row['realizations']:.0f} | {added[0]} | {added[1]} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="8")
    parser.add_argument("--factors", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--job-sizes", nargs="*", default=["one"], help="further jobs.eval_slices_per_job values to run")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead")
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="ldct-study-time-"))
    result = measure(args.cores, args.factors, root, args.job_sizes)
    print(json.dumps(result, indent=2) if args.json else markdown(result))


if __name__ == "__main__":
    main()
