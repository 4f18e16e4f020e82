"""Fast DnCNN inference: the folded network gives the plain eval-mode output, in any batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_checkpoints import with_trained_batch_norms
from torch import nn

from ldct.core.window import HuWindow
from ldct.denoising.dncnn import DnCNN, plain_denoise_hu
from ldct.denoising.inference import denoise_stack, fold_batch_norm, tile_spans
from ldct.denoising.scaling import stack_scaling, window_scaling

WINDOW = HuWindow(-1000.0, 1000.0)


def trained_like(depth: int = 6, channels: int = 16) -> DnCNN:
    torch.manual_seed(7)
    return with_trained_batch_norms(DnCNN(depth=depth, channels=channels), seed=8)


def test_folding_removes_every_batch_norm_and_keeps_the_output():
    model = trained_like()
    folded = fold_batch_norm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, nn.Conv2d) for m in folded.modules()) == 6
    x = torch.rand(3, 1, 31, 27)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), rtol=0, atol=2e-6)


@pytest.mark.parametrize("max_batch_bytes", [1, 1 << 30])
def test_a_stack_equals_the_plain_path_image_by_image_within_a_hundredth_of_a_hu(max_batch_bytes):
    """One image per batch or all at once: within 0.01 HU of plain_denoise_hu on each image."""
    model = trained_like()
    stack = np.random.default_rng(1).normal(40, 300, (4, 40, 36)).astype(np.float32)
    fast = denoise_stack(model, stack, window_scaling(WINDOW), "cpu", max_batch_bytes=max_batch_bytes)
    plain = np.stack([plain_denoise_hu(model, image, WINDOW, "cpu") for image in stack])
    assert fast.shape == stack.shape and fast.dtype == np.float32
    assert np.abs(fast - plain).max() < 0.01
    assert np.abs(fast - stack).mean() > 1.0  # the network does change the images


@pytest.mark.parametrize("max_batch_bytes", [1, 1 << 30])
def test_minmax_maps_every_image_of_a_stack_by_its_own_extremes(max_batch_bytes):
    """Each image to 0..1 by its own min and max, through the plain network, back with the same
    pair: computed here image by image; a stack of very different ranges."""
    model = trained_like()
    rng = np.random.default_rng(2)
    stack = np.stack([rng.normal(level, sd, (40, 36)) for level, sd in ((40, 30), (-700, 200), (300, 900))])
    stack = stack.astype(np.float32)
    names = [f"image {k}" for k in range(len(stack))]
    fast = denoise_stack(model, stack, stack_scaling("minmax", stack, WINDOW, names), "cpu", max_batch_bytes)
    for image, denoised in zip(stack, fast):
        low, high = float(image.min()), float(image.max())
        x = torch.from_numpy(((image - low) / (high - low)).astype(np.float32))[None, None]
        with torch.no_grad():
            expected = model.eval()(x)[0, 0].double().numpy() * (high - low) + low
        assert np.abs(denoised - expected).max() < 1e-5 * (high - low)
    shared = denoise_stack(model, stack, window_scaling(HuWindow(stack.min(), stack.max())), "cpu")
    assert np.abs(shared - fast).max() > 1.0  # one pair for the whole stack would differ


def test_exact_float32_turns_tf32_off_inside_and_restores_it_after():
    from ldct.denoising.inference import exact_float32

    flags = torch.backends.cudnn, torch.backends.cuda.matmul
    before = [flag.allow_tf32 for flag in flags]
    try:
        for flag in flags:
            flag.allow_tf32 = True
        with exact_float32():
            assert [flag.allow_tf32 for flag in flags] == [False, False]
        assert [flag.allow_tf32 for flag in flags] == [True, True]
    finally:
        for flag, value in zip(flags, before):
            flag.allow_tf32 = value


@pytest.mark.parametrize("scaling_name", ["window", "minmax"])
def test_tiled_and_whole_image_inference_differ_by_under_half_a_hu(scaling_name):
    """A 20-layer network (receptive radius 20 px) on 150 x 130 images: tiles of 48 px (cores
    meet inside the image in both directions) against the whole image in one pass."""
    torch.manual_seed(3)
    model = with_trained_batch_norms(DnCNN(depth=20, channels=8), seed=4)
    stack = np.random.default_rng(5).normal(40, 300, (2, 150, 130)).astype(np.float32)
    names = ["first", "second"]
    scaling = stack_scaling(scaling_name, stack, WINDOW, names)
    whole = denoise_stack(model, stack, scaling, "cpu")
    tiled = denoise_stack(model, stack, scaling, "cpu", tile_px=48)
    assert np.abs(tiled - whole).max() < 0.5
    assert np.abs(whole - stack).mean() > 1.0


def test_tile_cores_cover_the_axis_once_and_inputs_carry_the_margin():
    spans = tile_spans(130, 48, 20)
    covered = np.zeros(130, int)
    for core, inputs, part in spans:
        covered[core] += 1
        assert inputs.start == max(core.start - 20, 0) and inputs.stop == min(core.stop + 20, 130)
        assert np.arange(130)[inputs][part].tolist() == list(range(core.start, core.stop))
    assert (covered == 1).all() and len(spans) == 3
