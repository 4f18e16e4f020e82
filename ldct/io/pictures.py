"""Folders of natural pictures (the original DnCNN's training images): listing and reading.

A folder given as ``dncnn.pretrain.image_folder`` holds pictures such as the DnCNN authors'
Train400 (400 gray 180 x 180 PNGs). Every file of a picture type in it, sorted by name, is one
training image, read as grayscale floats in [0, 1] (colour pictures by luminance, scikit-image's
``rgb2gray``; an alpha channel dropped). Listing imports neither torch nor scikit-image (nor
scipy with it), so the workflow's parser uses it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ldct.core.errors import LdctInputError

#: File types read as pictures (case-insensitive).
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def picture_files(folder: str | os.PathLike, key: str = "dncnn.pretrain.image_folder") -> list[Path]:
    """Every picture file of ``folder``, sorted by name; an error naming config ``key`` when the
    folder is missing or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LdctInputError(f"config key {key}: '{folder}' is not a folder")
    files = sorted(
        path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in PICTURE_SUFFIXES
    )
    if not files:
        raise LdctInputError(
            f"config key {key}: '{folder}' holds no picture ({', '.join(PICTURE_SUFFIXES)})"
        )
    return files


def read_picture(path: str | os.PathLike) -> np.ndarray:
    """One picture as a 2-D grayscale float32 array in [0, 1] (integer pictures divided by their
    type's maximum, 255 for 8 bits)."""
    from skimage import color, io, util  # here only: the workflow's parser lists folders

    try:
        image = io.imread(path)
    except Exception as error:  # imageio raises many types for unreadable files
        raise LdctInputError(f"{path}: not a readable picture ({error})") from error
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        image = color.rgb2gray(image[..., :3])
    if image.ndim != 2:
        raise LdctInputError(f"{path}: not a 2-D gray or colour picture (shape {image.shape})")
    return util.img_as_float32(image)
