"""The fine-tuning loss readings: plain MSE and MSE weighted per dose by its inverse noise variance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ldct.training.loss import patch_weights, pooled_psnr_db, weighted_mse


def test_dose_weights_are_inverse_noise_variances_of_mean_one_over_the_training_patches():
    full = np.zeros((6, 4, 4))
    doses = np.array([0.5, 0.5, 0.1, 0.1, 0.1, 0.5])
    # Errors of 1 at 50 % (variance 1) and 2 at 10 % (variance 4); patch 5, validation, has 9.
    low = full + np.array([1.0, -1.0, 2.0, -2.0, 2.0, 9.0])[:, None, None]
    is_training = np.array([True, True, True, True, True, False])
    weights = patch_weights("dose_weighted_mse", low, full, doses, is_training)
    # Inverse variances 1 and 1/4; their mean over the 5 training patches is (2 + 3/4) / 5 = 0.55.
    np.testing.assert_allclose(weights, np.array([1, 1, 0.25, 0.25, 0.25, 1]) / 0.55)
    assert weights[is_training].mean() == pytest.approx(1.0)
    assert patch_weights("mse", low, full, doses, is_training) is None


def test_a_dose_without_noise_or_training_patches_has_no_weight():
    full = np.zeros((2, 3, 3))
    with pytest.raises(ValueError, match="dose 0.1: no training patch with noise"):
        patch_weights("dose_weighted_mse", full, full, np.array([0.5, 0.1]), np.array([True, True]))
    with pytest.raises(ValueError, match="dose 0.1: no training patch"):
        patch_weights("dose_weighted_mse", full + 1, full, np.array([0.5, 0.1]), np.array([True, False]))
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        patch_weights("l1", full, full, np.array([0.5, 0.1]), np.array([True, True]))


def test_an_integer_weight_counts_a_patch_that_many_times():
    generator = torch.Generator().manual_seed(0)
    output, target = torch.rand((3, 1, 5, 5), generator=generator), torch.rand((3, 1, 5, 5), generator=generator)
    weights = torch.tensor([2.0, 1.0, 0.0])
    repeated = [0, 0, 1]
    # Both are (2 e0 + e1 + 0 e2) / 3 patches' pixels.
    assert float(weighted_mse(output, target, weights)) == pytest.approx(
        float(torch.mean((output[repeated] - target[repeated]) ** 2))
    )
    assert float(weighted_mse(output, target)) == pytest.approx(float(torch.mean((output - target) ** 2)))
    assert pooled_psnr_db(output, target, torch.ones(3)) == pytest.approx(pooled_psnr_db(output, target))
