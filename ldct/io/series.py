"""A folder of CT DICOM slices through a per-slice operation into a new DICOM series folder.

Slices are read, processed and written one at a time, so memory holds one slice (and the
operation's model), whatever the series' length. Every file's header is checked before any
output is written; the output is built in the hidden ``.incomplete/`` folder beside the
destination (:func:`ldct.core.storage.atomic_folder`) and renamed into place when every slice is
done, so a failure leaves no partial output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from tqdm import tqdm

from ldct.core.errors import LdctInputError
from ldct.core.storage import atomic_folder
from ldct.io.dicom_read import read_ct_slice
from ldct.io.dicom_write import Derivation, derived_slice, hu_to_stored, write_dicom
from ldct.io.hu import to_hu_with_fill
from ldct.io.memory import SliceMemoryLimit

#: File names in a series folder that are not slices (a DICOMDIR media index).
NOT_SLICES = {"DICOMDIR"}

#: One slice's operation: (HU image, its dataset, its file) -> processed HU image, same shape.
SliceOperation = Callable[[np.ndarray, Dataset, Path], np.ndarray]


def series_files(folder: str | Path, memory: SliceMemoryLimit | None = None) -> list[Path]:
    """The CT slices directly in ``folder`` (hidden files and DICOMDIR skipped), by name.

    Raises :class:`LdctInputError` naming the folder when it is missing or empty, and naming
    the file when one is not DICOM, not a CT image, or (by its Rows and Columns) a slice too
    large for ``memory``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LdctInputError(f"{folder}: not a folder")
    files = sorted(
        path for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name not in NOT_SLICES
    )
    if not files:
        raise LdctInputError(f"{folder}: holds no DICOM files")
    for path in files:
        try:
            header = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as error:  # pydicom raises several types for damaged files
            raise LdctInputError(f"{path}: not a readable DICOM file ({error})") from error
        if header.get("Modality") != "CT":
            raise LdctInputError(f"{path}: Modality is '{header.get('Modality')}', expected 'CT'")
        if memory is not None:
            memory.check(path, int(header.get("Rows", 0)), int(header.get("Columns", 0)))
    return files


def stored_result(dataset: Dataset, pixels: np.ndarray, hu: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """``hu`` as stored values of ``dataset``'s encoding, with the ``kept`` pixels (padding and
    outside the scan circle) holding their original stored values ``pixels``."""
    stored = hu_to_stored(dataset, hu)
    stored[kept] = pixels[kept]
    return stored


def process_series(
    input_folder: str | Path,
    output_folder: str | Path,
    operation: SliceOperation,
    derivation: Derivation,
    progress: bool = True,
    memory: SliceMemoryLimit | None = None,
) -> list[Path]:
    """Apply ``operation`` to every slice of ``input_folder`` and write the derived series
    (:mod:`ldct.io.dicom_write`) to ``output_folder``, each file named as its input.

    The operation sees HU with padding and outside-scan-circle pixels at -1000 HU (air); those
    pixels keep their stored values in the output. ``output_folder`` must not exist or be
    empty. Every slice must fit ``memory`` (checked for all before any is processed). Returns
    the written files. ``progress`` shows a progress bar on stderr.
    """
    files = series_files(input_folder, memory)
    output = Path(output_folder)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise LdctInputError(f"{output}: already exists and is not an empty folder; name a new one")
    with atomic_folder(output) as staging:
        for path in tqdm(files, desc=derivation.summary, unit="slice", disable=not progress):
            dataset, pixels = read_ct_slice(path)
            hu, kept = to_hu_with_fill(dataset, pixels)
            stored = stored_result(dataset, pixels, operation(hu, dataset, path), kept)
            write_dicom(staging / path.name, derived_slice(dataset, stored, derivation))
    return [output / path.name for path in files]
