"""Large inputs: a 1024 x 1024 slice, a series of 100 slices, and a slice too large for the
memory it is allowed, which stops with a message before its pixels are decoded."""

from __future__ import annotations

import copy
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
import torch

from ldct.cli.main import main
from ldct.core.errors import LdctInputError
from ldct.denoising.checkpoints import save_checkpoint
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.filters import wiener
from ldct.io.dicom_read import embedded_dicom_path, read_ct_slice
from ldct.io.dicom_write import Derivation
from ldct.io.memory import SLICE_BYTES_PER_PIXEL, STUDY_SETTING, SliceMemoryLimit
from ldct.io.prepare import SliceSettings, prepare_slice
from ldct.io.series import process_series
from ldct.simulation.low_dose import NoiseSettings, simulate_low_dose, simulation_seed
from ldct.simulation.mtf import parametric_mtf

KITS = "abdominal_ct/kits_00072/1-011.dcm"
NOISE = {"law": "paper", "multiplier_applies_to": "total", "spectrum": "mtf2",
         "full_dose_sigma_hu": 10.0, "full_dose_photons": 10000}


def enlarged_slice(path: Path, factor: int) -> Path:
    """The KiTS slice with every pixel repeated ``factor`` x ``factor`` times (spacing divided),
    saved as ``path``."""
    source = pydicom.dcmread(embedded_dicom_path(KITS))
    dataset = copy.deepcopy(source)
    pixels = np.kron(source.pixel_array, np.ones((factor, factor), source.pixel_array.dtype))
    dataset.Rows, dataset.Columns = pixels.shape
    dataset.PixelData = pixels.tobytes()
    dataset.PixelSpacing = [float(v) / factor for v in source.PixelSpacing]
    dataset.SOPInstanceUID = pydicom.uid.generate_uid()
    dataset.save_as(path)
    return path


def peak_bytes(step) -> int:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_per_pixel_memory_estimate_bounds_every_slice_step(tmp_path):
    """Preparing a window, simulating a low dose and the Wiener filter (the heaviest filter) on
    a 1024 x 1024 slice each peak below the estimate ldct checks slices against."""
    path = enlarged_slice(tmp_path / "large.dcm", 2)
    _, pixels = read_ct_slice(path)
    hu = pixels.astype(np.float32) - 1024
    settings = NoiseSettings.from_config(NOISE)
    steps = {
        "prepare": lambda: prepare_slice(path, SliceSettings()),
        "simulate": lambda: simulate_low_dose(hu, (0.33, 0.33), 0.1, settings, parametric_mtf(0.35, 0.6),
                                              simulation_seed(0, "large", 0.1, 0)),
        "wiener": lambda: wiener(hu),
    }
    bound = SLICE_BYTES_PER_PIXEL * hu.size
    for name, step in steps.items():
        assert peak_bytes(step) < bound, name


def test_a_1024_pixel_slice_is_simulated_and_denoised_in_tiles(tmp_path):
    """ldct simulate, then a 20-layer DnCNN (tiled: the slice is wider than 512 pixels)."""
    inputs = tmp_path / "full"
    inputs.mkdir()
    enlarged_slice(inputs / "large.dcm", 2)
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "model.pt", DnCNN(depth=20, channels=4))
    low, denoised = tmp_path / "low", tmp_path / "denoised"
    assert main(["simulate", "--dose", "0.5", "--quiet", str(inputs), str(low)]) == 0
    argv = ["denoise", "--method", str(tmp_path / "model.pt"), "--device", "cpu", "--quiet"]
    assert main([*argv, str(low), str(denoised)]) == 0
    result = pydicom.dcmread(denoised / "large.dcm")
    assert (result.Rows, result.Columns) == (1024, 1024)
    assert not np.array_equal(result.pixel_array, pydicom.dcmread(low / "large.dcm").pixel_array)


def test_a_series_of_100_slices_streams_one_slice_at_a_time(tmp_path):
    """Peak Python memory (tracemalloc) while 100 slices of 512 x 512 go through is within 25 %
    of the peak for 10 (a series held whole would take about 10 times it): one slice is held at
    a time, never the series. benchmarks/peak_memory.py measures 300 slices, process-wide."""

    def series_peak(count: int) -> int:
        folder = tmp_path / f"series{count}"
        folder.mkdir()
        for index in range(count):
            shutil.copy(embedded_dicom_path(KITS), folder / f"{index:03d}.dcm")
        derivation = Derivation(summary="plus one", details="test")
        return peak_bytes(lambda: process_series(folder, tmp_path / f"out{count}",
                                                 lambda hu, dataset, path: hu + 1.0, derivation, progress=False))

    few, many = series_peak(10), series_peak(100)
    assert many < 1.25 * few, (few, many)
    assert len(list((tmp_path / "out100").iterdir())) == 100


def oversized_slice(path: Path) -> Path:
    """A CT file whose header announces a 30000 x 30000 slice (its pixel data is a stub)."""
    dataset = pydicom.dcmread(embedded_dicom_path(KITS))
    dataset.Rows = dataset.Columns = 30000
    dataset.save_as(path)
    return path


def test_a_slice_too_large_stops_before_decoding_naming_the_file_and_the_setting(tmp_path, capsys):
    path = oversized_slice(tmp_path / "huge.dcm")
    with pytest.raises(LdctInputError, match=r"huge.dcm: a 30000 x 30000 slice needs about 109863 MB.*hu.max_slice_mb"):
        read_ct_slice(path, SliceMemoryLimit(4096, STUDY_SETTING))
    with pytest.raises(LdctInputError, match=r"1-011.dcm: a 512 x 512 slice needs about 32 MB.*hu.max_slice_mb"):
        prepare_slice(embedded_dicom_path(KITS), SliceSettings(max_slice_mb=10))
    inputs = tmp_path / "series"
    inputs.mkdir()
    shutil.move(path, inputs / "huge.dcm")
    assert main(["denoise", "--method", "median", "--quiet", str(inputs), str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "huge.dcm: a 30000 x 30000 slice" in error and "--max-memory-mb" in error
    assert not (tmp_path / "out").exists()
