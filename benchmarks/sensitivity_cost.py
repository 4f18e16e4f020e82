"""What the sensitivity study costs, study by study (benchmarks/results.md, "The sensitivity study").

* Runs ``snakemake sensitivity --cores N`` on the default config in a fresh folder (with
  ``--tiny``, on the tests' tiny config ``config/test.yaml``: every declared variant run end to
  end in minutes, where the test suite runs a subset; or, with ``--finished DIR``, reads a folder
  where it has run, with the wall time given by ``--wall-s``).
* Per study (the default, then each variant and factorial cell of ``config/sensitivity.yaml``):
  the jobs that ran in its own results folder and the wall and CPU seconds their ``benchmark:``
  files sum to. A variant that shares every job of another study runs only its statistics and
  claims; the jobs of the data preparation (acquire, to_hu, split) count for the default.
* ``--into results.json`` adds the result to the suite's results under ``sensitivity``, so that
  ``python benchmarks/run.py --report-only`` writes it into ``results.md``.

    python benchmarks/sensitivity_cost.py [--cores 8] [--into benchmarks/results.json]
    python benchmarks/sensitivity_cost.py --tiny --cores 2
    python benchmarks/sensitivity_cost.py --finished DIR --wall-s 5400 --note "..." --into benchmarks/results.json
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ldct.study.variants import StudyVariants, read_variants
from study_time import REPO, benchmark_sums, fresh_workdir, run_snakemake
from timing import add_to_results


def study_folders(workdir: Path) -> dict[str, Path]:
    """Study name -> its own results folder, the default first, in declaration order."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    names = ["default"] + [v.name for v in read_variants(workdir / "config" / "sensitivity.yaml", config)]
    return {name: workdir / "results" / StudyVariants.folder(name) for name in names}


def summarise(workdir: Path, wall_s: float, cores: str, config: str = "default") -> dict[str, Any]:
    """Per study: jobs, summed job wall and CPU seconds, fine-tunings; and the totals (``config``:
    which config the run was on)."""
    studies = {}
    for name, folder in study_folders(workdir).items():
        sums = benchmark_sums(folder)
        studies[name] = {
            "jobs": int(sum(rule["jobs"] for rule in sums.values())),
            "wall_s": sum(rule["wall_s"] for rule in sums.values()),
            "cpu_s": sum(rule["cpu_s"] for rule in sums.values()),
            "finetunings": int(sums.get("finetune_dncnn", {}).get("jobs", 0)),
        }
    return {"cores": cores, "config": config, "wall_s": wall_s, "studies": studies}


def markdown(result: dict[str, Any]) -> str:
    studies = result["studies"]
    jobs = sum(study["jobs"] for study in studies.values())
    lines = [
        f"`snakemake sensitivity --cores {result['cores']}` on the {result.get('config', 'default')} config: "
        f"**{result['wall_s']:.0f} s** wall for {jobs} jobs in {len(studies)} studies "
        "(the default study included). Each study's own jobs (those in its results folder; a "
        "study that agrees with an earlier one on a stage reads that one's outputs instead):",
        "",
        "| study | jobs | summed job wall (s) | summed job CPU (s) | fine-tunings |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, study in studies.items():
        lines.append(
            f"| {name} | {study['jobs']} | {study['wall_s']:.0f} | {study['cpu_s']:.0f} | {study['finetunings']} |"
        )
    if result.get("note"):
        lines += ["", result["note"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="8")
    parser.add_argument("--finished", type=Path, help="a folder where snakemake sensitivity has run")
    parser.add_argument("--wall-s", type=float, help="that run's wall time (with --finished)")
    parser.add_argument("--into", type=Path, help="a results.json to add the result to")
    parser.add_argument("--note", help="how the run was made (machine, interruptions), printed below the table")
    parser.add_argument("--tiny", action="store_true", help="run on the tests' tiny config (config/test.yaml)")
    args = parser.parse_args()
    if args.finished:
        if args.wall_s is None:
            parser.error("--finished needs --wall-s")
        result = summarise(args.finished, args.wall_s, args.cores)
    else:
        tiny = yaml.safe_load((REPO / "config" / "test.yaml").read_text()) if args.tiny else {}
        workdir, extra = fresh_workdir(Path(tempfile.mkdtemp(prefix="ldct-sensitivity-")), tiny)
        shutil.copy(REPO / "config" / "sensitivity.yaml", workdir / "config" / "sensitivity.yaml")
        times = run_snakemake(workdir, *extra, "--cores", args.cores, "sensitivity")
        result = summarise(workdir, times["wall_s"], args.cores, "tiny" if args.tiny else "default")
    if args.note:
        result["note"] = args.note
    if args.into:
        add_to_results(args.into, "sensitivity", result)
    print(markdown(result))


if __name__ == "__main__":
    main()
