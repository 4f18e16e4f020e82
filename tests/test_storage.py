"""Result files: written whole (atomically) and readable like any other file."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from ldct.storage import (
    _UMASK,
    draws,
    load_image,
    read_table,
    realization_images,
    save_array,
    save_json,
    save_stack,
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


def test_one_realization_of_each_stack_keyed_by_dose_and_sidecar_values(tmp_path):
    """No key gives the dose, keys a (dose, ...) tuple; each image comes back unchanged."""
    paths = []
    for k, (dose, method) in enumerate([(0.5, "median"), (0.1, "median"), (0.1, "dncnn")]):
        path = tmp_path / f"{k}.npy"
        stack = np.stack([np.full((2, 3), 10 * k + r, dtype=np.float32) for r in (3, 4)])
        meta = {"doses": [dose], "realizations": [3, 4], "method": method}
        save_stack(path, stack, meta)
        paths.append(path)
    by_pair = realization_images(paths, 4, "method")
    assert sorted(by_pair) == [(0.1, "dncnn"), (0.1, "median"), (0.5, "median")]
    assert by_pair[(0.1, "dncnn")][0, 0] == 24
    assert set(realization_images(paths[:2], 3)) == {0.5, 0.1}


def test_a_stack_lists_its_draws_dose_major(tmp_path):
    path = tmp_path / "s.npy"
    save_stack(path, np.zeros((4, 2, 2)), {"doses": [0.5, 0.1], "realizations": [0, 1]})
    stack, meta = load_image(path)
    assert stack.shape == (4, 2, 2) and meta["shape"] == [4, 2, 2]
    assert draws(meta) == [(0.5, 0), (0.5, 1), (0.1, 0), (0.1, 1)]
    with pytest.raises(ValueError, match="stack of 2-D images"):
        save_stack(path, np.zeros((2, 2)), {})


def test_table_numbers_read_na_as_nan():
    assert np.isnan(table_number("NA"))
    assert table_number("0.25") == 0.25


def test_a_write_removes_the_temporary_file_a_killed_writer_left(tmp_path):
    """A SIGKILL leaves '.name.XXXX.tmp' beside the target; the next write of that target
    removes it, and leaves other files' temporaries alone."""
    target = tmp_path / "image.npy"
    leftover = tmp_path / ".image.npy.k1ll3d.tmp"
    other = tmp_path / ".other.npy.k1ll3d.tmp"
    leftover.write_bytes(b"half")
    other.write_bytes(b"half")
    save_array(target, np.zeros(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.npy.k1ll3d.tmp", "image.npy"]
