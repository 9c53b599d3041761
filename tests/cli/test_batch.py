"""`plea batch`: many clients × many missions in one command — the plan line, one folder per
client, the manifest agreeing with the database and the files, resuming and skipping what is
done, changed inputs rendering again, bad input stopping before any file is written, a full
disk or a foreign file failing clearly, archives per client, several processes."""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import stat
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.dbcheck import rows

YEAR = date.today().year
REFS = [f"PLEA-{YEAR}-{n:04d}" for n in (1, 2, 3)]
TO = "FR,DE,EG,CN"
LANGS = {"FR": "fr", "DE": "de", "EG": "ar", "CN": "zh"}


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


def add_case(plea, name: str, *extra: str) -> str:
    return plea(
        "cases",
        "add",
        "--reply-to",
        "answers@example.org",
        "--name",
        name,
        "--nationality",
        "RU",
        "--country",
        "US",
        "--situation",
        "detained",
        "--persecution",
        "Arrested for posts against the war.",
        "--rep-name",
        "Jane Counsel",
        *extra,
    ).stdout.strip()


@pytest.fixture
def clients(plea, db_file: Path) -> list[str]:
    refs = [add_case(plea, name) for name in ("Ivan Petrov", "Olga Ivanova", "Pavel Sidorov")]
    assert refs == REFS
    return refs


def batch(plea, out: Path, *args: str, code: int = 0, to: str = TO):
    return plea("batch", "--out", str(out), "--to", to, "--host", "US", *args, code=code)


def manifest(out: Path) -> list[dict[str, str]]:
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def check_agreement(db: Path, out: Path) -> list[dict[str, str]]:
    """manifest rows == rendition rows under out == files on disk, sha256 for sha256; no temp file."""
    listed = manifest(out)
    recorded = rows(
        db,
        "SELECT r.path, r.sha256, l.letter, l.mission_id, c.ref, r.lang FROM rendition r "
        'JOIN letter l ON l.id = r.letter_id JOIN "case" c ON c.id = l.case_id '
        "WHERE r.path LIKE ?",
        str(out.resolve()) + "/%",
    )
    on_disk = sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and p.parent != out and not p.relative_to(out).parts[0].startswith(".")
    )
    assert sorted(r["file"] for r in listed) == on_disk
    assert sorted(
        (str(Path(p).relative_to(out.resolve())), sha, letter, mission, ref, lang)
        for p, sha, letter, mission, ref, lang in recorded
    ) == sorted(
        (r["file"], r["sha256"], r["letter"], r["recipient"], r["case"], r["language"]) for r in listed
    )
    for r in listed:
        assert hashlib.sha256((out / r["file"]).read_bytes()).hexdigest() == r["sha256"], r["file"]
    assert not [p for p in out.rglob("*.tmp")]
    return listed


# -- the plan, the files, the manifest -------------------------------------------------------------


def test_plan_line_folders_manifest_and_records(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    r = batch(plea, out)
    assert "3 clients × 4 missions = 12 letters; 0 already done" in r.stderr
    assert "12 letter(s) for 3 client(s): 12 rendered (12 file(s) written), 0 already done" in r.stderr
    assert r.stdout.strip() == str((out / "manifest.csv").resolve())
    for ref in clients:
        names = sorted(p.name for p in (out / ref).iterdir())
        assert names == sorted(f"{ref}_{s}-US_humanitarian-visa_{lang}.docx" for s, lang in LANGS.items())
        assert stat.S_IMODE((out / ref).stat().st_mode) == 0o700
        for p in (out / ref).iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
    listed = check_agreement(db_file, out)
    assert len(listed) == 12
    assert (out / "manifest.csv").read_text().splitlines()[0] == "case,recipient,letter,language,file,sha256,annexes"
    assert {(r["case"], r["language"]) for r in listed} == {
        (ref, lang) for ref in clients for lang in LANGS.values()
    }
    # every letter drafted, with its history event; the chain holds
    assert rows(db_file, "SELECT count(*), min(status) FROM letter") == [(12, "drafted")]
    assert rows(db_file, "SELECT count(*) FROM letter_event WHERE status = 'drafted'") == [(12,)]
    events = rows(db_file, "SELECT case_id, subject, data FROM event WHERE kind = 'letter.rendered'")
    assert len(events) == 12
    data = json.loads(events[0][2])
    assert set(data) == {"letter", "mission", "lang", "format", "sha256"}  # ids and hashes, no names
    assert "Ivan" not in "".join(e[2] for e in events)
    from plea.db.engine import open_database
    from plea.history import verify

    db = open_database(db_file.url)
    with db.read() as s:
        checked, problem = verify(s)
    db.close()
    assert problem is None and checked >= 12


def test_letters_are_whole_styled_right_to_left_and_east_asian(
    plea, clients: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    batch(plea, out, "--cases", clients[0])
    folder = out / clients[0]
    fr = Document(str(folder / f"{clients[0]}_FR-US_humanitarian-visa_fr.docx"))
    styles = [p.style.name for p in fr.paragraphs]
    assert styles[:5] == ["Plea Sender", "Plea Recipient", "Plea Date", "Plea Anchor", "Plea Subject"]
    text = "\n".join(p.text for p in fr.paragraphs)
    assert "Ivan Petrov" in text and clients[0] in text and "Ambassade" in text
    assert fr.core_properties.language == "fr" and fr.sections[0].page_width == 7772400  # letter paper, US
    ar = Document(str(folder / f"{clients[0]}_EG-US_humanitarian-visa_ar.docx"))
    assert "سفارة مصر" in ar.paragraphs[1].text
    for p in ar.paragraphs:
        if p.style.name in ("Plea Sender", "Plea Recipient", "Plea Date", "Plea Anchor"):
            continue  # the frames where the envelope's windows are, left to right (docx.body_xml)
        assert [c.tag for c in p._p.pPr if c.tag != qn("w:keepNext")] == [qn("w:pStyle"), qn("w:bidi")]
        assert all(run._r.rPr is not None and run._r.rPr.find(qn("w:rtl")) is not None for run in p.runs)
    zh = Document(str(folder / f"{clients[0]}_CN-US_humanitarian-visa_zh.docx"))
    assert zh.styles["Normal"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Noto Serif CJK SC"
    assert "人道主义签证" in "\n".join(p.text for p in zh.paragraphs)


def test_same_files_as_letters_render(one_day: None, plea, clients: list[str], tmp_path: Path) -> None:
    """`plea letters render` is a batch of one case: the same names, and for the same case,
    mission and date byte-identical files (one_day: both commands write on the same day)."""
    batch(plea, tmp_path / "b", "--cases", clients[0], "--format", "docx,md,txt")
    plea(
        "letters",
        "render",
        clients[0],
        "--to",
        TO,
        "--host",
        "US",
        "--out",
        str(tmp_path / "r"),
        "--format",
        "docx,md,txt",
    )
    for state, lang in LANGS.items():
        mine = tmp_path / "b" / clients[0] / f"{clients[0]}_{state}-US_humanitarian-visa_{lang}"
        theirs = tmp_path / "r" / mine.name
        for fmt in ("docx", "md", "txt"):
            assert mine.with_suffix(f".{fmt}").read_bytes() == theirs.with_suffix(f".{fmt}").read_bytes(), (state, fmt)
        a = Document(str(mine.with_suffix(".docx")))
        assert clients[0] in "\n".join(p.text for p in a.paragraphs)


# -- resuming, skipping, rendering again ----------------------------------------------------------


def test_second_run_skips_everything(plea, clients: list[str], db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    batch(plea, out)
    before = rows(db_file, "SELECT id, path, sha256, inputs_hash FROM rendition ORDER BY id")
    events = rows(db_file, "SELECT count(*) FROM event")
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.docx")}
    r = batch(plea, out)
    assert "3 clients × 4 missions = 12 letters; 12 already done" in r.stderr
    assert "0 rendered (0 file(s) written), 12 already done" in r.stderr
    assert rows(db_file, "SELECT id, path, sha256, inputs_hash FROM rendition ORDER BY id") == before
    assert rows(db_file, "SELECT count(*) FROM event") == events
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.docx")} == mtimes
    check_agreement(db_file, out)


def test_changed_inputs_render_again_without_duplicates(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    batch(plea, out)
    shas = {r["file"]: r["sha256"] for r in manifest(out)}
    # case data: that client's 4 letters
    plea("cases", "edit", clients[1], "--facility", "Another Center")
    r = batch(plea, out)
    assert "12 letters; 8 already done" in r.stderr
    changed = {f for f, sha in ((r["file"], r["sha256"]) for r in manifest(out)) if shas[f] != sha}
    assert changed == {f for f in shas if f.startswith(clients[1] + "/")}
    # mission data: that mission's letter for every client
    mission = rows(
        db_file, "SELECT id FROM mission WHERE sending = 'DE' AND host = 'US' AND kind = 'embassy'"
    )[0][0]
    plea("embassies", "edit", mission, "--address", "4645 Reservoir Road NW")
    r = batch(plea, out)
    assert "12 letters; 9 already done" in r.stderr
    assert (
        "4645 Reservoir Road NW"
        in Document(str(out / clients[0] / f"{clients[0]}_DE-US_humanitarian-visa_de.docx"))
        .paragraphs[1]
        .text
    )
    # the letterhead: everything
    head = Document()
    head.sections[0].header.paragraphs[0].text = "ACME LAW FIRM"
    head.save(str(tmp_path / "firm.docx"))
    r = batch(plea, out, "--letterhead", str(tmp_path / "firm.docx"))
    assert "12 letters; 0 already done" in r.stderr
    doc = Document(str(out / clients[2] / f"{clients[2]}_FR-US_humanitarian-visa_fr.docx"))
    assert "ACME LAW FIRM" in doc.sections[0].first_page_header.paragraphs[0].text  # the first page's header
    # one row per file and format, never a second one; one letter per client and mission
    assert rows(db_file, "SELECT count(*), count(DISTINCT path) FROM rendition") == [(12, 12)]
    assert rows(db_file, "SELECT count(*) FROM letter") == [(12,)]
    check_agreement(db_file, out)
    assert rows(db_file, "SELECT count(*) FROM event WHERE kind = 'letter.rendered'") == [(12 + 4 + 3 + 12,)]


def test_deleted_file_renders_again(plea, clients: list[str], db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    batch(plea, out)
    victim = out / clients[0] / f"{clients[0]}_CN-US_humanitarian-visa_zh.docx"
    victim.unlink()
    r = batch(plea, out)
    assert "11 already done" in r.stderr and victim.is_file()
    tampered = out / clients[2] / f"{clients[2]}_FR-US_humanitarian-visa_fr.docx"
    tampered.write_bytes(b"edited by hand")
    r = batch(plea, out)
    assert "11 already done" in r.stderr and tampered.read_bytes().startswith(b"PK")
    check_agreement(db_file, out)


def test_more_formats_zip_and_json(plea, clients: list[str], db_file: Path, tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "out"
    r = batch(plea, out, "--format", "docx,md,txt", "--zip", "--json")
    data = json.loads(r.stdout)
    assert data["letters"] == 12 and data["files_written"] == 36 and data["rendered"] == 12
    # the accelerator reports its fallbacks: the shipped templates need none
    assert data["fallbacks"] == {"count": 0, "reasons": {}}
    assert r.stderr.endswith("accelerator: no fallback (every letter staged)\n")
    assert data["zips"] == [str((out / f"{ref}.zip").resolve()) for ref in clients]
    listed = check_agreement(db_file, out)
    assert len(listed) == 36
    with zipfile.ZipFile(out / f"{clients[0]}.zip") as z:
        assert z.testzip() is None
        names = z.namelist()
        mine = sorted(r["file"] for r in listed if r["case"] == clients[0])
        assert sorted(n for n in names if n != "manifest.csv") == mine
        for name in mine:
            assert z.read(name) == (out / name).read_bytes()
        assert clients[1] not in z.read("manifest.csv").decode()
    before = (out / f"{clients[0]}.zip").stat().st_mtime_ns
    batch(plea, out, "--format", "docx,md,txt", "--zip")
    assert (out / f"{clients[0]}.zip").stat().st_mtime_ns == before  # unchanged content: not rewritten


# -- choosing clients and recipients ---------------------------------------------------------------


def test_cases_status_and_own_state(plea, clients: list[str], db_file: Path, tmp_path: Path) -> None:
    r = batch(plea, tmp_path / "a", "--cases", f"{clients[0]},{clients[2]}", "--dry-run")
    assert "2 clients × 4 missions = 8 letters; 0 already done" in r.stderr and "dry run" in r.stderr
    assert not (tmp_path / "a").exists()
    plea("cases", "archive", clients[1])
    assert "2 clients" in batch(plea, tmp_path / "b", "--dry-run").stderr
    assert "1 client × 4 missions" in batch(plea, tmp_path / "b", "--status", "archived", "--dry-run").stderr
    r = batch(plea, tmp_path / "c", "--cases", f"{clients[0]},PLEA-{YEAR}-0099", code=4)
    assert "no case" in r.stderr and f"PLEA-{YEAR}-0099" in r.stderr
    # a client's threat state (by default the nationality): held back from `all` and groups, said per
    # client; named, it is refused unless the deliberate flag is given too
    r = batch(plea, tmp_path / "d", "--cases", clients[0], "--dry-run", to="all")
    line = next(x for x in r.stderr.splitlines() if x.startswith(f"{clients[0]}: "))
    assert " state(s) held back (threat or cautioned): " in line and "RU" in line.split(": ")[-1].split(", ")
    r = batch(plea, tmp_path / "e", "--cases", clients[0], "--dry-run", to="RU,FR,DE,EG", code=3)
    assert r.stderr.startswith(f"plea: error: --to: Russia (RU) is a threat state of {clients[0]}: ")
    assert "1 client × 4 missions" in batch(plea, tmp_path / "e", "--cases", clients[0], "--dry-run",
                                            "--unsafe-write-to-threat-state", to="RU,FR,DE,EG").stderr


def test_follow_up_batch_cites_the_first_letters(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    batch(plea, out)
    plea("letters", "sent", clients[0], "--to", "FR,DE", "--via", "hand")
    plea("letters", "sent", clients[2], "--to", "EG", "--via", "hand")
    r = batch(plea, out, "--letter", "follow-up")
    assert "2 clients × 1–2 missions = 3 letters" in r.stderr
    names = sorted(r["file"] for r in manifest(out) if r["letter"] == "follow-up")
    assert names == [
        f"{clients[0]}/{clients[0]}_DE-US_follow-up_de.docx",
        f"{clients[0]}/{clients[0]}_FR-US_follow-up_fr.docx",
        f"{clients[2]}/{clients[2]}_EG-US_follow-up_ar.docx",
    ]


# -- bad input: nothing written ---------------------------------------------------------------------


def test_clients_lacking_fields_stop_the_batch_before_any_file(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    a = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "No Story", "--nationality", "RU").stdout.strip()
    b = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "No Nationality", "--persecution", "Story.").stdout.strip()
    events = rows(db_file, "SELECT count(*) FROM event")
    out = tmp_path / "out"
    r = batch(plea, out, code=7)
    assert "needs case fields that 2 client(s) lack; nothing was written" in r.stderr
    assert f"{a}: persecution" in r.stderr and f"{b}: nationality" in r.stderr
    assert not out.exists()
    assert rows(db_file, "SELECT count(*) FROM rendition") == [(0,)]
    assert rows(db_file, "SELECT count(*) FROM event") == events


def test_bad_options(plea, clients: list[str], tmp_path: Path) -> None:
    assert "--format: unknown rtf" in batch(plea, tmp_path / "x", "--format", "docx,rtf", code=3).stderr
    assert "--paper: 'legal'" in batch(plea, tmp_path / "x", "--paper", "legal", code=3).stderr
    assert "--status: 'closed'" in batch(plea, tmp_path / "x", "--status", "closed", code=3).stderr
    assert (
        "--letterhead: no such file"
        in batch(plea, tmp_path / "x", "--letterhead", str(tmp_path / "n.docx"), code=4).stderr
    )
    assert "no letter template named" in batch(plea, tmp_path / "x", "--letter", "nope", code=4).stderr


def test_output_folder_that_cannot_be_written(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = batch(plea, blocker, code=3)
    assert f"--out: {blocker.resolve()} is a file, not a folder" in r.stderr
    r = batch(plea, blocker / "out", code=3)
    assert f"plea: error: --out: cannot write to {(blocker / 'out').resolve()}: not a directory" in r.stderr
    assert "choose a folder you can write to; nothing was written" in r.stderr
    assert rows(db_file, "SELECT count(*) FROM rendition") == [(0,)]


def test_foreign_file_is_not_replaced_without_force(
    plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    target = out / clients[0] / f"{clients[0]}_FR-US_humanitarian-visa_fr.docx"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"a lawyer's own file")
    r = batch(plea, out, code=6)
    assert "1 file(s)" in r.stderr and "were not written by plea" in r.stderr and "--force" in r.stderr
    assert target.read_bytes() == b"a lawyer's own file"
    assert rows(db_file, "SELECT count(*) FROM rendition") == [(0,)]
    batch(plea, out, "--force")
    assert target.read_bytes().startswith(b"PK")
    check_agreement(db_file, out)


def test_a_batch_into_a_second_folder_and_back_after_a_change(
    one_day: None, plea, clients: list[str], db_file: Path, tmp_path: Path
) -> None:
    """The first folder's files stay plea's after the same letters went to a second folder (their
    rows moved there) and a client changed: known by the sha256 their letter.rendered events
    recorded (refused as not written by plea before)."""
    first, second = tmp_path / "a", tmp_path / "b"
    batch(plea, first, "--format", "txt")
    batch(plea, second, "--format", "txt")
    plea("cases", "edit", clients[0], "--facility", "Another Detention Centre")
    r = batch(plea, first, "--format", "txt")
    assert "12 letter(s) for 3 client(s): 12 rendered (12 file(s) written)" in r.stderr  # rows back to a
    target = first / clients[0] / f"{clients[0]}_FR-US_humanitarian-visa_fr.txt"
    assert "Another Detention Centre" in target.read_text(encoding="utf-8")
    check_agreement(db_file, first)


def test_full_disk_fails_clearly_and_the_next_run_resumes(
    plea, clients: list[str], db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plea.letters.work as work
    import plea.letters.write as write

    monkeypatch.setattr(work, "CHUNK", 5)
    real = write._write_temp
    calls = {"n": 0}

    def filling(path: Path, data: bytes) -> str:
        calls["n"] += 1
        if calls["n"] > 7:  # the second chunk fails half-way through
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(write, "_write_temp", filling)
    out = tmp_path / "out"
    r = batch(plea, out, code=8)
    assert "plea: error: the disk is full (writing " in r.stderr
    assert "5 letter(s) were written and recorded before it stopped; run the same command again" in r.stderr
    assert not list(out.rglob("*.tmp"))
    recorded = rows(db_file, "SELECT path, sha256 FROM rendition")
    assert len(recorded) == 5 and sum(1 for _ in out.rglob("*.docx")) == 5
    for path, sha in recorded:
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    monkeypatch.setattr(write, "_write_temp", real)
    r = batch(plea, out)
    assert "12 letters; 5 already done" in r.stderr
    check_agreement(db_file, out)


def test_a_sync_that_fails_keeps_the_chunks_before_and_leaves_no_temp_file(
    plea, clients: list[str], db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without workers, a chunk is made durable in a thread while the next one renders
    (plea.letters.workers.pipelined): a failed sync stops the batch with the chunks before it
    written and recorded, and nothing of the failed one under a final name or a temp name."""
    import plea.letters.work as work
    import plea.letters.write as write

    monkeypatch.setattr(work, "CHUNK", 5)
    real = write.durable
    calls = {"n": 0}

    def failing(pending: write.Pending) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.EIO, "Input/output error", pending.folders[0])
        real(pending)

    monkeypatch.setattr(write, "durable", failing)
    out = tmp_path / "out"
    r = batch(plea, out, code=8)
    assert "plea: error: cannot write " in r.stderr and "Input/output error" in r.stderr
    assert "5 letter(s) were written and recorded before it stopped" in r.stderr
    assert not list(out.rglob("*.tmp"))
    recorded = rows(db_file, "SELECT path, sha256 FROM rendition")
    assert len(recorded) == 5 and sorted(str(p) for p in out.rglob("*.docx")) == sorted(p for p, _ in recorded)
    monkeypatch.setattr(write, "durable", real)
    batch(plea, out)
    check_agreement(db_file, out)


def test_stale_temp_files_are_removed_and_a_running_batch_locks_the_folder(
    plea, clients: list[str], tmp_path: Path
) -> None:
    import fcntl

    out = tmp_path / "out"
    (out / clients[0]).mkdir(parents=True)
    stale = out / clients[0] / f".{clients[0]}_FR-US_humanitarian-visa_fr.docx.x1y2.tmp"
    stale.write_bytes(b"half a letter")
    batch(plea, out)
    assert not stale.exists()
    with open(out / ".plea-batch" / "lock", "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        r = batch(plea, out, code=6)
    assert "another plea batch is writing to" in r.stderr


def test_pdf_without_libreoffice_names_the_package(
    plea, clients: list[str], db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out"
    r = batch(plea, out, "--format", "docx,pdf", code=8)
    assert (
        "LibreOffice" in r.stderr and "libreoffice-writer" in r.stderr and "nothing was written" in r.stderr
    )
    assert not out.exists()
    monkeypatch.setenv("PLEA_SOFFICE", str(tmp_path / "no-soffice"))
    r = batch(plea, out, "--format", "pdf", code=8)
    assert "PLEA_SOFFICE" in r.stderr and "libreoffice-writer" in r.stderr
    assert rows(db_file, "SELECT count(*) FROM rendition") == [(0,)]


# -- several processes ------------------------------------------------------------------------------


def test_jobs_write_the_same_files(one_day: None, plea, clients: list[str], db_file: Path,
                                   tmp_path: Path) -> None:
    """--jobs 2 (spawned workers) writes byte for byte what --jobs 1 writes (on the same day: one_day)."""
    one, two = tmp_path / "one", tmp_path / "two"
    batch(plea, one, "--cases", clients[0], "--jobs", "1", to="all")
    first = {p.relative_to(one): p.read_bytes() for p in one.rglob("*.docx")}
    r = batch(plea, two, "--cases", clients[0], "--jobs", "2", to="all")
    assert f"{len(first)} rendered" in r.stderr and len(first) > 100
    assert {p.relative_to(two): p.read_bytes() for p in two.rglob("*.docx")} == first
    check_agreement(db_file, two)


def test_jobs_fork_only_before_the_database_opens(
    one_day: None, plea, clients: list[str], db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's workers are forked (they start with its modules loaded) only while no
    database is open; a pool made once one is open, or in a process with another thread, is
    spawned. Either way the letters are the same (written on the same day: one_day)."""
    import threading

    import plea.cli.common as common
    import plea.letters.workers as workers

    made: list[tuple[str, bool]] = []
    real = workers.start_pool

    def spy(workers, warm, *, fork=False):
        pool = real(workers, warm, fork=fork)
        made.append((pool.method, common.opened()))
        return pool

    monkeypatch.setattr(workers, "start_pool", spy)
    forked, spawned = tmp_path / "forked", tmp_path / "spawned"
    batch(plea, forked, "--cases", clients[0], "--jobs", "2")
    assert made == [("fork", False)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        batch(plea, spawned, "--cases", clients[0], "--jobs", "2")
    finally:
        stop.set()
        other.join()
    assert made[1] == ("spawn", False)
    files = {p.relative_to(forked): p.read_bytes() for p in forked.rglob("*.docx")}
    assert len(files) == 4
    assert {p.relative_to(spawned): p.read_bytes() for p in spawned.rglob("*.docx")} == files


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from plea.cli.common import Bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        bar = Bar()
        bar.start(10, 2)
        for _ in range(8):
            bar.advance(1)
        bar.stop()
        text = stream.getvalue()
        assert ("10/10" in text and "letters/s" in text and "0:00:00" in text) if shown else text == "", text


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_template_stops_the_batch_before_any_file(
    plea, clients: list[str], db_file: Path, tmp_path: Path, templates_copy: Path, jobs: str
) -> None:
    """Templates from elsewhere (rendered in a confined child): one letter per client and
    language is rendered first (with --jobs 2, by the workers); a template problem names the
    file and line, and nothing is written."""
    broken = templates_copy / "letters" / "humanitarian-visa" / "fr.md.j2"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n{{ case.no_such_field }}\n", encoding="utf-8")
    out = tmp_path / "out"
    r = batch(plea, out, "--jobs", jobs, code=7)
    assert "humanitarian-visa/fr.md.j2:" in r.stderr and "no_such_field" in r.stderr
    assert "nothing was written" in r.stderr
    assert not out.exists() or not list(out.rglob("*.docx"))
    assert rows(db_file, "SELECT count(*) FROM rendition") == [(0,)]
    # mended, the same templates from elsewhere render the batch (in the confined child)
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("{{ case.no_such_field }}", ""), encoding="utf-8"
    )
    batch(plea, out)
    check_agreement(db_file, out)


def test_jobs_workers_end_with_the_command(plea, clients: list[str], tmp_path: Path) -> None:
    """--jobs starts its workers before planning: a plan that fails still ends them, and a batch
    smaller than a chunk still completes with them."""
    import multiprocessing

    r = batch(plea, tmp_path / "bad", "--jobs", "2", code=4, to="FR,Atlantis")
    assert "Atlantis" in r.stderr
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "bad").exists()
    r = batch(plea, tmp_path / "small", "--cases", clients[0], "--jobs", "2")
    assert "4 rendered" in r.stderr
    assert len(list((tmp_path / "small").rglob("*.docx"))) == 4
    assert multiprocessing.active_children() == []


def test_folders_differing_only_in_case_are_apart(plea, clients: list[str], db_file, tmp_path: Path) -> None:
    """Out/ and out/ are two folders: each manifest lists only its own letters."""
    batch(plea, tmp_path / "Out", "--cases", clients[0])
    batch(plea, tmp_path / "out", "--cases", clients[1])
    for folder, ref in (("Out", clients[0]), ("out", clients[1])):
        assert {row["case"] for row in manifest(tmp_path / folder)} == {ref}
        assert len(manifest(tmp_path / folder)) == 4
