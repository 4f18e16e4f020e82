"""What every benchmark here shares: the machine's description, a matrix-product rate measured
in the same run, side-by-side timing with interleaved repeats, and the command line of a
benchmark run alone."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path
from typing import Any, Callable

import torch

from ldct.core.devices import usable_cpus


def machine(device: torch.device) -> dict[str, Any]:
    """The facts that make a timing comparable: CPU capability, threads, the GPU's name."""
    facts = {
        "processor": platform.processor() or platform.machine(),
        "usable_cpus": usable_cpus(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "device": str(device),
    }
    if device.type == "cuda":
        facts["gpu"] = torch.cuda.get_device_name(device)
    return facts


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds(work: Callable[[], Any], device: torch.device) -> float:
    """Wall seconds of one call of ``work``, the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    work()
    synchronize(device)
    return time.perf_counter() - start


def interleaved(runs: dict[str, Callable[[], Any]], repeats: int, device: torch.device) -> dict[str, list[float]]:
    """Seconds of each of ``runs``, called in turn ``repeats`` times (A B A B ...), so that a
    slow spell of a shared machine hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(seconds(run, device))
    return times


def matmul_tflops(device: torch.device, dtype: torch.dtype = torch.float32, size: int = 2048, repeats: int = 3) -> float:
    """Matrix-product TFLOP/s of ``device`` in ``dtype`` (best of ``repeats`` after a warm-up).

    float32 keeps PyTorch's default: on a GPU that is true float32 arithmetic, no TF32.
    """
    if device.type == "cuda":
        size = max(size, 8192)
    a = torch.rand(size, size, device=device, dtype=dtype)
    b = torch.rand(size, size, device=device, dtype=dtype)
    seconds(lambda: a @ b, device)
    best = min(seconds(lambda: a @ b, device) for _ in range(repeats))
    return 2.0 * size**3 / best / 1e12


def dncnn_flops(depth: int, channels: int, pixels: int) -> float:
    """Floating-point operations (2 per multiply-add) of one DnCNN forward pass over ``pixels``
    pixels: its 3x3 convolutions, 1 -> channels -> ... -> channels -> 1."""
    per_pixel = 9 * channels + (depth - 2) * 9 * channels * channels + 9 * channels
    return 2.0 * per_pixel * pixels


def standalone(description: str, measure: Callable[..., dict], markdown: Callable[[dict], str], **options: Any) -> None:
    """Run one benchmark from the command line: ``options`` (name -> default, typed by it) plus
    ``--repeats``, ``--device`` and ``--json``; prints ``markdown(measure(...))`` or the JSON."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in options.items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead")
    arguments = vars(parser.parse_args())
    as_json = arguments.pop("json")
    result = measure(**arguments)
    print(json.dumps(result, indent=2) if as_json else markdown(result))


def add_to_results(path: Path, key: str, result: dict) -> None:
    """Add ``result`` under ``key`` to the suite's ``results.json`` at ``path`` (for
    ``run.py --report-only``), keeping everything else in it."""
    results = json.loads(path.read_text())
    results[key] = result
    path.write_text(json.dumps(results, indent=2) + "\n")


def stamp(device: torch.device) -> dict[str, Any]:
    """When and where a result is measured: ``date`` (UTC, ISO 8601) and ``machine``."""
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(device)}


def dated(result: dict, text: str) -> str:
    """``text`` opened by the date ``result`` was measured ("DATE: text"), or capitalised where the
    result was recorded without a date."""
    return f"{result['date']}: {text}" if "date" in result else text[:1].upper() + text[1:]


def separate(description: str, key: str, measure: Callable[[int], dict], markdown: Callable[[dict], str]) -> None:
    """The command line of a benchmark the suite does not run: ``--repeats`` for ``measure``, whose
    result gains the date and the CPU (:func:`stamp`); ``--into results.json`` adds it there under
    ``key``; prints ``markdown(result)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--into", type=Path, help="a results.json to add the result to")
    args = parser.parse_args()
    result = {**stamp(torch.device("cpu")), **measure(args.repeats)}
    if args.into:
        add_to_results(args.into, key, result)
    print(markdown(result))
