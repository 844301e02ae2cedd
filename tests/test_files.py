"""Atomic output files (citegraph.outputs.files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from citegraph.errors import UsageError
from citegraph.outputs.files import write_bytes_atomic, write_text_files


def test_files_are_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "t.txt"
    write_text_files([(target, "old\n")])
    write_text_files([(target, "new ünïcode\n"), (tmp_path / "second.csv", "a,b\n")])
    assert target.read_text(encoding="utf-8") == "new ünïcode\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["t.txt"]
    assert (tmp_path / "second.csv").read_text() == "a,b\n"


def test_a_folder_that_cannot_be_made_fails_before_any_file_is_written(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    first = tmp_path / "first.txt"
    with pytest.raises(UsageError, match=r"cannot write '.*a-file/sub/t.txt'"):
        write_text_files([(first, "1"), (tmp_path / "a-file" / "sub" / "t.txt", "2")])
    assert not first.exists()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(UsageError, match="cannot write"):
        write_bytes_atomic(tmp_path / "missing-folder" / "t.txt", b"new")
    with pytest.raises(UsageError, match="cannot write"):  # a folder where the file should go
        (tmp_path / "dir").mkdir()
        write_bytes_atomic(tmp_path / "dir", b"new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "t.txt"]
    assert list((tmp_path / "dir").iterdir()) == []
