"""Images as ``.npy`` + ``.json`` sidecar pairs, and tab-separated tables, written atomically.

Every writer here writes to a temporary file in the destination folder and renames it into
place, so an interrupted job never leaves a half-written result behind.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call ``write(file_object)`` on a temporary file, then rename it to ``path``.

    A reader never sees a half-written ``path``, and a failed write leaves nothing behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    atomic_write(path, lambda handle: np.save(handle, image, allow_pickle=False))
    save_json(sidecar_path(path), dict(meta, shape=list(image.shape)))


def images_by_meta(paths: Iterable[str | os.PathLike], *keys: str) -> dict[Any, np.ndarray]:
    """Load images and key each by its sidecar's ``keys`` values (one key: the value itself)."""
    images = {}
    for path in paths:
        image, meta = load_image(path)
        values = tuple(meta[key] for key in keys)
        images[values[0] if len(values) == 1 else values] = image
    return images


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write any float32 array to ``path`` as ``.npy`` (no pickle), atomically."""
    array = np.asarray(array, dtype=np.float32)
    atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False))


def load_array(path: str | os.PathLike) -> np.ndarray:
    """Read an array written by :func:`save_array`."""
    return np.load(path, allow_pickle=False)


def load_image(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read an image written by :func:`save_image`: (float32 HU array, sidecar dict)."""
    image = np.load(path, allow_pickle=False)
    return image, load_json(sidecar_path(path))


def write_table(
    path: str | os.PathLike, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]
) -> None:
    """Write ``rows`` as a tab-separated table with a header line, in ``columns`` order.

    Floats are written with 10 significant digits; NaN is written as ``NA``.
    """

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "NA" if np.isnan(value) else format(float(value), ".10g")
        return str(value)

    lines = ["\t".join(columns)]
    lines += ["\t".join(cell(row[column]) for column in columns) for row in rows]
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda handle: handle.write(text.encode()))


def table_number(text: str) -> float:
    """A numeric cell of a table written by :func:`write_table`; ``NA`` is NaN."""
    return float("nan") if text == "NA" else float(text)


def read_table(path: str | os.PathLike) -> list[dict[str, str]]:
    """Read a table written by :func:`write_table` as a list of ``{column: text}`` rows."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
