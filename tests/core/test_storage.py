"""Result files: written whole (atomically) and readable like any other file."""

from __future__ import annotations

import os
import re
import stat

import numpy as np
import pytest

from ldct.core.storage import (
    _UMASK,
    INCOMPLETE_FOLDER,
    atomic_folder,
    atomic_write,
    read_table,
    save_array,
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


def test_table_numbers_read_na_as_nan():
    assert np.isnan(table_number("NA"))
    assert table_number("0.25") == 0.25


def test_a_write_removes_the_temporary_file_a_killed_writer_left(tmp_path):
    """A SIGKILL leaves '.incomplete/name.XXXXXXXX.part' beside the target; the next write of
    that target removes it, and leaves other files' temporaries (a longer name included) alone."""
    area = tmp_path / INCOMPLETE_FOLDER
    area.mkdir()
    (area / "image.npy.k1ll3d00.part").write_bytes(b"half")
    (area / "image.npy.bak.k1ll3d00.part").write_bytes(b"half")
    (area / "other.npy.k1ll3d00.part").write_bytes(b"half")
    save_array(tmp_path / "image.npy", np.zeros(3))
    assert sorted(p.name for p in area.iterdir()) == [
        "image.npy.bak.k1ll3d00.part", "other.npy.k1ll3d00.part"
    ]
    for leftover in area.iterdir():
        leftover.unlink()
    save_array(tmp_path / "image.npy", np.zeros(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.npy"]  # the empty area is gone


def test_a_temporary_is_never_beside_the_results(tmp_path):
    """While a write is under way its bytes are in the incomplete area, not under the target's
    folder with any other name."""
    seen = []

    def write(handle):
        handle.write(b"half")
        seen.append(sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")))

    atomic_write(tmp_path / "table.tsv", write)
    (listing,) = seen
    assert listing[0] == INCOMPLETE_FOLDER
    assert len(listing) == 2 and re.fullmatch(r"\.incomplete/table\.tsv\.[a-z0-9_]{8}\.part", listing[1])
    assert (tmp_path / "table.tsv").read_bytes() == b"half"


def test_a_folder_is_staged_in_the_incomplete_area_and_renamed_whole(tmp_path):
    """atomic_folder: the files appear under the target only at the end; an error removes the
    staging folder; a killed run's staging folder is removed by the next write."""
    with atomic_folder(tmp_path / "series") as staging:
        (staging / "1.dcm").write_bytes(b"x")
        assert staging.parent == tmp_path / INCOMPLETE_FOLDER
        assert not (tmp_path / "series").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["series"]
    assert (tmp_path / "series" / "1.dcm").read_bytes() == b"x"
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_folder(tmp_path / "failed") as staging:
            (staging / "1.dcm").write_bytes(b"x")
            raise RuntimeError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["series"]
    killed = tmp_path / INCOMPLETE_FOLDER / "again.k1ll3d00.part"
    killed.mkdir(parents=True)
    (killed / "1.dcm").write_bytes(b"half")
    with atomic_folder(tmp_path / "again") as staging:
        (staging / "2.dcm").write_bytes(b"y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "series"]


def test_writers_in_one_folder_at_once_never_trip_over_the_shared_incomplete_area(tmp_path):
    """Jobs write different files of one folder at the same time: one removing the emptied
    ``.incomplete/`` while another looks into it or creates its temporary there is no error."""
    from concurrent.futures import ThreadPoolExecutor

    def write_many(worker: int) -> None:
        for k in range(300):
            atomic_write(tmp_path / f"w{worker}_{k}.bin", lambda handle: handle.write(b"x"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write_many, range(6)))
    assert len(list(tmp_path.glob("*.bin"))) == 6 * 300
    assert not (tmp_path / INCOMPLETE_FOLDER).exists()


def test_a_file_where_the_incomplete_area_goes_is_an_error_not_a_loop(tmp_path):
    (tmp_path / INCOMPLETE_FOLDER).write_bytes(b"not a folder")
    with pytest.raises(OSError, match=INCOMPLETE_FOLDER):
        save_array(tmp_path / "image.npy", np.zeros(3))
