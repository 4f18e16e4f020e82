"""The training loop: one step lowers the loss; a killed run resumes to identical weights."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from ldct.core.errors import LdctInputError
from ldct.denoising.dncnn import DnCNN
from ldct.training.loop import TrainingSettings, train
from ldct.training.loss import batch_psnr_db

#: The run and config section a test training reports a divergence under.
RUN = {"run_name": "pretraining", "settings_key": "dncnn.pretrain"}

#: Trains a tiny DnCNN for 4 epochs on the CPU, deterministic, in float32 (auto times both
#: precisions in each process and may choose differently); the process kills itself with
#: SIGKILL right after epoch ``kill_after`` (0: never); the final weights go to ``out``.
TRAINING_SCRIPT = textwrap.dedent(
    """
    import logging, os, signal, sys
    import numpy as np, torch
    from ldct.denoising.dncnn import DnCNN
    from ldct.training.pretrain import natural_image_batches
    from ldct.training.loop import TrainingSettings, train

    logging.basicConfig(level=logging.INFO)
    checkpoint, out, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = DnCNN(depth=4, channels=8)
    images = [np.random.default_rng(5).random((48, 48), dtype=np.float32)]

    def kill(epoch):
        if epoch == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    train(
        model,
        lambda epoch: natural_image_batches(images, 3, 4, 16, (25, 25), seed=1, epoch=epoch),
        3,
        lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
        TrainingSettings(epochs=4, precision="float32", device="cpu", deterministic=True),
        checkpoint,
        fingerprint_extra={"test": 1},
        on_epoch_end=kill,
        run_name="pretraining",
        settings_key="dncnn.pretrain",
    )
    torch.save(model.state_dict(), out)
    """
)


def run_training(tmp_path, name: str, kill_after: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", TRAINING_SCRIPT, str(tmp_path / f"{name}.ckpt"),
         str(tmp_path / f"{name}.pt"), str(kill_after)],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("kill_after", [1, 3])
def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path, kill_after):
    assert run_training(tmp_path, "whole", kill_after=0).returncode == 0
    killed = run_training(tmp_path, "resumed", kill_after=kill_after)
    assert killed.returncode == -9  # SIGKILL, after the checkpoint of that epoch
    assert not (tmp_path / "resumed.pt").exists()
    assert torch.load(tmp_path / "resumed.ckpt", weights_only=True)["epoch"] == kill_after
    resumed = run_training(tmp_path, "resumed", kill_after=0)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from {tmp_path / 'resumed.ckpt'} after epoch {kill_after}" in resumed.stderr
    whole = torch.load(tmp_path / "whole.pt", weights_only=True)
    again = torch.load(tmp_path / "resumed.pt", weights_only=True)
    assert whole.keys() == again.keys()
    for key in whole:
        assert torch.equal(whole[key], again[key]), key
    history = torch.load(tmp_path / "resumed.ckpt", weights_only=True)["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]


def fixed_batch():
    generator = torch.Generator().manual_seed(4)
    clean = torch.rand(8, 1, 20, 20, generator=generator)
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=generator)
    return noisy, clean


def test_one_optimisation_step_lowers_the_loss_on_a_fixed_batch(tmp_path):
    torch.manual_seed(0)
    model = DnCNN(depth=5, channels=16)
    noisy, clean = fixed_batch()
    model.train()
    with torch.no_grad():
        before = torch.nn.functional.mse_loss(model(noisy), clean).item()
    train(
        model,
        lambda epoch: iter([(noisy, clean)]),
        1,
        lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
        TrainingSettings(epochs=1, learning_rate=1e-3, precision="float32", device="cpu"),
        tmp_path / "ckpt.pt",
        fingerprint_extra={},
        **RUN,
    )
    model.train()
    with torch.no_grad():
        after = torch.nn.functional.mse_loss(model(noisy), clean).item()
    assert after < before


def test_changed_settings_do_not_resume_an_old_checkpoint(tmp_path):
    noisy, clean = fixed_batch()
    runs = []
    for rate in (1e-3, 1e-2):
        torch.manual_seed(0)
        model = DnCNN(depth=3, channels=4)
        history = train(
            model,
            lambda epoch: iter([(noisy, clean)]),
            1,
            lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
            TrainingSettings(epochs=2, learning_rate=rate, precision="float32", device="cpu"),
            tmp_path / "shared.pt",
            fingerprint_extra={},
            **RUN,
        )
        runs.append(history)
    assert [row["epoch"] for row in runs[1]] == [1, 2]
    assert runs[1][0]["learning_rate"] == 1e-2


def test_learning_rate_milestones_divide_by_ten(tmp_path):
    noisy, clean = fixed_batch()
    torch.manual_seed(0)
    history = train(
        DnCNN(depth=3, channels=4),
        lambda epoch: iter([(noisy, clean)]),
        1,
        lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
        TrainingSettings(epochs=4, learning_rate=1e-3, lr_milestones=(2, 4), precision="float32", device="cpu"),
        tmp_path / "ckpt.pt",
        fingerprint_extra={},
        **RUN,
    )
    assert [row["learning_rate"] for row in history] == pytest.approx([1e-3, 1e-4, 1e-4, 1e-5])


def test_psnr_of_known_error():
    """Unit peak, every pixel off by 0.1: MSE 0.01, PSNR 20 dB; a batch averages per image."""
    reference = torch.zeros(2, 1, 4, 4)
    estimate = torch.stack([torch.full((1, 4, 4), 0.1), torch.full((1, 4, 4), 0.01)])
    assert batch_psnr_db(estimate[:1], reference[:1]) == pytest.approx(20.0, abs=1e-4)
    assert batch_psnr_db(estimate, reference) == pytest.approx((20.0 + 40.0) / 2, abs=1e-3)
    assert batch_psnr_db(estimate[:1] * 2550, reference[:1], data_range=255) == pytest.approx(
        20 * np.log10(255 / 255), abs=1e-3
    )


def test_the_precision_probe_leaves_the_model_as_it_was(monkeypatch, tmp_path):
    """precision auto times steps on a copy: with float32 chosen after measuring, the weights and
    batch-norm statistics equal those of an explicit float32 run, and the history says float32."""
    import ldct.training.precision

    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    monkeypatch.setattr(ldct.training.precision, "MIN_SPEEDUP", 1e9)  # measure, then keep float32
    noisy, clean = fixed_batch()
    states, histories = [], []
    for precision in ("auto", "float32"):
        torch.manual_seed(0)
        model = DnCNN(depth=4, channels=8)
        histories.append(
            train(
                model,
                lambda epoch: iter([(noisy, clean)]),
                1,
                lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
                TrainingSettings(epochs=1, precision=precision, device="cpu", deterministic=True),
                tmp_path / f"{precision}.pt",
                fingerprint_extra={},
                **RUN,
            )
        )
        states.append(model.state_dict())
    assert [history[0]["precision"] for history in histories] == ["float32", "float32"]
    for key in states[1]:
        assert torch.equal(states[0][key], states[1][key]), key


def test_blind_batches_draw_each_patch_noise_sd_uniformly_in_the_range():
    """DnCNN-B's training noise: one SD per patch, uniform in [0, 55]/255 (checked on the
    noise each patch actually got), and the same batches again for the same (seed, epoch)."""
    from ldct.training.pretrain import load_natural_image, natural_image_batches, sigma_range

    images = [load_natural_image("moon")]
    sigmas = sigma_range({"noise": "blind", "blind_sigma_range": [0, 55], "noise_sigma": 25})
    assert sigmas == (0.0, 55.0)
    (noisy, clean), = natural_image_batches(images, 1, 400, 40, sigmas, seed=3, epoch=1)
    sd = (noisy - clean).flatten(1).std(dim=1).numpy() * 255
    assert sd.min() >= 0 and sd.max() <= 55 * 1.1
    assert np.histogram(sd, bins=5, range=(0, 55))[0].min() > 40  # about 80 per fifth
    assert np.mean(sd) == pytest.approx(27.5, abs=2.5)
    (again, _), = natural_image_batches(images, 1, 400, 40, sigmas, seed=3, epoch=1)
    assert torch.equal(noisy, again)
    with pytest.raises(LdctInputError, match="blind_sigma_range"):
        sigma_range({"noise": "blind", "blind_sigma_range": [30, 10], "noise_sigma": 25})


def batches_with_a_nan_target(nan_epoch: int, nan_step: int, steps: int = 3):
    """``epoch_batches`` of ``steps`` copies of :func:`fixed_batch`; step ``nan_step`` (1-based)
    of epoch ``nan_epoch`` has one NaN pixel in its clean target."""
    noisy, clean = fixed_batch()
    poisoned = clean.clone()
    poisoned[0, 0, 0, 0] = float("nan")

    def batches(epoch: int):
        for step in range(1, steps + 1):
            yield noisy, poisoned if (epoch, step) == (nan_epoch, nan_step) else clean

    return batches


def train_tiny(tmp_path, batches, settings: TrainingSettings, steps: int = 3):
    torch.manual_seed(0)
    return train(
        DnCNN(depth=3, channels=4),
        batches,
        steps,
        lambda net, device: {"val_psnr_db": 0.0, "val_input_psnr_db": 0.0},
        settings,
        tmp_path / "last.pt",
        fingerprint_extra={},
        run_name="dncnn_full",
        settings_key="dncnn.finetune",
    )


@pytest.mark.parametrize(
    "precision, chosen, advice",
    [
        ("float32", "float32", ""),
        ("bfloat16", "bfloat16", " or set dncnn.finetune.precision: float32 (now bfloat16)"),
        ("auto", "bfloat16", " or set dncnn.finetune.precision: float32 (now auto, which chose bfloat16)"),
    ],
)
def test_a_nan_loss_stops_training_naming_variant_epoch_step_and_settings(
    tmp_path, monkeypatch, precision, chosen, advice
):
    """A NaN target at epoch 2, step 2 of 3: one message with the variant, epoch 2, step 5 and
    the settings to change; the checkpoint stays at epoch 1 with finite weights."""
    import ldct.training.loop

    monkeypatch.setattr(ldct.training.loop, "choose_precision", lambda setting, device, probe: chosen)
    settings = TrainingSettings(epochs=3, learning_rate=1e-3, precision=precision, device="cpu")
    with pytest.raises(LdctInputError) as raised:
        train_tiny(tmp_path, batches_with_a_nan_target(nan_epoch=2, nan_step=2), settings)
    assert str(raised.value) == (
        "dncnn_full: training loss is nan at epoch 2 (step 5); "
        "lower dncnn.finetune.learning_rate (now 0.001)" + advice
    )
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert all(torch.isfinite(tensor).all() for tensor in state["model"].values())


def test_a_nan_loss_in_the_first_epoch_writes_no_checkpoint(tmp_path):
    settings = TrainingSettings(epochs=2, precision="float32", device="cpu")
    with pytest.raises(LdctInputError, match=r"^dncnn_full: training loss is nan at epoch 1 \(step 3\); "):
        train_tiny(tmp_path, batches_with_a_nan_target(nan_epoch=1, nan_step=3), settings)
    assert list(tmp_path.iterdir()) == []


def test_a_non_finite_batch_norm_statistic_stops_training_before_the_checkpoint(tmp_path):
    """Inputs of 1e30 (noisy = clean, so the loss stays finite) give a batch norm a variance of
    about 1e59, beyond float32 whatever order its kernel sums in: its running variance is not
    finite, training stops, and no checkpoint holds it."""
    images = 1e30 * torch.rand(8, 1, 20, 20, generator=torch.Generator().manual_seed(4))
    settings = TrainingSettings(epochs=2, precision="float32", device="cpu")
    with pytest.raises(LdctInputError) as raised:
        train_tiny(tmp_path, lambda epoch: iter([(images, images)]), settings, steps=1)
    assert str(raised.value) == (
        "dncnn_full: training made a weight or batch-norm statistic non-finite in epoch 1 (by step 1) "
        "while the loss stayed finite; lower dncnn.finetune.learning_rate (now 0.001)"
    )
    assert list(tmp_path.iterdir()) == []


def test_pretraining_and_fine_tuning_name_their_run_and_config_section(tmp_path):
    """A huge learning rate: pretraining's message names dncnn.pretrain; NaN patches: fine-tuning's
    names its variant and dncnn.finetune."""
    from ldct.core.window import HuWindow
    from ldct.denoising.scaling import window_scaling
    from ldct.training.finetune import finetune
    from ldct.training.pretrain import pretrain

    settings = {
        "images": ["moon"], "image_folder": None, "held_out": ["camera"], "patch_size_px": 16, "noise": "fixed",
        "noise_sigma": 25, "blind_sigma_range": [0, 55], "depth": 3, "channels": 4, "epochs": 1,
        "steps_per_epoch": 3, "batch_size": 2, "learning_rate": 1e30, "lr_milestones": [],
        "precision": "float32", "deterministic": True,
    }
    with pytest.raises(LdctInputError, match=r"^pretraining: training loss is (nan|inf) at epoch 1 "
                       r"\(step 2\); lower dncnn\.pretrain\.learning_rate \(now 1e\+30\)$"):
        pretrain(settings, 0, str(tmp_path / "pretrain.pt"), "cpu")
    patches = np.zeros((12, 16, 16), dtype=np.float32)
    patches[5] = np.nan
    is_validation = np.arange(12) < 2
    finetune_settings = {"epochs": 1, "batch_size": 4, "learning_rate": 1e-3, "precision": "float32",
                         "deterministic": True, "batchnorm": "frozen", "solver": "adam"}
    with pytest.raises(LdctInputError, match=r"^dncnn_full: training loss is nan at epoch 1 \(step \d\); "
                       r"lower dncnn\.finetune\.learning_rate \(now 0\.001\)$"):
        finetune(DnCNN(depth=3, channels=4), "dncnn_full", "all", patches, patches, is_validation,
                 window_scaling(HuWindow(-1000.0, 1000.0)), finetune_settings, 0,
                 str(tmp_path / "finetune.pt"), "cpu")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scores, kept", [((5.0, 7.0, 6.0, 4.0), 1), ((9.0, 7.0, 6.0, 4.0), 0)])
def test_keep_best_ends_with_the_epoch_of_highest_validation_psnr_the_start_counting(tmp_path, scores, kept):
    """Validation PSNR scripted per call (start, epoch 1, 2, 3): the model keeps the weights it had
    after the best epoch, or those it started with when no epoch beat the start."""
    torch.manual_seed(0)
    model = DnCNN(depth=3, channels=4, batch_norm=False)
    noisy, clean = fixed_batch()
    calls = iter(scores)
    snapshots = {0: {k: v.clone() for k, v in model.state_dict().items()}}

    def remember(epoch):
        snapshots[epoch] = {k: v.clone() for k, v in model.state_dict().items()}

    history = train(
        model,
        lambda epoch: iter([(noisy, clean)]),
        1,
        lambda net, device: {"val_psnr_db": next(calls), "val_input_psnr_db": 0.0},
        TrainingSettings(epochs=3, learning_rate=1e-2, precision="float32", device="cpu"),
        tmp_path / "ckpt.pt",
        fingerprint_extra={},
        on_epoch_end=remember,
        keep_best=True,
        **RUN,
    )
    assert [row["kept"] for row in history] == [epoch == kept for epoch in (1, 2, 3)]
    for key, value in model.state_dict().items():
        assert torch.equal(value, snapshots[kept][key]), key
