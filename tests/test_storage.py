"""Result files: written whole (atomically) and readable like any other file."""

from __future__ import annotations

import os
import stat

import numpy as np

from ldct.storage import (
    _UMASK,
    images_by_meta,
    read_table,
    save_image,
    save_json,
    table_number,
    write_table,
)


def test_written_files_get_the_usual_permissions_and_no_temporary_is_left(tmp_path):
    write_table(tmp_path / "t.tsv", [{"a": 1, "b": 0.5}], ["a", "b"])
    save_json(tmp_path / "m.json", {"x": 1})
    for name in ("t.tsv", "m.json"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o666 & ~_UMASK, oct(mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "t.tsv"]
    assert read_table(tmp_path / "t.tsv") == [{"a": "1", "b": "0.5"}]


def test_images_are_keyed_by_their_sidecar_values(tmp_path):
    """One key gives the value itself, several a tuple; each image comes back unchanged."""
    paths = []
    for k, (dose, method) in enumerate([(0.5, "median"), (0.1, "median"), (0.1, "dncnn")]):
        path = tmp_path / f"{k}.npy"
        save_image(path, np.full((2, 3), k, dtype=np.float32), {"dose": dose, "method": method})
        paths.append(path)
    by_pair = images_by_meta(paths, "dose", "method")
    assert sorted(by_pair) == [(0.1, "dncnn"), (0.1, "median"), (0.5, "median")]
    assert by_pair[(0.1, "dncnn")][0, 0] == 2
    assert set(images_by_meta(paths[:2], "dose")) == {0.5, 0.1}


def test_table_numbers_read_na_as_nan():
    assert np.isnan(table_number("NA"))
    assert table_number("0.25") == 0.25
