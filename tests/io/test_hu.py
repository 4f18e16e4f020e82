"""Unit tests of ldct.io.hu (rescale to HU, padding, centre crop) and ldct.core.storage (files)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pydicom.dataset import Dataset

from ldct.core.storage import (
    load_image,
    load_json,
    read_table,
    save_image,
    sidecar_path,
    write_table,
)
from ldct.io.hu import MIN_TISSUE_HU, padding_mask, to_hu

# --------------------------------------------------------------------------- to_hu


def _dataset(slope=None, intercept=None, padding=None, padding_limit=None) -> Dataset:
    dataset = Dataset()
    if slope is not None:
        dataset.RescaleSlope = slope
    if intercept is not None:
        dataset.RescaleIntercept = intercept
    if padding is not None:
        dataset.PixelPaddingValue = padding
    if padding_limit is not None:
        dataset.PixelPaddingRangeLimit = padding_limit
    return dataset


def test_to_hu_applies_rescale():
    """HU = stored x slope + intercept, checked value by value; float32; nothing filled."""
    pixels = np.array([[0, 1000, 1024], [2048, 3000, 4095]], dtype=np.uint16)
    hu, filled = to_hu(_dataset(slope=1, intercept=-1024), pixels)
    assert hu.dtype == np.float32
    assert_array_equal(hu, [[-1024.0, -24.0, 0.0], [1024.0, 1976.0, 3071.0]])
    assert filled == 0

    hu, filled = to_hu(_dataset(slope="0.5", intercept="-10"), np.array([[100, -20, 3]], np.int16))
    assert_array_equal(hu, [[40.0, -20.0, -8.5]])
    assert filled == 0


def test_to_hu_without_rescale_tags_is_identity():
    """No RescaleSlope / RescaleIntercept: slope 1, intercept 0."""
    pixels = np.array([[-1000, 0, 55]], dtype=np.int16)
    hu, filled = to_hu(Dataset(), pixels)
    assert_array_equal(hu, [[-1000.0, 0.0, 55.0]])
    assert filled == 0


def test_to_hu_fills_padding_and_below_minimum_tissue():
    """Padding-value pixels (even at tissue HU) and pixels below -1024 HU become fill_hu, and are counted."""
    assert MIN_TISSUE_HU == -1024.0
    # slope 1, intercept -1024, padding stored value 1064 (= 40 HU, a tissue value).
    pixels = np.array(
        [[1064, 1064, 0, 1, 1024], [2024, 1063, 1065, 0, 1064]], dtype=np.int16
    )
    pixels[0, 2] = -976  # -2000 HU: outside-FOV fill without padding tag
    dataset = _dataset(slope=1, intercept=-1024, padding=1064)
    hu, filled = to_hu(dataset, pixels, fill_hu=-1000.0)
    expected = np.array(
        [[-1000.0, -1000.0, -1000.0, -1023.0, 0.0], [1000.0, 39.0, 41.0, -1024.0, -1000.0]]
    )
    assert_array_equal(hu, expected)
    assert filled == 4  # three padding pixels + one at -2000 HU; -1024 HU itself is kept


def test_to_hu_custom_fill_and_padding_range():
    """fill_hu is honoured; Pixel Padding Range Limit extends the mask to [value, limit] in either order."""
    pixels = np.array([[5, 6, 7, 8, 9, 10]], dtype=np.int16)
    dataset = _dataset(slope=1, intercept=0, padding=9, padding_limit=7)
    assert_array_equal(padding_mask(dataset, pixels), [[False, False, True, True, True, False]])
    hu, filled = to_hu(dataset, pixels, fill_hu=-3024.0)
    assert_array_equal(hu, [[5.0, 6.0, -3024.0, -3024.0, -3024.0, 10.0]])
    assert filled == 3


def test_padding_mask_without_tag_is_empty():
    """No Pixel Padding Value: nothing is padding."""
    assert not padding_mask(Dataset(), np.zeros((3, 4), np.int16)).any()


# --------------------------------------------------------------------------- storage


def test_save_load_image_round_trip(tmp_path):
    """save_image/load_image: float32 values and shape kept, sidecar holds meta plus 'shape'; no temp files."""
    image = np.random.default_rng(0).normal(scale=300.0, size=(7, 9))  # float64 input
    meta = {"image": "abdomen", "dose": 0.05, "pixel_spacing_mm": [0.7, 0.7],
            "seed": np.int64(3)}
    path = tmp_path / "sub" / "abdomen_d0.05_r3.npy"
    save_image(path, image, meta)
    loaded, sidecar = load_image(path)
    assert loaded.dtype == np.float32
    assert_array_equal(loaded, image.astype(np.float32))
    assert sidecar == {"image": "abdomen", "dose": 0.05, "pixel_spacing_mm": [0.7, 0.7],
                       "seed": 3, "shape": [7, 9]}
    assert load_json(sidecar_path(path)) == sidecar
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "abdomen_d0.05_r3.json", "abdomen_d0.05_r3.npy"]


def test_save_image_rejects_non_2d(tmp_path):
    """A 3-D array is a ValueError and leaves no file behind."""
    with pytest.raises(ValueError):
        save_image(tmp_path / "x.npy", np.zeros((2, 3, 4)), {})
    assert list(tmp_path.iterdir()) == []


def test_write_read_table_round_trip(tmp_path):
    """Tab-separated with header, columns in the given order, NaN written as NA, floats to 10 digits."""
    rows = [
        {"method": "median", "dose": 0.05, "p_value": float("nan"), "n": 10, "extra": "x"},
        {"method": "wiener", "dose": 0.75, "p_value": np.float64(1.23456789012345e-7), "n": 3,
         "extra": "y"},
    ]
    path = tmp_path / "stats.tsv"
    write_table(path, rows, ["method", "dose", "n", "p_value"])
    text = path.read_text()
    assert text == ("method\tdose\tn\tp_value\n"
                    "median\t0.05\t10\tNA\n"
                    "wiener\t0.75\t3\t1.23456789e-07\n")
    table = read_table(path)
    assert table == [
        {"method": "median", "dose": "0.05", "n": "10", "p_value": "NA"},
        {"method": "wiener", "dose": "0.75", "n": "3", "p_value": "1.23456789e-07"},
    ]
    assert math.isclose(float(table[1]["p_value"]), 1.23456789012345e-7, rel_tol=1e-9)
    assert [p.name for p in tmp_path.iterdir()] == ["stats.tsv"]


def test_write_table_overwrites_atomically(tmp_path):
    """Writing twice replaces the file and leaves no temporary file in the folder."""
    path = tmp_path / "t.tsv"
    write_table(path, [{"a": 1.0}], ["a"])
    write_table(path, [{"a": 2.5}, {"a": float("nan")}], ["a"])
    assert read_table(path) == [{"a": "2.5"}, {"a": "NA"}]
    assert [p.name for p in tmp_path.iterdir()] == ["t.tsv"]
