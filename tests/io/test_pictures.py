"""Folders of training pictures: every picture listed by name, read as gray [0, 1], bad folders
and files refused with one message."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import io

from ldct.core.errors import LdctInputError
from ldct.io.pictures import picture_files, read_picture


def test_every_picture_is_listed_in_name_order_and_other_files_are_not(tmp_path):
    for name in ("b.PNG", "a.png", "c.tif", "notes.txt", "d.jpeg"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.png").mkdir()
    assert [path.name for path in picture_files(tmp_path)] == ["a.png", "b.PNG", "c.tif", "d.jpeg"]


def test_a_missing_or_pictureless_folder_names_the_config_key(tmp_path):
    with pytest.raises(LdctInputError, match=r"^config key dncnn.pretrain.image_folder: '.*nowhere' is not a folder"):
        picture_files(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("no pictures")
    with pytest.raises(LdctInputError, match=r"^config key dncnn.pretrain.image_folder: '.*' holds no picture"):
        picture_files(tmp_path)


def test_gray_8_and_16_bit_pictures_are_scaled_by_their_types_maximum(tmp_path):
    gray8 = np.array([[0, 51], [255, 128]], dtype=np.uint8)
    gray16 = np.array([[0, 65535], [13107, 1]], dtype=np.uint16)
    io.imsave(tmp_path / "g8.png", gray8, check_contrast=False)
    io.imsave(tmp_path / "g16.png", gray16, check_contrast=False)
    np.testing.assert_allclose(read_picture(tmp_path / "g8.png"), [[0, 0.2], [1, 128 / 255]], rtol=1e-6)
    np.testing.assert_allclose(read_picture(tmp_path / "g16.png"), [[0, 1], [0.2, 1 / 65535]], rtol=1e-6)
    assert read_picture(tmp_path / "g8.png").dtype == np.float32


def test_colour_pictures_become_their_luminance_and_alpha_is_dropped(tmp_path):
    """ITU-R BT.709 luma weights (as scikit-image's rgb2gray), computed here by hand."""
    rgba = np.array([[[255, 0, 0, 10], [0, 255, 0, 255]], [[0, 0, 255, 0], [255, 255, 255, 255]]], dtype=np.uint8)
    io.imsave(tmp_path / "rgba.png", rgba, check_contrast=False)
    expected = [[0.2125, 0.7154], [0.0721, 1.0]]
    np.testing.assert_allclose(read_picture(tmp_path / "rgba.png"), expected, atol=1e-6)


def test_an_unreadable_picture_names_its_file(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(LdctInputError, match=r"broken.png: not a readable picture"):
        read_picture(broken)
