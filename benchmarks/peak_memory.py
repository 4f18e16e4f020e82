"""Peak resident memory of ldct on large inputs: a 1024 x 1024 slice and a 300-slice series.

Each case runs in its own process; its peak RSS (``ru_maxrss`` of that child, MB) and wall
time are measured. The series are copies of the embedded KiTS slice (512 x 512); the large
slice is that slice with every pixel repeated 2 x 2. Prints a Markdown table; docs/running.md, "Large
inputs", quotes it.

    python benchmarks/peak_memory.py
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom

from ldct.io.dicom_read import embedded_dicom_path

KITS = "abdominal_ct/kits_00072/1-011.dcm"
PREPARE = "from ldct.io.prepare import prepare_slice, SliceSettings; prepare_slice('{path}', SliceSettings())"


def series(folder: Path, count: int, factor: int = 1) -> Path:
    """``count`` copies of the KiTS slice, each pixel repeated ``factor`` x ``factor`` times."""
    folder.mkdir(parents=True)
    source = pydicom.dcmread(embedded_dicom_path(KITS))
    for index in range(count):
        dataset = copy.deepcopy(source)
        pixels = np.kron(source.pixel_array, np.ones((factor, factor), source.pixel_array.dtype))
        dataset.Rows, dataset.Columns = pixels.shape
        dataset.PixelData = pixels.tobytes()
        dataset.PixelSpacing = [float(v) / factor for v in source.PixelSpacing]
        dataset.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[str(index), str(factor)])
        dataset.save_as(folder / f"{index:03d}.dcm")
    return folder


def peak_rss(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``command`` run as a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="ldct-memory-"))
    ldct = [sys.executable, "-m", "ldct.cli.main"]
    large = series(root / "large", 1, factor=2)
    ten, many = series(root / "ten", 10), series(root / "many", 300)
    cases = [
        ("to_hu's preparation of one 1024 x 1024 slice", [sys.executable, "-c", PREPARE.format(path=large / "000.dcm")]),
        ("ldct simulate, one 1024 x 1024 slice", [*ldct, "simulate", "--dose", "0.25", "--quiet", str(large), str(root / "o1")]),
        ("ldct denoise --method dncnn, one 1024 x 1024 slice (4 tiles)",
         [*ldct, "denoise", "--method", "dncnn", "--device", "cpu", "--quiet", str(large), str(root / "o2")]),
        ("ldct simulate, 10 slices of 512 x 512", [*ldct, "simulate", "--dose", "0.25", "--quiet", str(ten), str(root / "o3")]),
        ("ldct simulate, 300 slices of 512 x 512", [*ldct, "simulate", "--dose", "0.25", "--quiet", str(many), str(root / "o4")]),
        ("ldct denoise --method wiener, 300 slices of 512 x 512",
         [*ldct, "denoise", "--method", "wiener", "--quiet", str(many), str(root / "o5")]),
        ("ldct denoise --method dncnn, 10 slices of 512 x 512",
         [*ldct, "denoise", "--method", "dncnn", "--device", "cpu", "--quiet", str(ten), str(root / "o6")]),
    ]
    print("| case | peak RSS (MB) | wall (s) |\n| --- | --- | --- |")
    for name, command in cases:
        rss, wall = peak_rss(command)
        print(f"| {name} | {rss:.0f} | {wall:.1f} |", flush=True)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
