"""HU scaling: a fixed window for every image, or each slice's own minimum and maximum."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.core.errors import LdctInputError
from ldct.core.window import HuWindow
from ldct.denoising.scaling import image_extremes, minmax_scaling, stack_scaling, window_scaling

WINDOW = HuWindow(-1000, 1000)


def stack_of_unlike_images() -> np.ndarray:
    """Three 20 x 24 float32 HU images of very different ranges."""
    rng = np.random.default_rng(4)
    return np.stack([rng.normal(level, sd, (20, 24)) for level, sd in ((40, 20), (-600, 300), (900, 5))]).astype(
        np.float32
    )


def test_window_scaling_is_the_linear_map_of_the_window_for_every_image():
    hu = np.random.default_rng(0).normal(0, 800, (2, 5, 6)).astype(np.float32)
    scaling = window_scaling(WINDOW)
    expected = ((hu.astype(np.float64) + 1000) / 2000).astype(np.float32)
    np.testing.assert_array_equal(scaling.to_network(hu), expected)
    np.testing.assert_array_equal(scaling.to_network(hu[0]), expected[0])
    assert scaling.rows(slice(0, 1)) is scaling
    assert scaling.describe() == {"hu_scaling": "window", "hu_window": {"low_hu": -1000, "high_hu": 1000}}


def test_minmax_maps_each_image_to_zero_one_and_back_to_its_hu():
    stack = stack_of_unlike_images()
    names = ["a", "b", "c"]
    scaling = stack_scaling("minmax", stack, WINDOW, names)
    network = scaling.to_network(stack)
    assert network.dtype == np.float32
    for image, values in zip(stack, network):
        low, high = float(image.min()), float(image.max())
        np.testing.assert_allclose(values, (image.astype(np.float64) - low) / (high - low), rtol=0, atol=1e-7)
        assert (values.min(), values.max()) == (0.0, 1.0)
    back = scaling.to_hu(network)
    assert back.dtype == np.float32
    spans = (stack.max(axis=(1, 2)) - stack.min(axis=(1, 2)))[:, None, None]
    assert (np.abs(back - stack) <= 2 * np.finfo(np.float32).eps * np.maximum(np.abs(stack), spans)).all()
    middle = scaling.rows(slice(1, 2))
    np.testing.assert_array_equal(middle.to_network(stack[1:2]), network[1:2])
    assert scaling.describe()["hu_min_max"][2] == [float(stack[2].min()), float(stack[2].max())]


def test_image_extremes_are_each_images_own():
    stack = stack_of_unlike_images()
    low, high = image_extremes(stack)
    np.testing.assert_array_equal(low, [image.min() for image in stack])
    np.testing.assert_array_equal(high, [image.max() for image in stack])


def test_a_constant_image_is_refused_by_name():
    stack = stack_of_unlike_images()
    stack[1] = -1000.0
    with pytest.raises(LdctInputError, match="slice b: constant image"):
        stack_scaling("minmax", stack, WINDOW, ["slice a", "slice b", "slice c"])
    window_scaling(WINDOW).to_network(stack)  # a window maps it all the same
    with pytest.raises(LdctInputError, match="patch 0"):
        minmax_scaling(np.array([5.0]), np.array([5.0]), ["patch 0"])


def test_an_unknown_scaling_is_refused():
    with pytest.raises(ValueError, match="unknown HU scaling 'gamma'"):
        stack_scaling("gamma", stack_of_unlike_images(), WINDOW, ["a", "b", "c"])
