"""A place the user names that cannot be written is the user's mistake, told in one line with its
exit code, never "unexpected …" (exit 1): a path under a regular file, /proc/self, and a batch
client folder that is a link out of --out (issue 24, class 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dbcheck import rows

CASE = "<case>"  # in the commands below: the case's reference, which carries the year it was made in


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "x").stdout.strip()


@pytest.fixture
def a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("a file\n", encoding="utf-8")
    return Path("f")


@pytest.mark.parametrize(("command", "text"), [
    (("letters", "render", CASE, "--to", "FR", "--out", "f/sub"),
     "plea: error: --out: cannot write to f/sub: f is a file, not a folder; nothing was written\n"),
    (("export", "f/sub"),
     "plea: error: DIR: cannot write to f/sub: f is a file, not a folder; nothing was written\n"),
    (("cases", "export", "f/sub"),
     "plea: error: cannot write to f/sub: f is a file, not a folder; nothing was written\n"),
    (("embassies", "export", "f/sub"),
     "plea: error: cannot write to f/sub: f is a file, not a folder; nothing was written\n"),
])
def test_a_path_under_a_file(plea, case: str, a_file: Path, db_file: Path, command: tuple[str, ...],
                             text: str) -> None:
    events = rows(db_file, "SELECT count(*) FROM event")
    r = plea(*(case if a == CASE else a for a in command), code=3)
    assert r.stderr == text
    assert rows(db_file, "SELECT count(*) FROM event") == events
    assert rows(db_file, "SELECT count(*) FROM letter") == [(0,)]


def test_cases_import_from_under_a_file(plea, case: str, a_file: Path) -> None:
    r = plea("cases", "import", "f/sub", code=4)
    assert r.stderr == "plea: error: f/sub: no such file (a part of the path is a file, not a folder)\n"


@pytest.mark.sqlite_only
def test_db_backup_under_a_file_and_in_proc(plea, case: str, a_file: Path) -> None:
    r = plea("db", "backup", "f/sub", code=3)
    assert r.stderr == "plea: error: cannot write to f/sub: f is a file, not a folder; nothing was written\n"
    if Path("/proc/self").is_dir():
        r = plea("db", "backup", "/proc/self/x", code=3)
        assert r.stderr == ("plea: error: cannot write to /proc/self/x: files cannot be created in that folder; "
                            "nothing was written\n")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc on this system")
@pytest.mark.parametrize(("command", "text"), [
    (("letters", "render", CASE, "--to", "FR", "--out", "/proc/self"),
     "plea: error: --out: cannot write to /proc/self: files cannot be created in that folder; nothing was written\n"),
    (("export", "/proc/self"),
     "plea: error: DIR: cannot write to /proc/self: files cannot be created in that folder; nothing was written\n"),
    (("cases", "export", "/proc/self/cases.csv"),
     "plea: error: cannot write to /proc/self/cases.csv: files cannot be created in that folder; "
     "nothing was written\n"),
])
def test_proc_self(plea, case: str, db_file: Path, command: tuple[str, ...], text: str) -> None:
    r = plea(*(case if a == CASE else a for a in command), code=3)
    assert r.stderr == text
    assert rows(db_file, "SELECT count(*) FROM letter") == [(0,)]


def test_batch_refuses_a_client_folder_linked_outside_out(plea, case: str, db_file: Path, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / case)
    r = plea("batch", "--cases", "all", "--to", "FR", "--host", "US", "--out", str(out), code=3)
    assert r.stderr.splitlines()[-2:] == [
        f"plea: error: --out: refusing to write outside {out.resolve()}: {out / case} is a link to "
        f"{elsewhere.resolve()}; nothing was written",
        "remove the link, or choose another --out folder"]
    assert list(elsewhere.iterdir()) == []
    assert rows(db_file, "SELECT count(*) FROM letter") == [(0,)]
