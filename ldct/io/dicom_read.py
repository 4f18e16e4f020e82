"""Finding and reading CT DICOM files: the embedded slices and a user's local folder."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from ldct.core.errors import LdctInputError
from ldct.io.embedded import shipped_path
from ldct.io.memory import SliceMemoryLimit


def embedded_dicom_path(filename: str) -> Path:
    """Absolute path of an embedded DICOM file, never downloading: shipped by ldct
    (:mod:`ldct.io.embedded`, e.g. ``abdominal_ct/kits_00072/1-011.dcm``), else by pydicom or
    pydicom-data (their test file names).

    Raises ValueError when none of them ships ``filename``.
    """
    shipped = shipped_path(filename)
    if shipped is not None:
        return shipped
    path = get_testdata_file(filename, download=False)
    if path is None:
        raise ValueError(
            f"file '{filename}' is neither shipped by ldct (ldct/data) nor by the installed "
            "pydicom / pydicom-data packages (install 'pydicom-data')"
        )
    return Path(path)


def image_id_from_filename(path: Path) -> str:
    """An image id usable as a Snakemake wildcard: the file stem with odd characters as '_'."""
    stem = path.name[: -len(path.suffix)] if path.suffix.lower() == ".dcm" else path.name
    return re.sub(r"[^A-Za-z0-9_\-]", "_", stem).lstrip("_-") or "image"


def list_dicom_folder(folder: str | Path) -> dict[str, Path]:
    """Map image id to file for every regular, non-hidden file directly in ``folder``.

    Files are not opened here (that is the ``acquire`` rule's job); hidden files and
    sub-folders are skipped. Raises ValueError when ``folder`` is not a folder, holds no
    files, or two files map to the same id.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"'{folder}' is not a folder")
    images: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        image_id = image_id_from_filename(path)
        if image_id in images:
            raise ValueError(
                f"files '{images[image_id].name}' and '{path.name}' both map to image id "
                f"'{image_id}'; rename one"
            )
        images[image_id] = path
    if not images:
        raise ValueError(f"'{folder}' holds no files")
    return images


def read_ct_slice(path: str | Path, memory: SliceMemoryLimit | None = None) -> tuple[Dataset, np.ndarray]:
    """Read one CT slice: its dataset and decoded stored pixel values (2-D, integer).

    Raises :class:`LdctInputError` naming ``path`` when the file is not DICOM, is not a CT
    image (Modality must be ``CT``), has no or undecodable pixel data, holds more than one
    frame, or (checked from Rows and Columns before decoding) needs more than ``memory``.
    """
    try:
        dataset = pydicom.dcmread(path)
    except Exception as error:  # pydicom raises several types for damaged files
        raise LdctInputError(f"{path}: not a readable DICOM file ({error})") from error
    modality = dataset.get("Modality")
    if modality != "CT":
        raise LdctInputError(f"{path}: Modality is '{modality}', expected 'CT'")
    if "PixelData" not in dataset:
        raise LdctInputError(f"{path}: the file holds no pixel data")
    if memory is not None:
        memory.check(path, int(dataset.get("Rows", 0)), int(dataset.get("Columns", 0)))
    try:
        pixels = dataset.pixel_array
    except Exception as error:
        raise LdctInputError(f"{path}: pixel data cannot be decoded ({error})") from error
    if pixels.ndim != 2:
        raise LdctInputError(f"{path}: expected one 2-D slice, got pixel array {pixels.shape}")
    return dataset, pixels
