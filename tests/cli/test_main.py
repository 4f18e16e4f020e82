"""The ``ldct`` command on the embedded DICOMs: simulate, then denoise, and read it all back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import yaml
from pydicom.uid import UID

from conftest import REPO
from ldct.cli.main import DEFAULT_HU_WINDOW, DEFAULT_MTF_LP_PER_MM, DEFAULT_NOISE, main
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model
from ldct.denoising.filters import gaussian
from ldct.denoising.inference import denoise_stack
from ldct.denoising.originals import DEFAULT_ORIGINAL
from ldct.denoising.scaling import window_scaling
from ldct.io.dicom_read import embedded_dicom_path
from ldct.io.hu import to_hu_with_fill
from ldct.simulation.low_dose import NoiseSettings, simulate_low_dose, simulation_seed
from ldct.simulation.mtf import parametric_mtf

KITS = ["abdominal_ct/kits_00072/1-011.dcm", "abdominal_ct/kits_00072/1-012.dcm"]
#: Tags a derived series keeps from its input, slice by slice.
KEPT = ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns",
        "SliceThickness", "FrameOfReferenceUID", "StudyInstanceUID", "PatientID", "InstanceNumber",
        "BitsStored", "RescaleSlope", "RescaleIntercept")


def series_folder(folder: Path, names=KITS) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copy(embedded_dicom_path(name), folder / Path(name).name)
    return folder


def hu_of(dataset) -> np.ndarray:
    return dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)


def check_derived_series(inputs: Path, outputs: Path, description: str) -> list[tuple]:
    """Every input has an output of the same name: new valid UIDs, one series, the input's
    geometry and encoding, DERIVED\\SECONDARY. Returns (input, output) dataset pairs."""
    assert sorted(p.name for p in outputs.iterdir()) == sorted(p.name for p in inputs.iterdir())
    pairs = [(pydicom.dcmread(p), pydicom.dcmread(outputs / p.name)) for p in sorted(inputs.iterdir())]
    for source, derived in pairs:
        for uid in ("SOPInstanceUID", "SeriesInstanceUID"):
            assert UID(derived[uid].value).is_valid and derived[uid].value != source[uid].value
        for tag in KEPT:
            assert derived[tag].value == source[tag].value, tag
        assert list(derived.ImageType[:2]) == ["DERIVED", "SECONDARY"]
        assert description in derived.SeriesDescription
    assert len({derived.SeriesInstanceUID for _, derived in pairs}) == 1
    assert len({derived.SOPInstanceUID for _, derived in pairs}) == len(pairs)
    return pairs


def within_one_stored_unit(derived, expected_hu: np.ndarray, kept: np.ndarray) -> None:
    """Written HU equal ``expected_hu`` to half a stored unit where representable and not kept."""
    low = float(derived.RescaleIntercept)
    high = low + (2 ** int(derived.BitsStored) - 1) * float(derived.RescaleSlope)
    expected = np.clip(expected_hu, low, high)
    difference = np.abs(hu_of(derived) - expected)[~kept]
    assert difference.max() <= 0.5 * float(derived.RescaleSlope) + 1e-3


def test_simulate_then_denoise_round_trip(tmp_path):
    """simulate at 25 % dose, then a Gaussian filter: each output equals the computation done
    here in memory with the library's functions, within one stored unit."""
    inputs = series_folder(tmp_path / "full")
    low, denoised = tmp_path / "low", tmp_path / "denoised"
    assert main(["simulate", "--dose", "0.25", "--seed", "7", "--quiet", str(inputs), str(low)]) == 0
    settings = NoiseSettings.from_config(DEFAULT_NOISE)
    curve = parametric_mtf(DEFAULT_MTF_LP_PER_MM["mtf50"], DEFAULT_MTF_LP_PER_MM["mtf10"])
    for source, derived in check_derived_series(inputs, low, "simulated 25% dose"):
        hu, kept = to_hu_with_fill(source, source.pixel_array)
        seed = simulation_seed(7, source.SOPInstanceUID, 0.25, 0)
        spacing = tuple(float(v) for v in source.PixelSpacing)
        within_one_stored_unit(derived, simulate_low_dose(hu, spacing, 0.25, settings, curve, seed), kept)
        assert np.array_equal(derived.pixel_array[kept], source.pixel_array[kept])
        body = (hu > -200)[100:-100, 100:-100]
        added = (hu_of(derived) - hu_of(source))[100:-100, 100:-100][body]
        assert added.std() == pytest.approx(10 * np.sqrt(4**2 - 1), rel=0.15)  # paper law: x4 at 25 %

    argv = ["denoise", "--method", "gaussian", "--param", "sigma_px=1.5", "--quiet", str(low), str(denoised)]
    assert main(argv) == 0
    for source, derived in check_derived_series(low, denoised, "gaussian sigma_px=1.5"):
        hu, kept = to_hu_with_fill(source, source.pixel_array)
        within_one_stored_unit(derived, gaussian(hu.astype(np.float64), sigma_px=1.5), kept)
        assert "truncate_sd=4.0" in derived.DerivationDescription


def test_simulate_in_the_projection_domain_follows_photon_counts(tmp_path):
    """pydicom's CT_small.dcm at 25 % and 6.25 % dose, noise inserted in its projections: the
    added SDs are in the ratio sqrt((1/0.0625 - 1) / (1/0.25 - 1)) = sqrt(15/3) within 15 %,
    and the mean HU moves by less than 5 HU."""
    from pydicom.data import get_testdata_file

    inputs = tmp_path / "full"
    inputs.mkdir()
    shutil.copy(get_testdata_file("CT_small.dcm"), inputs / "CT_small.dcm")
    added = {}
    for dose in ("0.25", "0.0625"):
        out = tmp_path / dose
        assert main(["simulate", "--domain", "projection", "--dose", dose, "--quiet", str(inputs), str(out)]) == 0
        [(source, derived)] = check_derived_series(inputs, out, f"simulated {float(dose) * 100:g}% dose")
        added[dose] = hu_of(derived) - hu_of(source)
        assert abs(added[dose].mean()) < 5.0
        assert "reconstructed by FBP" in derived.DerivationDescription
    assert added["0.0625"].std() / added["0.25"].std() == pytest.approx(np.sqrt(15 / 3), rel=0.15)


def test_nl_means_denoises_a_series_estimating_its_noise(tmp_path):
    """A series' own noise SD is not known: nl_means estimates it on each slice, and says so."""
    from skimage.restoration import estimate_sigma

    from ldct.denoising.filters import nl_means

    inputs, out = series_folder(tmp_path / "full", names=KITS[:1]), tmp_path / "nl"
    assert main(["denoise", "--method", "nl_means", "--quiet", str(inputs), str(out)]) == 0
    [(source, derived)] = check_derived_series(inputs, out, "nl_means")
    assert "noise SD estimated on each slice" in derived.DerivationDescription
    hu, kept = to_hu_with_fill(source, source.pixel_array)
    expected = nl_means(hu.astype(np.float64), noise_sd="known")
    assert float(estimate_sigma(hu.astype(np.float64))) > 0
    within_one_stored_unit(derived, expected, kept)


def test_the_authors_dncnn_denoises_a_series_by_name(tmp_path):
    """--method dncnn is the study's original network, the DnCNN authors' DnCNN-B, run as in
    memory on the whole slice."""
    inputs = series_folder(tmp_path / "full", KITS[:1])
    denoised = tmp_path / "denoised"
    assert main(["denoise", "--method", "dncnn", "--device", "cpu", "--quiet", str(inputs), str(denoised)]) == 0
    ((source, derived),) = check_derived_series(inputs, denoised, "DnCNN authors_dncnn_b")
    hu, kept = to_hu_with_fill(source, source.pixel_array)
    model, _ = load_model(DEFAULT_ORIGINAL)
    expected = denoise_stack(model, hu[None], window_scaling(HuWindow(*DEFAULT_HU_WINDOW)), "cpu")[0]
    within_one_stored_unit(derived, expected, kept)
    assert np.abs(hu_of(derived) - hu_of(source))[~kept].mean() > 1.0
    assert "SHA-256 9eb166dc0cf8bba2" in derived.DerivationDescription


def test_the_defaults_are_the_studys(tmp_path):
    """The command's noise, MTF and HU window defaults equal config/schema.yaml's."""
    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())["properties"]
    noise = {key: value["default"] for key, value in schema["noise"]["properties"].items()}
    assert DEFAULT_NOISE == noise
    mtf = schema["mtf"]["properties"]
    assert DEFAULT_MTF_LP_PER_MM == {"mtf50": mtf["mtf50_lp_per_mm"]["default"],
                                     "mtf10": mtf["mtf10_lp_per_mm"]["default"]}
    window = schema["dncnn"]["properties"]["hu_window"]["properties"]
    assert DEFAULT_HU_WINDOW == (window["low_hu"]["default"], window["high_hu"]["default"])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["denoise", "--method", "gaussian", "--param", "sigma_px=-1"], "--param of gaussian"),
        (["denoise", "--method", "gaussian", "--param", "size_px=3"], "--param of gaussian"),
        (["denoise", "--method", "dncnn_tra"], "neither one of median, gaussian, wiener, nl_means, bm3d, dncnn"),
        (["denoise", "--method", "dncnn", "--param", "size_px=3"], "only the filters take parameters"),
        (["simulate", "--dose", "0"], "--dose must lie in (0, 1]"),
        (["simulate", "--dose", "0.5", "--mtf50", "0.7"], "MTF50"),
    ],
    ids=["bad value", "unknown parameter", "unknown method", "network parameter", "dose", "mtf"],
)
def test_bad_arguments_stop_with_one_line_and_write_nothing(arguments, message, tmp_path, capsys):
    inputs = series_folder(tmp_path / "full", KITS[:1])
    assert main([*arguments, "--quiet", str(inputs), str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("ldct: ") and message in error and "Traceback" not in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_bm3d_without_its_extra_stops_naming_the_extra(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "bm3d" else real(name))
    inputs = series_folder(tmp_path / "full", KITS[:1])
    assert main(["denoise", "--method", "bm3d", "--quiet", str(inputs), str(tmp_path / "out")]) == 1
    assert "ldct: --method: bm3d needs the optional extra 'bm3d': pip install 'ldct[bm3d]'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_a_bad_input_file_or_a_full_output_folder_is_named_and_nothing_is_written(tmp_path, capsys):
    inputs = series_folder(tmp_path / "full", KITS[:1])
    (inputs / "notes.txt").write_text("not DICOM")
    assert main(["denoise", "--method", "median", "--quiet", str(inputs), str(tmp_path / "out")]) == 1
    assert f"{inputs / 'notes.txt'}: not a readable DICOM file" in capsys.readouterr().err
    (inputs / "notes.txt").unlink()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.dcm").write_bytes(b"")
    assert main(["denoise", "--method", "median", "--quiet", str(inputs), str(occupied)]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "occupied"]


def test_a_failure_during_the_series_leaves_no_partial_output(tmp_path, monkeypatch):
    """The second slice fails: neither the output folder nor its hidden staging folder remains."""
    import ldct.io.series

    inputs = series_folder(tmp_path / "full")
    calls = []
    real = ldct.io.series.write_dicom

    def failing_second(path, dataset):
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(path, dataset)

    monkeypatch.setattr(ldct.io.series, "write_dicom", failing_second)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["denoise", "--method", "median", "--quiet", str(inputs), str(tmp_path / "out")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_measured_noise_and_padding_kept(tmp_path):
    """--full-dose-sigma-hu measure reports it; padding pixels keep their stored values."""
    inputs = series_folder(tmp_path / "full", ["abdominal_ct/cmb_crc_msb_01068/1-093.dcm"])
    low = tmp_path / "low"
    argv = ["simulate", "--dose", "0.5", "--full-dose-sigma-hu", "measure", "--quiet", str(inputs), str(low)]
    assert main(argv) == 0
    ((source, derived),) = check_derived_series(inputs, low, "simulated 50% dose")
    _, kept = to_hu_with_fill(source, source.pixel_array)
    assert kept.sum() > 1000
    assert np.array_equal(derived.pixel_array[kept], source.pixel_array[kept])
    assert "measured per slice" in derived.DerivationDescription


def test_the_console_script_explains_itself():
    process = subprocess.run([sys.executable, "-m", "ldct.cli.main", "--help"], capture_output=True, text=True)
    assert process.returncode == 0
    assert "ldct denoise --method gaussian" in process.stdout and "simulate" in process.stdout
