"""Per-dose truth about a network: RMSE (HU) and SSIM of its input and output on the validation
patches, dose by dose, and the table and figure made of them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ldct.core.window import HuWindow
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.scaling import minmax_scaling, window_scaling
from ldct.report.figures.per_dose import kept_epoch, plot_per_dose
from ldct.training.finetune import finetune
from ldct.training.patch_set import PatchSet
from ldct.training.per_dose import PER_DOSE_COLUMNS, PerDoseValidation, patch_ssim, per_dose_rows, per_dose_table

WINDOW = window_scaling(HuWindow(-1000.0, 1000.0))


def patches(count=12, size=16, seed=0):
    rng = np.random.default_rng(seed)
    full = rng.normal(40, 60, (count, size, size))
    doses = np.where(np.arange(count) % 2 == 0, 0.5, 0.1)
    # Each dose's input carries a constant error of known size: 20 HU at 50 %, 60 HU at 10 %.
    low = full + np.where(doses == 0.5, 20.0, -60.0)[:, None, None]
    return low, full, doses


def test_rows_pool_each_dose_highest_first_against_a_direct_computation():
    low, full, doses = patches()
    output = full + 5.0 * np.sign(np.arange(len(full)) - 5.5)[:, None, None]  # +-5 HU everywhere
    rows = per_dose_rows(output, low, full, doses)
    assert [row["dose"] for row in rows] == [0.5, 0.1]
    assert [row["rmse_input_hu"] for row in rows] == pytest.approx([20.0, 60.0])
    assert [row["rmse_output_hu"] for row in rows] == pytest.approx([5.0, 5.0])
    perfect = per_dose_rows(full, low, full, doses)
    assert [row["ssim_output"] for row in perfect] == pytest.approx([1.0, 1.0])
    # An offset lowers only SSIM's luminance term: for a patch of local means mu it is
    # (2 mu (mu + e) + C1) / (mu^2 + (mu + e)^2 + C1) < 1, and more so for the larger error.
    assert 1.0 > rows[0]["ssim_input"] > rows[1]["ssim_input"]


def test_patch_ssim_uses_each_reference_patch_range():
    rng = np.random.default_rng(1)
    reference = rng.normal(0, 10, (2, 16, 16))
    test = reference + rng.normal(0, 3, reference.shape)
    scaled = patch_ssim(100 * test, 100 * reference)  # SSIM is scale-free with L the patch's range
    np.testing.assert_allclose(scaled, patch_ssim(test, reference), rtol=1e-10)


def test_the_table_numbers_the_start_zero_and_every_epoch_after():
    start = [{"dose": 0.5, "rmse_input_hu": 1.0, "rmse_output_hu": 2.0, "ssim_input": 0.5, "ssim_output": 0.6}]
    history = [{"epoch": 1, "per_dose": start}, {"epoch": 2, "per_dose": start}]
    table = per_dose_table(start, history)
    assert [row["epoch"] for row in table] == [0, 1, 2]
    assert set(table[0]) == set(PER_DOSE_COLUMNS)


def test_rows_of_a_network_come_back_in_hu_for_per_patch_scaling():
    low, full, doses = patches()
    scaling = minmax_scaling(np.full(len(low), -500.0), np.linspace(500.0, 1500.0, len(low)), ["p"] * len(low))
    identity = torch.nn.Identity()
    patch_set = PatchSet(low.astype(np.float32), full, doses, np.ones(len(low), bool), scaling)
    validation = PerDoseValidation.of_patches(patch_set, torch.device("cpu"))
    rows = validation.rows(identity)  # the network returns its input: output RMSE is the input's
    assert [row["rmse_output_hu"] for row in rows] == pytest.approx([20.0, 60.0], rel=1e-5)


def test_fine_tuning_reports_every_epoch_per_dose_on_the_validation_patches(tmp_path):
    low, full, doses = patches(count=24, size=24)
    is_validation = np.arange(24) < 8
    settings = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "precision": "float32",
                "deterministic": True, "batchnorm": "frozen", "solver": "adam"}
    torch.manual_seed(0)
    _, history = finetune(DnCNN(depth=3, channels=4), "dncnn_tra", "last", low.astype(np.float32),
                          full.astype(np.float32), is_validation, WINDOW, settings, 1, str(tmp_path / "c.pt"),
                          "cpu", doses=doses)
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert [r["dose"] for r in row["per_dose"]] == [0.5, 0.1]
        assert [r["rmse_input_hu"] for r in row["per_dose"]] == pytest.approx([20.0, 60.0], rel=1e-5)


def test_the_figure_draws_each_network_at_its_kept_epoch_and_the_input_once():
    rows = [
        {"epoch": str(epoch), "dose": str(dose), "rmse_input_hu": "50", "rmse_output_hu": str(40 - epoch),
         "ssim_input": "0.5", "ssim_output": "0.6"}
        for epoch in (0, 1, 2) for dose in (0.5, 0.1)
    ]
    history = [{"epoch": "1", "kept": "True"}, {"epoch": "2", "kept": "False"}]
    assert kept_epoch(history) == 1 and kept_epoch([]) == 0
    figure = plot_per_dose({"original": rows[:2], "fine-tuned": rows}, {"original": 0, "fine-tuned": 1})
    rmse_axis = figure.axes[0]
    assert [line.get_label() for line in rmse_axis.get_lines()] == [
        "original (epoch 0)", "fine-tuned (epoch 1)", "input, before denoising"]
    assert list(rmse_axis.get_lines()[1].get_ydata()) == [39.0, 39.0]
    with pytest.raises(ValueError, match="no per-dose rows of epoch 5"):
        plot_per_dose({"original": rows[:2]}, {"original": 5})
