"""Transfer learning: which layers each variant updates, and the cached-feature shortcut."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from ldct.core.errors import LdctInputError
from ldct.core.window import HuWindow
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.scaling import window_scaling
from ldct.training.convergence import training_loss
from ldct.training.finetune import finetune, trainable_copy
from ldct.training.last_layer import layer_weights, mean_loss, network_equations, set_last_layer, solve

SETTINGS = {
    "epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "precision": "float32", "deterministic": True,
    "batchnorm": "frozen", "solver": "adam",
}
WINDOW = window_scaling(HuWindow(-1000.0, 1000.0))
LAYERS = {"dncnn_tra": "last", "dncnn_full": "all"}


def pretrained_model() -> DnCNN:
    torch.manual_seed(0)
    model = DnCNN(depth=5, channels=8)
    # Give the batch norms non-trivial running statistics, as a trained model has.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(8, 1, 24, 24))
    return model.eval()


def ct_patches(count=40, size=24):
    rng = np.random.default_rng(3)
    full = rng.normal(40, 60, (count, size, size)).astype(np.float32)
    low = full + rng.normal(0, 150, full.shape).astype(np.float32)
    is_validation = np.zeros(count, dtype=bool)
    is_validation[:4] = True
    return low, full, is_validation


def run(variant, tmp_path, **options):
    low, full, is_validation = ct_patches()
    return finetune(
        pretrained_model(), variant, LAYERS[variant], low, full, is_validation, WINDOW, SETTINGS, 11,
        str(tmp_path / f"{variant}-{len(options)}.ckpt"), "cpu", **options,
    )


def changed(before: DnCNN, after: DnCNN) -> set[str]:
    old, new = before.state_dict(), after.state_dict()
    return {key for key in old if not torch.equal(old[key], new[key])}


def test_trainable_copy_freezes_all_but_the_last_layer_when_asked():
    model = pretrained_model()
    tra = trainable_copy(model, "last")
    trainable = {name for name, p in tra.named_parameters() if p.requires_grad}
    assert trainable == {"model.11.weight", "model.11.bias"}
    full = trainable_copy(model, "all")
    assert all(p.requires_grad for p in full.parameters())
    assert all(p.requires_grad for p in model.parameters())  # the original is untouched
    with pytest.raises(ValueError):
        trainable_copy(model, "half")


def test_dncnn_tra_updates_only_the_last_layer_and_keeps_batch_norm_statistics(tmp_path):
    model, history = run("dncnn_tra", tmp_path)
    assert changed(pretrained_model(), model) == {"model.11.weight", "model.11.bias"}
    assert [row["epoch"] for row in history] == [1, 2]
    assert history[0]["steps"] == 5  # 36 training patches in batches of 8


def test_dncnn_full_updates_every_layer(tmp_path):
    model, _ = run("dncnn_full", tmp_path)
    weights = {key for key in pretrained_model().state_dict() if key.endswith("weight")}
    assert weights <= changed(pretrained_model(), model)


def test_cached_features_train_the_same_last_layer_as_the_whole_network(tmp_path):
    cached, cached_history = run("dncnn_tra", tmp_path)
    direct, direct_history = run("dncnn_tra", tmp_path, feature_cache_bytes=0)
    for key, value in direct.state_dict().items():
        torch.testing.assert_close(cached.state_dict()[key], value, rtol=1e-4, atol=1e-6)
    for a, b in zip(cached_history, direct_history):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
        assert a["val_psnr_db"] == pytest.approx(b["val_psnr_db"], abs=1e-3)
        assert a["val_input_psnr_db"] == pytest.approx(b["val_input_psnr_db"], abs=1e-6)


def test_an_epoch_visits_every_patch_once_in_channels_last_batches_in_a_seeded_order():
    from ldct.training.batches import as_patch_tensor, patch_batches

    rng = np.random.default_rng(0)
    low = as_patch_tensor(rng.random((10, 3, 4, 4), dtype=np.float32), torch.device("cpu"))
    full = as_patch_tensor(rng.random((10, 4, 4), dtype=np.float32), torch.device("cpu"))
    batches = list(patch_batches(low, full, 4, seed=5, epoch=2))
    assert [len(noisy) for noisy, _ in batches] == [4, 4, 2]
    order = np.random.default_rng(np.random.SeedSequence([5, 2])).permutation(10)
    for (noisy, clean), start in zip(batches, range(0, 10, 4)):
        chosen = np.sort(order[start : start + 4])
        assert noisy.is_contiguous(memory_format=torch.channels_last)
        assert clean.shape[1] == 1 and clean.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(noisy, low[chosen]) and torch.equal(clean, full[chosen])


def test_the_feature_cache_is_used_where_it_and_its_training_copy_fit():
    from ldct.core.devices import available_memory_bytes
    from ldct.training.finetune import FEATURE_CACHE_SHARE, feature_cache_fits

    cpu = torch.device("cpu")
    assert feature_cache_fits(500, cpu, limit_bytes=1000)
    assert not feature_cache_fits(501, cpu, limit_bytes=1000)
    available = available_memory_bytes(cpu)
    assert available > 0
    assert not feature_cache_fits(int(available * FEATURE_CACHE_SHARE), cpu)


def test_minmax_fine_tuning_maps_each_patch_pair_by_its_slice_extremes(tmp_path):
    from ldct.denoising.scaling import minmax_scaling

    low, full, is_validation = ct_patches()
    # Patches cut from slices of different ranges: each pair carries its low-dose slice's pair.
    low_hu = np.where(np.arange(len(low)) % 2, -1024.0, -300.0) + low.min(axis=(1, 2))
    high_hu = np.where(np.arange(len(low)) % 3, 400.0, 1500.0) + low.max(axis=(1, 2))
    scaling = minmax_scaling(low_hu, high_hu, [f"patch {k}" for k in range(len(low))])
    model, history = finetune(
        pretrained_model(), "dncnn_tra", "last", low, full, is_validation, scaling, SETTINGS, 11,
        str(tmp_path / "minmax.ckpt"), "cpu",
    )
    assert changed(pretrained_model(), model) == {"model.11.weight", "model.11.bias"}
    assert [row["epoch"] for row in history] == [1, 2]
    assert all(np.isfinite(row["loss"]) for row in history)
    window_model, _ = run("dncnn_tra", tmp_path)
    assert not torch.equal(model.last_layer.weight, window_model.last_layer.weight)


RUNNING_STATISTICS = ("running_mean", "running_var", "num_batches_tracked")


def batch_norm_input_statistics(model: DnCNN, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and unbiased variance per channel (float64) of the first batch norm's input over
    all ``images`` at once, read by a forward hook on the convolution before it."""
    seen = []
    hook = model.model[2].register_forward_hook(lambda module, args, output: seen.append(output.double()))
    with torch.no_grad():
        model.eval()(images)
    hook.remove()
    (x,) = seen
    return x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=True)


def test_reestimation_sets_exact_statistics_and_changes_nothing_else():
    from ldct.training.batch_norm import reestimate_batch_norm

    model, before = pretrained_model(), pretrained_model()
    images = torch.from_numpy(np.random.default_rng(5).random((23, 1, 16, 16), dtype=np.float32))
    reestimate_batch_norm(model, images, batch_size=5)  # batches of 5, 5, 5, 5, 3
    assert not model.training
    old, new = before.state_dict(), model.state_dict()
    for key in old:
        if key.endswith(RUNNING_STATISTICS[:2]):
            assert not torch.equal(old[key], new[key]), key
        elif key.endswith("num_batches_tracked"):
            assert int(new[key]) == 5
        else:
            assert torch.equal(old[key], new[key]), key
    mean, var = batch_norm_input_statistics(before, images)
    torch.testing.assert_close(model.model[3].running_mean.double(), mean, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(model.model[3].running_var.double(), var, rtol=1e-5, atol=1e-9)
    assert all(norm.momentum == 0.1 for norm in model.modules() if isinstance(norm, torch.nn.BatchNorm2d))


@pytest.mark.parametrize("variant", ["dncnn_tra", "dncnn_full"])
def test_reestimate_after_fine_tuning_recomputes_only_the_running_statistics_on_the_training_patches(
    tmp_path, variant
):
    low, full, is_validation = ct_patches()
    frozen, frozen_history = finetune(
        pretrained_model(), variant, LAYERS[variant], low, full, is_validation, WINDOW, SETTINGS, 11,
        str(tmp_path / "frozen.ckpt"), "cpu",
    )
    reestimated, history = finetune(
        pretrained_model(), variant, LAYERS[variant], low, full, is_validation, WINDOW,
        {**SETTINGS, "batchnorm": "reestimate"}, 11, str(tmp_path / "reestimated.ckpt"), "cpu",
    )
    assert history == [{**row, "seconds": new["seconds"]} for row, new in zip(frozen_history, history)]
    assert changed(frozen, reestimated) == {key for key in frozen.state_dict() if key.endswith(RUNNING_STATISTICS)}
    if variant == "dncnn_tra":  # frozen: the pretrained statistics
        assert changed(pretrained_model(), frozen) == {"model.11.weight", "model.11.bias"}
    training = torch.from_numpy(WINDOW.to_network(low[~is_validation])[:, None])
    mean, var = batch_norm_input_statistics(reestimated, training)
    torch.testing.assert_close(reestimated.model[3].running_mean.double(), mean, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(reestimated.model[3].running_var.double(), var, rtol=1e-5, atol=1e-9)


def test_an_unknown_batch_norm_reading_is_refused(tmp_path):
    low, full, is_validation = ct_patches()
    with pytest.raises(ValueError, match="unknown batchnorm 'moving'"):
        finetune(
            pretrained_model(), "dncnn_tra", "last", low, full, is_validation, WINDOW,
            {**SETTINGS, "batchnorm": "moving"}, 11, str(tmp_path / "x.ckpt"), "cpu",
        )


def merged_model() -> DnCNN:
    """A network in the DnCNN authors' form: batch norm merged into the convolutions."""
    torch.manual_seed(0)
    return DnCNN(depth=5, channels=8, batch_norm=False).eval()


@pytest.mark.parametrize("variant", ["dncnn_tra", "dncnn_full"])
def test_the_authors_form_fine_tunes_its_convolutions(tmp_path, variant):
    """dncnn_tra changes the last convolution only; dncnn_full every convolution's weights and
    bias (there are no batch-norm parameters or statistics to change)."""
    low, full, is_validation = ct_patches()
    model, history = finetune(
        merged_model(), variant, LAYERS[variant], low, full, is_validation, WINDOW, SETTINGS, 11,
        str(tmp_path / "merged.ckpt"), "cpu",
    )
    assert model.architecture == {"depth": 5, "channels": 8, "batch_norm": False}
    everything = set(merged_model().state_dict())
    assert changed(merged_model(), model) == ({"model.8.weight", "model.8.bias"} if variant == "dncnn_tra" else everything)
    assert len(history) == SETTINGS["epochs"]


def test_reestimating_the_batch_norms_of_a_network_without_them_is_refused(tmp_path):
    low, full, is_validation = ct_patches()
    with pytest.raises(LdctInputError, match=r"^config key dncnn.finetune.batchnorm: reestimate needs batch norms"):
        finetune(
            merged_model(), "dncnn_full", "all", low, full, is_validation, WINDOW,
            {**SETTINGS, "batchnorm": "reestimate"}, 11, str(tmp_path / "x.ckpt"), "cpu",
        )
    assert not (tmp_path / "x.ckpt").exists()


def exact_optimum(model: DnCNN, low: np.ndarray, full: np.ndarray, is_validation: np.ndarray) -> dict:
    """The last layer's optimum on the training patches, as rule last_layer_optimum writes it."""
    training = ~is_validation
    equations = network_equations(
        model, torch.from_numpy(WINDOW.to_network(low[training])[:, None]),
        torch.from_numpy(WINDOW.to_network(full[training])[:, None]),
    )
    weights, loss = solve(equations)
    return {"weights": weights, "loss": loss}


def test_the_exact_solver_sets_the_optimal_last_layer_and_changes_nothing_else(tmp_path):
    low, full, is_validation = ct_patches()
    optimum = exact_optimum(merged_model(), low, full, is_validation)
    model, history = finetune(
        merged_model(), "dncnn_tra", "last", low, full, is_validation, WINDOW, {**SETTINGS, "solver": "exact"},
        11, str(tmp_path / "x.ckpt"), "cpu", optimum=optimum,
    )
    assert changed(merged_model(), model) == {"model.8.weight", "model.8.bias"}
    torch.testing.assert_close(layer_weights(model.last_layer), optimum["weights"].float().double())
    assert len(history) == 1 and history[0]["kept"] and history[0]["loss"] == optimum["loss"]
    trained = training_loss(model, low, full, ~is_validation, WINDOW, "cpu")
    assert trained == pytest.approx(optimum["loss"], rel=1e-5)
    adam, _ = finetune(merged_model(), "dncnn_tra", "last", low, full, is_validation, WINDOW, SETTINGS, 11,
                       str(tmp_path / "y.ckpt"), "cpu")
    assert training_loss(adam, low, full, ~is_validation, WINDOW, "cpu") > optimum["loss"]


def test_every_layer_training_starts_at_the_optimum_and_keeps_its_best_validation_epoch(tmp_path):
    low, full, is_validation = ct_patches()
    is_validation[:8] = True
    optimum = exact_optimum(merged_model(), low, full, is_validation)
    settings = {**SETTINGS, "solver": "exact", "epochs": 3}
    model, history = finetune(
        merged_model(), "dncnn_full", "all", low, full, is_validation, WINDOW, settings, 11,
        str(tmp_path / "x.ckpt"), "cpu", optimum=optimum,
    )
    assert [row["epoch"] for row in history] == [1, 2, 3] and sum(row["kept"] for row in history) <= 1
    start = copy.deepcopy(merged_model())
    set_last_layer(start.last_layer, optimum["weights"])
    kept = [row for row in history if row["kept"]]
    if kept:  # an epoch beat the start on validation: the model is that epoch's
        assert kept[0]["val_psnr_db"] == max(row["val_psnr_db"] for row in history)
        assert changed(start, model)
    else:  # no epoch did: the model is the start, the optimum
        assert changed(start, model) == set()


def test_the_exact_solver_needs_the_optimum(tmp_path):
    low, full, is_validation = ct_patches()
    with pytest.raises(ValueError, match="solver exact needs the last layer's optimum"):
        finetune(merged_model(), "dncnn_tra", "last", low, full, is_validation, WINDOW,
                 {**SETTINGS, "solver": "exact"}, 11, str(tmp_path / "x.ckpt"), "cpu")


@pytest.mark.parametrize("loss", ["mse", "dose_weighted_mse"])
def test_adam_on_a_small_case_reaches_the_exact_optimum_of_its_loss_within_one_percent(tmp_path, loss):
    """Last-layer Adam, full batches, 300 epochs: its training loss within 1 % of the least-squares
    optimum of the same (weighted) loss, the convergence criterion of optimum.json."""
    from ldct.training.convergence import LAST_LAYER_TOLERANCE
    from ldct.training.loss import patch_weights

    rng = np.random.default_rng(0)
    full = rng.normal(40, 60, (48, 12, 12)).astype(np.float32)
    doses = np.repeat([0.5, 0.1, 0.02], 16)
    noise_sd = np.select([doses == 0.5, doses == 0.1], [30.0, 100.0], 400.0)
    low = (full + rng.normal(0, 1, full.shape) * noise_sd[:, None, None]).astype(np.float32)
    is_validation = np.arange(48) % 8 == 0
    torch.manual_seed(0)
    model = DnCNN(depth=3, channels=4, batch_norm=False).eval()
    weights = patch_weights(loss, WINDOW.to_network(low), WINDOW.to_network(full), doses, ~is_validation)
    training = ~is_validation
    equations = network_equations(
        model, torch.from_numpy(WINDOW.to_network(low[training])[:, None]),
        torch.from_numpy(WINDOW.to_network(full[training])[:, None]),
        None if weights is None else torch.from_numpy(weights[training]),
    )
    _, optimum = solve(equations)
    settings = {**SETTINGS, "epochs": 300, "batch_size": 64, "learning_rate": 0.2}
    trained, _ = finetune(model, "dncnn_tra", "last", low, full, is_validation, WINDOW, settings, 1,
                          str(tmp_path / "c.pt"), "cpu", weights=weights)
    assert training_loss(trained, low, full, training, WINDOW, "cpu", weights) <= LAST_LAYER_TOLERANCE * optimum
    if weights is not None:  # the plain optimum misses the weighted one by more than the tolerance
        plain, _ = solve(network_equations(
            model, torch.from_numpy(WINDOW.to_network(low[training])[:, None]),
            torch.from_numpy(WINDOW.to_network(full[training])[:, None]),
        ))
        assert mean_loss(equations, plain) > LAST_LAYER_TOLERANCE * optimum
