"""The case file (issue 23): documents kept for a case, consent and who acts, applied by the recipient rule."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import Days
from tests.dbcheck import rows as q


def add_case(plea, *extra: str) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "GB",
                "--situation", "detained", "--persecution", "Arrested for posts against the war.",
                "--rep-name", "Jane Counsel", *extra).stdout.strip()


def pdf(path: Path, *, password: str | None = None) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    if password:
        w.encrypt(password)
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def image(path: Path, fmt: str) -> Path:
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 10, 10)).save(path, format=fmt)
    return path


def docx(path: Path) -> Path:
    from docx import Document

    d = Document()
    d.add_paragraph("Повестка")
    d.save(str(path))
    return path


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return add_case(plea)


def test_documents_are_kept_checked_and_listed(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    summons = pdf(tmp_path / "summons.pdf")
    n = plea("docs", "add", case, str(summons), "--title", "Court summons", "--lang", "ru").stdout.strip()
    fr = plea("docs", "add", case, str(docx(tmp_path / "fr.docx")), "--title", "Citation (traduction)", "--lang", "fr",
              "--translation-of", n, "--certified").stdout.strip()
    plea("docs", "add", case, str(image(tmp_path / "photo.jpg", "JPEG")), "--title", "Photo")
    plea("docs", "add", case, str(image(tmp_path / "scan.png", "PNG")), "--title", "Scan")
    docs = json.loads(plea("docs", "list", case, "--json").stdout)
    assert [(d["title"], d["media_type"].split("/")[-1][:5], d["translation_of"], d["certified"]) for d in docs] == [
        ("Court summons", "pdf", None, False), ("Citation (traduction)", "vnd.o", int(n), True),
        ("Photo", "jpeg", None, False), ("Scan", "png", None, False)]
    # stored under its sha256, with the sha256 in the history (never the title)
    events = q(db_file, "SELECT data FROM event WHERE kind = 'document.added' ORDER BY id")
    import hashlib

    assert json.loads(events[0][0])["sha256"] == hashlib.sha256(summons.read_bytes()).hexdigest()
    assert all("Court" not in e[0] for e in events)
    got = tmp_path / "back.pdf"
    plea("docs", "show", case, n, "--out", str(got))
    assert got.read_bytes() == summons.read_bytes()
    # the original cannot go while its translation refers to it
    r = plea("docs", "remove", case, n, code=6)
    assert r.stderr == f"plea: error: document {n} is referred to by document {fr} (its translation)\n  remove those first\n"
    plea("docs", "remove", case, fr)
    assert q(db_file, "SELECT count(*) FROM document") == [(3,)]


def test_bad_documents_are_refused_with_one_line_and_nothing_kept(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a" + b"\0" * 20)
    r = plea("docs", "add", case, str(gif), "--title", "X", code=3)
    assert r.stderr == (f"plea: error: {gif}: not a PDF, JPEG, PNG or DOCX file\n"
                        "scan or save the document as PDF (or a photo as JPEG or PNG), then add it\n")
    locked = pdf(tmp_path / "locked.pdf", password="secret")
    r = plea("docs", "add", case, str(locked), "--title", "X", code=3)
    assert r.stderr.startswith(f"plea: error: {locked}: the PDF is encrypted (password-protected)")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n garbage")
    assert plea("docs", "add", case, str(broken), "--title", "X", code=3).stderr.startswith(
        f"plea: error: {broken}: the PDF cannot be read")
    r = plea("docs", "add", case, str(tmp_path / "missing.pdf"), "--title", "X", code=4)
    assert r.stderr == f"plea: error: {tmp_path / 'missing.pdf'}: no such file\n"
    other = add_case(plea)
    theirs = plea("docs", "add", other, str(pdf(tmp_path / "o.pdf")), "--title", "Theirs").stdout.strip()
    r = plea("docs", "add", case, str(pdf(tmp_path / "t.pdf")), "--title", "T", "--translation-of", theirs, code=4)
    assert r.stderr.startswith(f"plea: error: no document {theirs} of {case}\n")
    plea("config", "set", "docs.max_mb", "0.001")
    big = tmp_path / "big.pdf"
    big.write_bytes(pdf(tmp_path / "small.pdf").read_bytes() + b"%" + b"x" * 4000 + b"\n")  # 4 KB > 0.001 MB
    r = plea("docs", "add", case, str(big), "--title", "X", code=3)
    assert "is over the limit of 0.001 MB" in r.stderr
    assert q(db_file, "SELECT count(*) FROM document") == [(1,)]  # only the other case's


def test_consent_holds_back_states_outside_it_and_stops_what_it_does_not_cover(
        plea, db_file: Path, case: str, tmp_path: Path) -> None:
    data = json.loads(plea("letters", "plan", case, "--host", "GB", "--json").stdout)
    assert data["consent"] is None and "US" in {r["state"] for r in data["recipients"]}
    r = plea("letters", "plan", case, "--host", "GB")
    assert "consent: none recorded (nothing is restricted)" in r.stderr
    plea("consent", "add", case, "--states", "@eu", "--channels", "post")
    data = json.loads(plea("letters", "plan", case, "--host", "GB", "--json").stdout)
    eu = {r["state"] for r in json.loads(plea("letters", "plan", case, "--host", "GB", "--to", "@eu",
                                              "--json").stdout)["recipients"]}
    assert {r["state"] for r in data["recipients"]} == eu  # `all` is the consent's @eu
    held = {h["state"]: h["reason"] for h in data["held_back"]}
    assert held["US"].startswith(f"outside the consent of {case} given on ")
    assert "US" not in {r["state"] for r in data["recipients"]} and "FR" in {r["state"] for r in data["recipients"]}
    r = plea("letters", "plan", case, "--host", "GB", "--to", "US,FR", code=6)
    assert r.stderr.startswith(f"plea: error: --to: United States (US) is outside the consent of {case} given on ")
    assert r.stderr.endswith("record a new consent, or override with --without-consent\n")
    r = plea("letters", "render", case, "--host", "GB", "--to", "US", "--out", str(tmp_path / "o"), code=6)
    assert not (tmp_path / "o").exists()
    # overriding is allowed, and recorded
    plea("letters", "render", case, "--host", "GB", "--to", "US", "--out", str(tmp_path / "o"), "--without-consent",
         "--format", "md")
    assert q(db_file, "SELECT count(*) FROM event WHERE kind = 'consent.overridden'") == [(1,)]
    # email is not a channel it covers: send stops
    r = plea("send", case, "--to", "FR", "--dry-run", "--out", str(tmp_path / "eml"), code=6)
    assert "does not cover email (it covers post)" in r.stderr
    # an expired consent stops every writing command
    plea("consent", "add", case, "--states", "all", "--given", "2020-01-01", "--expires", "2020-12-31")
    r = plea("letters", "plan", case, "--host", "GB", code=6)
    assert r.stderr.startswith(f"plea: error: the consent of {case} given on 2020-01-01 (all) expired on 2020-12-31\n")
    r = plea("batch", "--cases", case, "--host", "GB", "--out", str(tmp_path / "b"), code=6)
    assert "expired on 2020-12-31" in r.stderr
    # an unknown state in the scope: nothing recorded
    before = q(db_file, "SELECT count(*) FROM consent")
    r = plea("consent", "add", case, "--states", "@eu,Atlantis", code=4)
    assert r.stderr.startswith("plea: error: --states: unknown state 'Atlantis'")
    assert q(db_file, "SELECT count(*) FROM consent") == before


def test_who_acts(plea, db_file: Path, tmp_path: Path) -> None:
    lawyer = add_case(plea)
    own = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Olga I", "--nationality", "RU", "--persecution", "x").stdout.strip()
    brother = add_case(plea, "--acting", "relative", "--acting-relation", "brother")
    got = {ref: json.loads(plea("consent", "show", ref, "--json").stdout) for ref in (lawyer, own, brother)}
    assert [(g["acting"], g["acting_relation"]) for g in got.values()] == [
        ("lawyer", None), ("applicant", None), ("relative", "brother")]
    r = plea("cases", "edit", lawyer, "--acting", "cousin", code=3)
    assert "acting: 'cousin' is not one of lawyer, ngo, relative, supporter, applicant" in r.stderr


def test_tracking_numbers_round_trip_into_status_history_and_export(
        plea, db_file: Path, case: str, tmp_path: Path) -> None:
    plea("letters", "render", case, "--host", "GB", "--to", "FR,DE,IT", "--out", str(tmp_path / "l"), "--format", "md")
    plea("letters", "sent", case, "--to", "FR", "--via", "post", "--force", "--tracking", "RR 123 456 785 FR")
    sheet = tmp_path / "tracking.csv"
    sheet.write_text("state,tracking\nGermany,RR000000001DE\nIT,RR000000002IT\n", encoding="utf-8")
    r = plea("letters", "sent", case, "--via", "post", "--force", "--tracking-file", str(sheet))
    assert r.stdout.split() == ["DE", "IT"]
    data = json.loads(plea("status", case, "--json").stdout)
    assert {s["state"]: s["tracking"] for s in data["states"]} == {
        "FR": "RR123456785FR", "DE": "RR000000001DE", "IT": "RR000000002IT"}
    assert "RR123456785FR" in plea("status", case).stdout
    events = [json.loads(d) for (d,) in q(db_file, "SELECT data FROM event WHERE kind = 'letter.sent' ORDER BY id")]
    assert [e.get("tracking") for e in events] == ["RR123456785FR", "RR000000001DE", "RR000000002IT"]
    out = tmp_path / "export"
    plea("export", str(out), "--format", "csv")
    assert "RR000000002IT" in (out / "letter_event.csv").read_text(encoding="utf-8")
    # a number given twice for different letters is refused; a bad file records nothing
    r = plea("letters", "sent", case, "--to", "DE", "--via", "post", "--tracking", "RR123456785FR", code=6)
    assert r.stderr == ("plea: error: tracking number RR123456785FR is already recorded for another letter\n"
                        "  check the number on the receipt; nothing was recorded\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("state,tracking\nFR,RR9\nAtlantis,RR000000009XX\nDE,RR000000003DE\nIT,RR000000003DE\n",
                   encoding="utf-8")
    before = q(db_file, "SELECT count(*) FROM letter_event")
    r = plea("letters", "sent", case, "--via", "post", "--tracking-file", str(bad), code=3)
    assert r.stderr.splitlines()[:4] == [
        f"plea: error: {bad}: 3 problem(s); nothing was recorded",
        f"{bad}:2: tracking: 'RR9' is not a tracking number (4 to 64 letters, digits, spaces or hyphens)",
        f"{bad}:3: state: unknown state 'Atlantis'",
        f"{bad}:5: tracking: RR000000003DE is given twice (also on line 4)"]
    assert q(db_file, "SELECT count(*) FROM letter_event") == before
    r = plea("letters", "sent", case, "--to", "FR,DE", "--via", "post", "--tracking", "RR1234", code=3)
    assert "--tracking goes with one state in --to" in r.stderr


def test_a_consent_without_the_story_stops_the_letters_that_tell_it(
        days: Days, plea, db_file: Path, case: str, tmp_path: Path) -> None:
    """`consent add --no-story`: the person agreed to letters, not to their story being told. The first
    letter tells it, so plan, render and batch stop (exit 6) unless --without-consent, which is recorded."""
    plea("consent", "add", case, "--states", "all", "--no-story")
    ((given_on,),) = q(db_file, "SELECT given_on FROM consent")  # today, for that command
    assert given_on in days
    text = (f"plea: error: the consent of {case} given on {given_on} (all) does not let the "
            "story be shared, and the letter 'humanitarian-visa' tells it\n"
            f"  record a new consent with `plea consent add {case} …` (without --no-story), or override with "
            "--without-consent\n")
    assert plea("letters", "plan", case, "--host", "GB", "--to", "FR", code=6).stderr == text
    r = plea("letters", "render", case, "--host", "GB", "--to", "FR", "--out", str(tmp_path / "o"), code=6)
    assert r.stderr == text and not (tmp_path / "o").exists()
    r = plea("batch", "--cases", case, "--host", "GB", "--to", "FR", "--out", str(tmp_path / "b"), code=6)
    assert "does not let the story be shared" in r.stderr and not any((tmp_path / "b").glob("**/*.docx"))
    plea("letters", "render", case, "--host", "GB", "--to", "FR", "--out", str(tmp_path / "o"), "--format", "md",
         "--without-consent")
    assert q(db_file, "SELECT count(*) FROM event WHERE kind = 'consent.overridden'") == [(1,)]
    # a consent that allows the story again lets the letters go
    plea("consent", "add", case, "--states", "all")
    plea("letters", "plan", case, "--host", "GB", "--to", "FR")


def test_consent_add_reads_the_day_once(days: Days, plea, db_file: Path, case: str, monkeypatch) -> None:
    """`consent add` without --given records the day the command started on, even if midnight passes
    while it runs: here the date parser's clock reads a day later than the command's, as it would after
    midnight (it used to: the consent was then given "tomorrow" and refused as in the future)."""
    class AfterMidnight(date):
        @classmethod
        def today(cls) -> date:
            return date.today() + timedelta(days=1)

    monkeypatch.setattr("plea.dates.date", AfterMidnight)
    plea("consent", "add", case, "--states", "all", "--expires", "-0d")
    ((given_on, expires_on),) = q(db_file, "SELECT given_on, expires_on FROM consent")
    assert given_on in days and expires_on == given_on
