"""plea.letters.write: a chunk's files stand under their final names whole, or not at all, with
no temp file left."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from plea.letters import write


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_files_are_written_whole_private_and_hashed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [(str(tmp_path / "a" / "one.docx"), b"PK one"), (str(tmp_path / "b" / "two.txt"), b"two" * 1000)]
    shas = write.write_files(files)
    assert shas == [hashlib.sha256(d).hexdigest() for _, d in files]
    for path, data in files:
        assert Path(path).read_bytes() == data
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert names(tmp_path / "a") == ["one.docx"] and names(tmp_path / "b") == ["two.txt"]


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "letter.docx"
    target.write_bytes(b"old")
    write.write_files([(str(target), b"new")])
    assert target.read_bytes() == b"new" and names(tmp_path) == ["letter.docx"]


def test_a_failure_half_way_leaves_no_file_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = write._write_temp
    calls = {"n": 0}

    def filling(path: str, data: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real(path, data)

    monkeypatch.setattr(write, "_write_temp", filling)
    files = [(str(tmp_path / f"{i}.docx"), b"x" * 100) for i in range(5)]
    with pytest.raises(OSError) as caught:
        write.write_files(files)
    assert write.disk_full(caught.value)
    assert names(tmp_path) == []


def test_a_private_folder_is_made_and_an_existing_one_tightened(tmp_path: Path) -> None:
    from plea.fileio import private_folder

    made = private_folder(tmp_path / "a" / "b")
    assert made.is_dir() and stat.S_IMODE(made.stat().st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert stat.S_IMODE(private_folder(loose).stat().st_mode) == 0o700
