"""Every benchmark in one run: writes ``results.md`` and ``results.json`` (into ``--out``,
default this folder).

* DnCNN slice inference, ours against the plain eval path (``dncnn_inference.py``);
* DnCNN fine-tuning, ours against a plain NCHW float32 loop (``finetune_speed.py``);
* the default study: wall time against in-job compute, the same study with one denoise and
  one metrics job per method, eval slice and dose, fine-tuning in the study against alone,
  and growth with 2x and 4x the eval slices and realizations (``study_time.py``; CPU machines:
  ``--skip-study`` leaves it out, e.g. on a GPU box without the workflow's dependencies);
* where their scripts have added them with ``--into results.json``: every denoiser per slice
  (``denoiser_speed.py``), projection-domain against image-domain simulation
  (``projection_speed.py``) and the sensitivity study, study by study (``sensitivity_cost.py``;
  hours on 2 cores, so the suite does not run it).

    python benchmarks/run.py                          # the whole suite on this machine
    python benchmarks/run.py --device cuda --skip-study --slices 32 --patches 3040 --out DIR
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

import dncnn_inference
import finetune_speed
from ldct.core.devices import resolve_device
from timing import matmul_tflops, stamp

HERE = Path(__file__).resolve().parent
#: Results that their own scripts add with ``--into results.json``, kept when the suite reruns.
ADDED_SEPARATELY = ("denoisers", "projection", "sensitivity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="where the network benchmarks run: auto, cpu, cuda")
    parser.add_argument("--slices", type=int, default=4, help="512 x 512 slices per inference run")
    parser.add_argument("--patches", type=int, default=192, help="50 x 50 patches per fine-tuning run")
    parser.add_argument("--epochs", type=int, default=4, help="fine-tuning epochs per run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cores", default="8", help="--cores of the study runs (README command 1)")
    parser.add_argument("--factors", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--job-sizes", nargs="*", default=["one"], help="further jobs.eval_slices_per_job values to run")
    parser.add_argument("--skip-study", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--report-only", action="store_true", help="rewrite results.md from results.json")
    args = parser.parse_args()
    if args.report_only:
        (args.out / "results.md").write_text(report(json.loads((args.out / "results.json").read_text())))
        return
    device = resolve_device(args.device)
    results = {
        **stamp(device),
        "matmul_tflops": {"bfloat16": matmul_tflops(device, torch.bfloat16)},
        "inference": dncnn_inference.measure(args.slices, 512, 512, args.repeats, args.device),
        "finetuning": finetune_speed.measure(args.patches, args.epochs, args.repeats, args.device),
    }
    if not args.skip_study:
        import study_time

        root = Path(tempfile.mkdtemp(prefix="ldct-benchmark-"))
        results["study"] = study_time.measure(args.cores, args.factors, root, args.job_sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    previous = args.out / "results.json"
    if previous.exists():  # keep what the separate scripts added
        earlier = json.loads(previous.read_text())
        results.update({key: earlier[key] for key in ADDED_SEPARATELY if key in earlier})
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(report(results))
    print(report(results))


def report(results: dict) -> str:
    facts = results["machine"]
    where = facts.get("gpu", f"{facts['processor']}, {facts['usable_cpus']} usable CPUs")
    sections = [
        "# ldct benchmarks",
        "",
        f"{results['date']}; {where}; CPU capability {facts['cpu_capability']}; "
        f"torch {facts['torch']} ({facts['torch_threads']} threads); device {facts['device']}; "
        f"bfloat16 matmul in the same run {results['matmul_tflops']['bfloat16']:.2f} TFLOP/s. "
        "Written by `python benchmarks/run.py`; every ratio compares runs made side by side.",
        "",
        "## DnCNN slice inference",
        "",
        dncnn_inference.markdown(results["inference"]),
        "",
        "## DnCNN fine-tuning",
        "",
        finetune_speed.markdown(results["finetuning"]),
    ]
    if "study" in results:
        import study_time

        sections += ["", "## The default study", "", study_time.markdown(results["study"])]
    if "denoisers" in results:  # added by denoiser_speed.py --into results.json
        import denoiser_speed

        sections += ["", "## Denoisers per slice", "", denoiser_speed.markdown(results["denoisers"])]
    if "projection" in results:  # added by projection_speed.py --into results.json
        import projection_speed

        sections += ["", "## Projection-domain simulation", "", projection_speed.markdown(results["projection"])]
    if "sensitivity" in results:  # added by sensitivity_cost.py --into results.json
        import sensitivity_cost

        sections += ["", "## The sensitivity study", "", sensitivity_cost.markdown(results["sensitivity"])]
    return "\n".join(sections) + "\n"


if __name__ == "__main__":
    main()
