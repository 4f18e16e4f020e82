"""Result files: written whole (atomically) and readable like any other file."""

from __future__ import annotations

import os
import stat

from ldct.storage import _UMASK, read_table, save_json, write_table


def test_written_files_get_the_usual_permissions_and_no_temporary_is_left(tmp_path):
    write_table(tmp_path / "t.tsv", [{"a": 1, "b": 0.5}], ["a", "b"])
    save_json(tmp_path / "m.json", {"x": 1})
    for name in ("t.tsv", "m.json"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o666 & ~_UMASK, oct(mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "t.tsv"]
    assert read_table(tmp_path / "t.tsv") == [{"a": "1", "b": "0.5"}]
