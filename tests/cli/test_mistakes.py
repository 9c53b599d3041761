"""Common mistakes a newcomer makes, each refused with one plain line and the README's exit code
(issue 25): a file name given to a folder option, a sent date before the letter was written, a
file option naming a file that is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Days
from tests.dbcheck import rows as q

FOLDER_HINT = "--out is the folder {} go in: give one, e.g. --out {}/ (plea names each file)\n"


@pytest.fixture
def case(plea, db_file: Path, tmp_path: Path) -> str:
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--situation", "at-liberty").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE,IT,ES", "--format", "md",
         "--out", str(tmp_path / "out"))
    return ref


@pytest.mark.parametrize("name", ["letter-fr.docx", "letters.PDF", "out.txt", "a.md", "all.zip", "l.odt"])
def test_out_that_looks_like_a_file_name_is_refused(plea, case: str, tmp_path: Path, monkeypatch,
                                                    name: str) -> None:
    monkeypatch.chdir(tmp_path)
    r = plea("letters", "render", case, "--to", "FR", "--out", name, code=3)
    assert r.stderr == (f"plea: error: --out: {name} looks like a file name, not a folder\n"
                        + FOLDER_HINT.format("the letters", "letters"))
    assert not (tmp_path / name).exists()


def test_out_naming_an_existing_file_is_refused_for_every_folder_option(plea, case: str, tmp_path: Path,
                                                                        monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("notes").write_text("mine")
    r = plea("letters", "render", case, "--to", "FR", "--out", "notes", code=3)
    assert r.stderr == "plea: error: --out: notes is a file, not a folder\n" + FOLDER_HINT.format(
        "the letters", "letters")
    r = plea("batch", "--cases", case, "--to", "FR", "--out", "notes", code=3)
    assert r.stderr == "plea: error: --out: notes is a file, not a folder\n" + FOLDER_HINT.format(
        "the batch's files", "batch")
    r = plea("batch", "--cases", case, "--to", "FR", "--out", "batch.zip", code=3)
    assert r.stderr == ("plea: error: --out: batch.zip looks like a file name, not a folder\n"
                        + FOLDER_HINT.format("the batch's files", "batch"))
    r = plea("send", case, "--to", "all", "--dry-run", "--out", "notes", code=3)
    assert r.stderr == "plea: error: --out: notes is a file, not a folder\n" + FOLDER_HINT.format(
        "the .eml files", "outbox")
    assert Path("notes").read_text() == "mine"
    # an existing folder of that name is the user's choice, and is used
    Path("old.docx").mkdir()
    plea("letters", "render", case, "--to", "FR", "--format", "md", "--out", "old.docx")
    assert [p.name for p in Path("old.docx").iterdir()] == [f"{case}_FR-US_humanitarian-visa_fr.md"]


def test_sent_before_the_letter_was_rendered_needs_force(days: Days, plea, case: str, db_file: Path) -> None:
    before = q(db_file, "SELECT count(*) FROM letter_event")
    # the day the letters were rendered (one command: one day)
    ((rendered,),) = q(db_file, "SELECT DISTINCT \"on\" FROM letter_event WHERE status = 'drafted'")
    assert rendered in days
    r = plea("letters", "sent", case, "--to", "FR,DE,IT,ES", "--via", "post", "--on", "-3d", code=3)
    early = r.stderr.removeprefix("plea: error: --on: ")[:10]  # 3 days before the day the command ran
    assert early in days.ago(3)
    assert r.stderr == (
        f"plea: error: --on: {early} is before the letter was rendered: France (FR) on {rendered}, "
        f"Germany (DE) on {rendered}, Italy (IT) on {rendered} and 1 more\n"
        "a letter is sent after it is written: check --on, or pass --force if it was sent earlier "
        "(a letter written outside plea)\n")
    assert q(db_file, "SELECT count(*) FROM letter_event") == before
    plea("letters", "sent", case, "--to", "FR", "--via", "post", "--on", "-3d", "--force")
    plea("letters", "sent", case, "--to", "DE", "--via", "hand")  # today: the day it was rendered
    sent = q(db_file, "SELECT m.sending, e.\"on\" FROM letter_event e JOIN letter l ON l.id = e.letter_id "
                      "JOIN mission m ON m.id = l.mission_id WHERE e.status = 'sent' ORDER BY e.id")
    assert [s for s, _ in sent] == ["FR", "DE"]
    assert sent[0][1] in days.ago(3) and sent[1][1] in days and sent[1][1] >= rendered


def test_file_options_naming_no_file(plea, case: str, db_file: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    add = ("cases", "add", "--reply-to", "answers@example.org", "--name", "Other Person", "--nationality", "RU", "--country", "US",
           "--situation", "at-liberty")
    r = plea(*add, "--persecution-file", "story.txt", code=4)
    assert r.stderr == "plea: error: --persecution-file: no such file story.txt\n"
    r = plea(*add, "--persecution-file", str(tmp_path), code=3)
    assert r.stderr == f"plea: error: --persecution-file: {tmp_path} is a folder, not a file\n"
    Path("story.txt").write_bytes("Récit".encode("cp1252"))
    r = plea(*add, "--persecution-file", "story.txt", code=3)
    assert r.stderr == ("plea: error: --persecution-file: story.txt is not UTF-8 text\n"
                        "save it as UTF-8 text (in most editors: Save as, encoding UTF-8)\n")
    assert q(db_file, "SELECT count(*) FROM \"case\"") == [(1,)]
    r = plea("cases", "edit", case, "--persecution-file", "missing.txt", code=4)
    assert r.stderr == "plea: error: --persecution-file: no such file missing.txt\n"
    r = plea("letters", "sent", case, "--to", "FR", "--via", "post", "--proof", "receipt.pdf", code=4)
    assert r.stderr == "plea: error: --proof: no such file receipt.pdf\n"
    r = plea("responses", "log", case, "FR", "--outcome", "positive", "--attach", "answer.pdf", code=4)
    assert r.stderr == "plea: error: --attach: no such file answer.pdf\n"
    r = plea("letters", "render", case, "--to", "FR", "--letterhead", "firm.docx", code=4)
    assert r.stderr == "plea: error: --letterhead: no such file firm.docx\n"
    r = plea("batch", "--cases", case, "--to", "FR", "--out", "b", "--letterhead", "firm.docx", code=4)
    assert r.stderr == "plea: error: --letterhead: no such file firm.docx\n"
    assert q(db_file, "SELECT count(*) FROM letter_event WHERE status = 'sent'") == [(0,)]
