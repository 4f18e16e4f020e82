"""Each rule run alone on tiny inputs reproduces its expected outputs.

The pattern of ``snakemake --generate-unit-tests``: for one job of every rule, copy only that
job's inputs (taken from a completed tiny study) into a fresh working directory, run just
that rule (``--allowed-rules``), and compare its outputs with the study's, with numeric
tolerances for floats.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO, make_workdir, snakemake
from ldct.core.storage import read_table

HU = ["results/hu/abdomen.npy", "results/hu/abdomen.json"]
SIMULATED = ["results/simulated/abdomen/dose0.1.npy", "results/simulated/abdomen/dose0.1.json"]
# A denoise or metrics job handles every eval slice of its method and dose (the default
# jobs.eval_slices_per_job: all), so it takes both eval slices' inputs.
EVAL_SIMULATED = ["results/simulated/*/dose0.1.npy", "results/simulated/*/dose0.1.json"]
EVAL_HU = ["results/hu/*.npy", "results/hu/*.json"]
DENOISED = [
    "results/denoised/wiener/abdomen/dose0.1.npy",
    "results/denoised/wiener/abdomen/dose0.1.json",
]
PER_IMAGE_METRICS = "results/metrics/per_image/*/*/*.tsv"
PRETRAINED = "results/dncnn/pretrained/model.pt"
PATCHES = ["results/patches/low_dose.npy", "results/patches/full_dose.npy", "results/patches/index.tsv"]
TRAINING_SLICES = ["results/simulated_training/totalseg_01.*", "results/hu/totalseg_01.*"]

#: rule -> (study files copied in as its inputs, glob patterns allowed; outputs compared)
RULE_JOBS = {
    "acquire": ([], ["results/dicom/abdomen.dcm"]),
    "to_hu": (["results/dicom/abdomen.dcm"], HU),
    "split": (
        HU + ["results/hu/kits_01.npy", "results/hu/kits_01.json"]
        + ["results/hu/totalseg_01.npy", "results/hu/totalseg_01.json"],
        ["results/split.tsv"],
    ),
    "mtf_curve": ([], ["results/mtf/mtf_curve.tsv"]),
    "full_dose_noise": (
        HU + ["results/hu/kits_01.npy", "results/hu/kits_01.json"]
        + ["results/hu/totalseg_01.npy", "results/hu/totalseg_01.json", "results/split.tsv"],
        ["results/noise/full_dose_noise.tsv"],
    ),
    "simulate": (HU + ["results/mtf/mtf_curve.tsv"], SIMULATED),
    "simulate_training": (
        ["results/hu/totalseg_01.npy", "results/hu/totalseg_01.json", "results/mtf/mtf_curve.tsv"],
        ["results/simulated_training/totalseg_01.npy", "results/simulated_training/totalseg_01.json"],
    ),
    "denoise": (EVAL_SIMULATED, DENOISED),
    "pretrain_dncnn": (
        [],
        [PRETRAINED, "results/dncnn/pretrained/epochs.tsv", "results/dncnn/pretrained/manifest.json"],
    ),
    "patches": (TRAINING_SLICES, PATCHES),
    "last_layer_optimum": ([PRETRAINED] + PATCHES, ["results/dncnn/last_layer_optimum.json"]),
    "per_dose_original": ([PRETRAINED] + PATCHES, ["results/dncnn/pretrained/per_dose.tsv"]),
    "finetune_dncnn": (
        [PRETRAINED, "results/dncnn/last_layer_optimum.pt"] + PATCHES,
        [
            "results/dncnn/dncnn_tra/model.pt",
            "results/dncnn/dncnn_tra/epochs.tsv",
            "results/dncnn/dncnn_tra/per_dose.tsv",
        ],
    ),
    "denoise_cnn": (
        EVAL_SIMULATED + ["results/dncnn/dncnn_full/model.pt"],
        [
            "results/denoised/dncnn_full/abdomen/dose0.1.npy",
            "results/denoised/dncnn_full/abdomen/dose0.1.json",
        ],
    ),
    "metrics": (
        ["results/denoised/wiener/*/dose0.1.*"] + EVAL_HU,
        ["results/metrics/per_image/wiener/abdomen/dose0.1.tsv"],
    ),
    "collect_metrics": (
        [PER_IMAGE_METRICS, "results/split.tsv"],
        ["results/metrics/metrics.tsv"],
    ),
    "stats": (["results/metrics/metrics.tsv"], ["results/stats/stats.tsv"]),
}


def assert_same_value(got, expected, where: str) -> None:
    if isinstance(expected, float) or isinstance(got, float):
        assert math.isclose(float(got), float(expected), rel_tol=1e-6, abs_tol=1e-9), where
    elif isinstance(expected, dict):
        assert got.keys() == expected.keys(), where
        for key in expected:
            assert_same_value(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), where
        for index, (a, b) in enumerate(zip(got, expected)):
            assert_same_value(a, b, f"{where}[{index}]")
    else:
        assert got == expected, where


#: Columns and keys that hold wall-clock times or hashes of such files.
UNSTABLE = {"seconds", "sha256"}


def as_number(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def stable(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in UNSTABLE}


def assert_same_file(got: Path, expected: Path) -> None:
    """Equal content; floats within a relative 1e-6 (arrays: also 1e-4 HU absolute)."""
    if expected.suffix == ".pt":
        got_state = torch.load(got, weights_only=True)["state_dict"]
        expected_state = torch.load(expected, weights_only=True)["state_dict"]
        assert got_state.keys() == expected_state.keys()
        for key in expected_state:
            torch.testing.assert_close(got_state[key], expected_state[key], rtol=1e-5, atol=1e-6)
    elif expected.suffix == ".npy":
        np.testing.assert_allclose(np.load(got), np.load(expected), rtol=1e-6, atol=1e-4)
    elif expected.suffix == ".json":
        assert_same_value(
            stable(json.loads(got.read_text())), stable(json.loads(expected.read_text())), got.name
        )
    elif expected.suffix == ".tsv":
        got_rows, expected_rows = read_table(got), read_table(expected)
        assert len(got_rows) == len(expected_rows)
        for a, b in zip(got_rows, expected_rows):
            assert_same_value(
                {k: as_number(v) for k, v in stable(a).items()},
                {k: as_number(v) for k, v in stable(b).items()},
                got.name,
            )
    else:
        assert got.read_bytes() == expected.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(RULE_JOBS))
def test_rule_alone_reproduces_expected_outputs(rule, tiny_study, tmp_path):
    inputs, outputs = RULE_JOBS[rule]
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    for pattern in inputs:
        for source in sorted(tiny_study.glob(pattern)):
            target = workdir / source.relative_to(tiny_study)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "--allowed-rules",
        rule.removesuffix("_cnn"),
        "--cores",
        "1",
        *outputs,
    )
    for output in outputs:
        assert_same_file(workdir / output, tiny_study / output)
