"""The DnCNN paper's Gaussian-denoising test: MATLAB's uint8 conversion, seeded noise of the
stated SD, and the PSNR of a network that changes nothing, computed independently."""

from __future__ import annotations

import numpy as np
import torch
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from ldct.denoising.dncnn import DnCNN
from ldct.evaluation.gaussian_denoising import denoised_psnr_db, noisy_image, to_uint8


def test_to_uint8_clips_and_rounds_half_away_from_zero_as_im2uint8():
    values = np.array([-0.2, 0.0, 0.5 / 255, 1.49 / 255, 254.5 / 255, 1.0, 1.3])
    assert to_uint8(values).tolist() == [0, 0, 1, 1, 255, 255, 255]


def test_the_noise_is_seeded_unclipped_and_of_the_stated_sd():
    clean = data.camera()
    first, again = noisy_image(clean, 25, seed=3), noisy_image(clean, 25, seed=3)
    assert np.array_equal(first, again) and not np.array_equal(first, noisy_image(clean, 25, seed=4))
    noise = first.astype(np.float64) - clean / 255.0
    assert abs(noise.std() * 255 - 25) < 0.25  # 262 144 draws: the SD's own error is about 0.03
    assert first.min() < 0 and first.max() > 1


def test_a_network_that_changes_nothing_scores_the_noisy_image_as_uint8():
    model = DnCNN(depth=3, channels=2, batch_norm=False)
    with torch.no_grad():
        model.last_layer.weight.zero_()
        model.last_layer.bias.zero_()
    clean = data.camera()[:128, :160]
    expected = peak_signal_noise_ratio(clean, to_uint8(noisy_image(clean, 15, seed=0)), data_range=255)
    assert abs(denoised_psnr_db(model, clean, 15, seed=0) - expected) < 1e-9
