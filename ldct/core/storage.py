"""Images as ``.npy`` + ``.json`` sidecar pairs, and tab-separated tables, written atomically.

Every writer here writes to a temporary file and renames it into place, so an interrupted job
never leaves a half-written result behind. Temporaries live in a hidden ``.incomplete/`` folder
inside the destination folder (same file system, so the rename is atomic), never beside the
results under a name a glob for results could match.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ldct.core.errors import LdctInputError

#: The hidden folder, inside a destination folder, that holds what is being written there.
#: A temporary for ``name`` is ``.incomplete/name.XXXXXXXX.part`` (8 random characters).
INCOMPLETE_FOLDER = ".incomplete"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _remove_leftovers(area: Path, name: str) -> None:
    """Remove the temporaries of ``name`` in ``area`` that a killed writer left behind."""
    try:
        entries = list(area.iterdir())
    except FileNotFoundError:  # no area, or another writer removed it once it was empty
        return
    pattern = re.compile(re.escape(name) + r"\.[a-z0-9_]{8}\.part")
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _claim_temporary(path: Path, create: Callable[[Path, str], Any]) -> Any:
    """``create(area, prefix)`` a new temporary for ``path`` in its folder's incomplete area
    (the folder made if need be), after removing what earlier, killed writes of ``path`` left
    there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    area = path.parent / INCOMPLETE_FOLDER
    _remove_leftovers(area, path.name)
    while True:  # another writer may remove the emptied area at any moment: then try again
        try:
            area.mkdir(exist_ok=True)
            return create(area, f"{path.name}.")
        except (FileExistsError, FileNotFoundError):
            if not path.parent.is_dir() or (area.exists() and not area.is_dir()):
                raise  # not that race: no folder to write in, or a file where the area goes


def _leave_incomplete_area(area: Path) -> None:
    """Remove the incomplete area once nothing is being written there."""
    try:
        area.rmdir()
    except OSError:  # other writes in progress, or a killed writer's leftovers
        pass


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call ``write(file_object)`` on a temporary file, then rename it to ``path``.

    A reader never sees a half-written ``path``, and a failed write leaves nothing behind. A
    process killed outright (SIGKILL, power loss) cannot remove its temporary file, which stays
    in ``.incomplete/`` beside ``path``: the next write of ``path`` removes it first (only one
    job writes a given path).
    """
    path = Path(path)
    fd, tmp = _claim_temporary(
        path, lambda area, prefix: tempfile.mkstemp(dir=area, prefix=prefix, suffix=".part")
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        _leave_incomplete_area(Path(tmp).parent)


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """A new, empty staging folder to fill; renamed to ``path`` when the block ends normally.

    ``path`` must not exist or be an empty folder. Like :func:`atomic_write`, the staging
    folder lives in ``.incomplete/`` beside ``path``, an error removes it, and the next write
    of ``path`` removes one that a killed process left behind.
    """
    path = Path(path)
    staging = Path(
        _claim_temporary(
            path, lambda area, prefix: tempfile.mkdtemp(dir=area, prefix=prefix, suffix=".part")
        )
    )
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_UMASK)  # mkdtemp makes 0700; give the usual permissions
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _leave_incomplete_area(staging.parent)


def copy_file(source: str | os.PathLike, destination: str | os.PathLike) -> None:
    """Copy the bytes of ``source`` to ``destination``."""
    data = Path(source).read_bytes()
    atomic_write(destination, lambda handle: handle.write(data))


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar_path(image_path: str | os.PathLike) -> Path:
    """The ``.json`` sidecar that belongs to an ``.npy`` image path."""
    return Path(image_path).with_suffix(".json")


def save_json(path: str | os.PathLike, data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented, key-sorted JSON."""
    text = json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n"
    atomic_write(path, lambda handle: handle.write(text.encode()))


def load_json(path: str | os.PathLike) -> dict[str, Any]:
    """Read a JSON object from ``path``."""
    with open(path) as handle:
        return json.load(handle)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def save_image(path: str | os.PathLike, image: np.ndarray, meta: Mapping[str, Any]) -> None:
    """Write a 2-D float32 HU image to ``path`` (``.npy``) and ``meta`` to its ``.json`` sidecar."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {image.shape}")
    _save_with_sidecar(path, image, meta)


def save_stack(path: str | os.PathLike, stack: np.ndarray, meta: Mapping[str, Any]) -> None:
    """Write a stack of 2-D float32 HU images (N, rows, cols) and its ``.json`` sidecar."""
    stack = np.asarray(stack, dtype=np.float32)
    if stack.ndim != 3:
        raise ValueError(f"expected a stack of 2-D images, got shape {stack.shape}")
    _save_with_sidecar(path, stack, meta)


def _save_with_sidecar(path: str | os.PathLike, array: np.ndarray, meta: Mapping[str, Any]) -> None:
    _check_finite(path, array)
    atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False))
    save_json(sidecar_path(path), dict(meta, shape=list(array.shape)))


def _check_finite(path: str | os.PathLike, array: np.ndarray) -> None:
    """Raise :class:`LdctInputError` naming ``path`` when ``array`` holds a NaN or infinite value:
    how many, and the index and value of the first (C order)."""
    non_finite = ~np.isfinite(array)
    if non_finite.any():
        first = np.unravel_index(np.argmax(non_finite), array.shape)
        raise LdctInputError(
            f"{path}: {np.count_nonzero(non_finite)} of {array.size} values are not finite "
            f"(the first, {array[first]}, at index {tuple(int(i) for i in first)}); nothing written"
        )


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write any float32 array to ``path`` as ``.npy`` (no pickle), atomically.

    Like :func:`save_image` and :func:`save_stack`, it writes nothing and raises
    :class:`LdctInputError` naming ``path`` when a value is NaN or infinite (after the cast to
    float32, so a value beyond float32's range counts too).
    """
    array = np.asarray(array, dtype=np.float32)
    _check_finite(path, array)
    atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False))


def load_array(path: str | os.PathLike) -> np.ndarray:
    """Read an array written by :func:`save_array`."""
    return np.load(path, allow_pickle=False)


def load_image(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read an image or stack written by :func:`save_image` or :func:`save_stack`:
    (float32 HU array, sidecar dict)."""
    image = np.load(path, allow_pickle=False)
    return image, load_json(sidecar_path(path))


FiniteColumns = Collection[str] | Callable[[Mapping[str, Any]], Collection[str]]
"""The columns of a table whose floats must be finite: the same for every row, or a function
of the row (for tables where a column is NA by design in some rows only)."""


def _cell(value: Any) -> str:
    """A table cell: floats with 10 significant digits, NaN as ``NA``."""
    if isinstance(value, (float, np.floating)):
        return "NA" if np.isnan(value) else format(float(value), ".10g")
    return str(value)


def _check_finite_cells(
    path: str | os.PathLike,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    finite_columns: FiniteColumns,
) -> None:
    """Raise :class:`LdctInputError` at the first float of ``finite_columns`` that is NaN or
    infinite, naming ``path``, the column, and the row by number and first four cells."""
    for number, row in enumerate(rows, start=1):
        for column in finite_columns(row) if callable(finite_columns) else finite_columns:
            value = row[column]
            if isinstance(value, (float, np.floating)) and not np.isfinite(value):
                label = ", ".join(f"{name} {_cell(row[name])}" for name in columns[:4])
                raise LdctInputError(
                    f"{path}: {column} is {float(value)} in row {number} ({label}) but must be a "
                    "finite number; nothing written"
                )


def write_table(
    path: str | os.PathLike,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    finite_columns: FiniteColumns = (),
) -> None:
    """Write ``rows`` as a tab-separated table with a header line, in ``columns`` order.

    Floats are written with 10 significant digits; NaN is written as ``NA``. A float that is
    NaN or infinite in one of ``finite_columns`` (a collection of column names, or a function
    giving them for each row) raises :class:`LdctInputError` naming ``path``, the column and
    the row (its number, counted from 1 below the header, and its first four cells), and
    nothing is written. Every other column may hold ``NA`` (and ``inf``).
    """
    rows = list(rows)
    _check_finite_cells(path, rows, columns, finite_columns)
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(row[column]) for column in columns) for row in rows]
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda handle: handle.write(text.encode()))


def table_number(text: str) -> float:
    """A numeric cell of a table written by :func:`write_table`; ``NA`` is NaN."""
    return float("nan") if text == "NA" else float(text)


def read_table(path: str | os.PathLike) -> list[dict[str, str]]:
    """Read a table written by :func:`write_table` as a list of ``{column: text}`` rows."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
