"""The exact last-layer optimum: against a least-squares fit built pixel by pixel with NumPy, and
against the network's own loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ldct.denoising.dncnn import DnCNN
from ldct.training.last_layer import (
    NormalEquations,
    layer_weights,
    mean_loss,
    set_last_layer,
    solve,
    with_trunk_features,
)


def tiny_case(seed=0, count=5, size=7, channels=3):
    torch.manual_seed(seed)
    model = DnCNN(depth=3, channels=channels, batch_norm=False).eval()
    generator = torch.Generator().manual_seed(seed + 1)
    clean = torch.rand((count, 1, size, size), generator=generator)
    noisy = clean + 0.1 * torch.randn((count, 1, size, size), generator=generator)
    return model, noisy, clean


def brute_force_fit(model: DnCNN, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[np.ndarray, float]:
    """Least squares over explicit rows: each pixel's zero-padded 3 x 3 neighbourhood of every
    trunk channel (channel-major, then row, then column, as conv weights are laid out), then 1."""
    with torch.no_grad():
        features = model.model[:-1](noisy).double().numpy()
    padded = np.pad(features, ((0, 0), (0, 0), (1, 1), (1, 1)))
    rows, targets = [], []
    count, channels, size, _ = features.shape
    for n in range(count):
        for i in range(size):
            for j in range(size):
                rows.append(np.concatenate([padded[n, :, i : i + 3, j : j + 3].reshape(-1), [1.0]]))
                targets.append(float(noisy[n, 0, i, j]) - float(clean[n, 0, i, j]))
    rows, targets = np.array(rows), np.array(targets)
    weights, *_ = np.linalg.lstsq(rows, targets, rcond=None)
    return weights, float(np.mean((rows @ weights - targets) ** 2))


def test_the_solution_is_the_least_squares_fit_built_pixel_by_pixel():
    model, noisy, clean = tiny_case()
    equations = NormalEquations.of(with_trunk_features(model, noisy), clean, chunk=2)
    weights, loss = solve(equations)
    expected_weights, expected_loss = brute_force_fit(model, noisy, clean)
    # The features come from the network's float32 path (channels-last, folded) in both fits.
    np.testing.assert_allclose(weights.numpy(), expected_weights, rtol=1e-4, atol=1e-6)
    assert loss == pytest.approx(expected_loss, rel=1e-6)


def test_the_network_with_the_solved_layer_reaches_the_minimum_and_nothing_beats_it():
    model, noisy, clean = tiny_case(seed=3)
    equations = NormalEquations.of(with_trunk_features(model, noisy), clean)
    with torch.no_grad():
        before = float(torch.mean((model(noisy) - clean) ** 2))
    assert mean_loss(equations, layer_weights(model.last_layer)) == pytest.approx(before, rel=1e-5)
    weights, minimum = solve(equations)
    set_last_layer(model.last_layer, weights)
    with torch.no_grad():
        assert float(torch.mean((model(noisy).double() - clean.double()) ** 2)) == pytest.approx(minimum, rel=1e-5)
    assert minimum < before
    generator = torch.Generator().manual_seed(9)
    for _ in range(20):
        nudged = weights + 1e-3 * torch.randn(weights.shape, generator=generator, dtype=torch.float64)
        assert mean_loss(equations, nudged) > minimum


def test_a_dead_feature_channel_gets_a_zero_weight_not_an_error():
    model, noisy, clean = tiny_case(seed=5)
    with torch.no_grad():  # channel 1 of the trunk's last convolution never fires
        model.model[2].weight[1] = 0.0
        model.model[2].bias[1] = -1.0
    equations = NormalEquations.of(with_trunk_features(model, noisy), clean)
    weights, loss = solve(equations)
    assert float(weights[9:18].abs().max()) < 1e-9
    assert np.isfinite(loss)


def test_the_convergence_record_holds_a_last_layer_to_one_percent_and_every_layer_to_the_optimum():
    from ldct.training.convergence import convergence_record

    assert convergence_record("last", "adam", 1.0099, 1.0, 3)["converged"]
    assert not convergence_record("last", "adam", 1.0101, 1.0, 3)["converged"]
    assert convergence_record("all", "exact", 1.0 + 1e-7, 1.0, 0)["converged"]  # float32 rounding
    assert not convergence_record("all", "exact", 1.001, 1.0, 2)["converged"]
    record = convergence_record("last", "adam", 2.0, 0.5, 1)
    assert record["ratio"] == 4.0 and record["limit"] == pytest.approx(0.505) and record["kept_epoch"] == 1


def test_the_training_loss_is_the_mean_squared_error_over_every_training_pixel():
    from ldct.core.window import HuWindow
    from ldct.denoising.scaling import window_scaling
    from ldct.training.convergence import training_loss

    model, noisy, clean = tiny_case(seed=7)
    scaling = window_scaling(HuWindow(0.0, 1.0))  # HU equal to network units
    chosen = np.array([True, False, True, True, False])
    with torch.no_grad():
        expected = np.mean((model(noisy[chosen]).numpy() - clean[chosen].numpy()) ** 2)
    loss = training_loss(model, noisy[:, 0].numpy(), clean[:, 0].numpy(), chosen, scaling, "cpu")
    assert loss == pytest.approx(float(expected), rel=1e-5)


def test_weighted_equations_count_a_patch_of_integer_weight_that_many_times():
    """Weights 2, 1, 0, 3, 1 solve the problem of the patches repeated 2, 1, 0, 3 and 1 times:
    the weighted normal equations against the plain ones of an independently built set. The
    features are computed once and repeated by index: a convolution of a batch of 7 need not
    round as one of 5 does, and these equations are near singular, so only float64 summation
    order is left to differ."""
    model, noisy, clean = tiny_case(seed=11)
    weights = torch.tensor([2.0, 1.0, 0.0, 3.0, 1.0])
    repeated = [0, 0, 1, 3, 3, 3, 4]
    features = with_trunk_features(model, noisy)
    weighted = NormalEquations.of(features, clean, weights, chunk=2)
    plain = NormalEquations.of(features[repeated], clean[repeated])
    solved, loss = solve(weighted)
    expected, expected_loss = solve(plain)
    np.testing.assert_allclose(solved.numpy(), expected.numpy(), rtol=1e-6, atol=1e-9)
    assert loss == pytest.approx(expected_loss, rel=1e-9)
    assert weighted.total_weight == plain.count and weighted.count == 5 * 49
