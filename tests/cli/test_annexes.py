"""Annexes on letters (issue 23): `--annex` on `letters render` and `batch`, the annex list in each letter's
language, the PDF packet per recipient (the letter, then its annexes, pages numbered across), the inputs
hash and the manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest

from tests.dbcheck import rows as q

REF = "PLEA-2026-0001"


def text_pdf(path: Path, *lines: str, pages: int = 1) -> Path:
    """A small PDF whose pages carry `lines` (Latin text: reportlab's standard fonts)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for n in range(pages):
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 16 * i, f"{line} {n + 1}")
        c.showPage()
    c.save()
    return path


def png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (300, 200), (10, 120, 200)).save(path, format="PNG")
    return path


def add_case(plea) -> str:  # type: ignore[no-untyped-def]
    return plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "GB",
                "--situation", "detained", "--persecution", "Arrested for posts against the war.",
                "--rep-name", "Jane Counsel", "--reply-to", "answers@example.org").stdout.strip()


def add_doc(plea, ref: str, path: Path, *extra: str) -> str:  # type: ignore[no-untyped-def]
    return plea("docs", "add", ref, str(path), *extra).stdout.strip()


def summons_and_translation(plea, ref: str, tmp_path: Path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    original = add_doc(plea, ref, text_pdf(tmp_path / "povestka.pdf", "POVESTKA original summons", pages=2),
                       "--title", "Повестка в суд", "--lang", "ru")
    french = add_doc(plea, ref, text_pdf(tmp_path / "citation.pdf", "CITATION traduction certifiee", pages=2),
                     "--title", "Citation à comparaître", "--lang", "fr", "--translation-of", original,
                     "--certified")
    return original, french


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(path)).pages]


def numbered(pages: list[str]) -> list[str]:
    """Each page's "N / M" stamp (the last one on the page)."""
    return [re.findall(r"(\d+) / (\d+)", text)[-1] for text in pages]


@pytest.mark.soffice
@pytest.mark.heavy
def test_each_packet_carries_the_translation_in_its_language_or_else_the_original(
        plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    original, french = summons_and_translation(plea, ref, tmp_path)
    photo = add_doc(plea, ref, png(tmp_path / "photo.png"), "--title", "Photo of the search")
    out = tmp_path / "out"
    r = plea("letters", "render", ref, "--host", "GB", "--to", "FR,DE", "--format", "pdf", "--out", str(out),
             "--annex", f"{original},{photo}")
    fr = out / f"{ref}_FR-GB_humanitarian-visa_fr.pdf"
    de = out / f"{ref}_DE-GB_humanitarian-visa_de.pdf"
    assert sorted(r.stdout.split()) == sorted([str(de), str(fr)])
    fr_pages, de_pages = pdf_pages(fr), pdf_pages(de)
    # France: the certified French translation; Germany: the Russian original; the photo on its own page
    assert sum("CITATION traduction certifiee" in p for p in fr_pages) == 2
    assert not any("POVESTKA" in p for p in fr_pages)
    assert sum("POVESTKA original summons" in p for p in de_pages) == 2
    assert not any("CITATION" in p for p in de_pages)
    for pages, marker in ((fr_pages, "CITATION"), (de_pages, "POVESTKA")):
        # the letter's pages, the two of the summons, the photo's (no text but the stamp); all numbered across
        assert [marker in p for p in pages] == [False] * (len(pages) - 3) + [True, True, False]
        assert pages[-1].strip() == f"{len(pages)} / {len(pages)}"
        assert numbered(pages) == [(str(n), str(len(pages))) for n in range(1, len(pages) + 1)]
    # the annex list, in each letter's language
    fr_letter = " ".join(fr_pages[:-3])
    de_letter = " ".join(de_pages[:-3])
    assert "Pièces jointes" in fr_letter and "Citation à comparaître (traduction certifiée)" in fr_letter
    assert "Photo of the search" in fr_letter
    assert "Anlagen" in de_letter and "Повестка в суд" in de_letter and "Citation" not in de_letter
    # recorded as written, the event naming each annex by number and sha256
    recorded = dict(q(db_file, "SELECT path, sha256 FROM rendition WHERE format = 'pdf'"))
    assert recorded[str(fr)] == hashlib.sha256(fr.read_bytes()).hexdigest()
    events = [json.loads(d) for (d,) in q(db_file, "SELECT data FROM event WHERE kind = 'letter.rendered'")]
    sent = {e["lang"]: [a["document"] for a in e["annexes"]] for e in events}
    assert sent == {"fr": [int(french), int(photo)], "de": [int(original), int(photo)]}


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_docx_annex_goes_through_libreoffice_and_the_batch_manifest_lists_the_annexes(
        plea, db_file: Path, tmp_path: Path) -> None:
    from docx import Document

    ref = add_case(plea)
    d = Document()
    d.add_paragraph("DECISION of the district court")
    d.save(str(tmp_path / "decision.docx"))
    decision = add_doc(plea, ref, tmp_path / "decision.docx", "--title", "Court decision", "--lang", "en")
    out = tmp_path / "batch"
    plea("batch", "--out", str(out), "--cases", ref, "--host", "GB", "--to", "FR", "--format", "pdf,md",
         "--annex", "all")
    packet = out / ref / f"{ref}_FR-GB_humanitarian-visa_fr.pdf"
    pages = pdf_pages(packet)
    assert "DECISION of the district court" in pages[-1]
    assert numbered(pages)[-1] == (str(len(pages)), str(len(pages)))
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        listed = {r["file"]: r["annexes"] for r in csv.DictReader(fh)}
    sha = hashlib.sha256((tmp_path / "decision.docx").read_bytes()).hexdigest()
    assert listed == {f"{ref}/{packet.name}": f"{decision}:{sha}",
                      f"{ref}/{packet.with_suffix('.md').name}": f"{decision}:{sha}"}


def test_the_annex_list_follows_the_letter_language_and_a_changed_annex_renders_again(
        plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    original = add_doc(plea, ref, text_pdf(tmp_path / "p.pdf", "POVESTKA"), "--title", "Повестка в суд",
                       "--lang", "ru")
    out = tmp_path / "out"
    args = ("letters", "render", ref, "--host", "GB", "--to", "FR,DE", "--format", "md", "--out", str(out),
            "--annex", "all")
    plea(*args)
    fr = out / f"{ref}_FR-GB_humanitarian-visa_fr.md"
    de = out / f"{ref}_DE-GB_humanitarian-visa_de.md"
    assert fr.read_text(encoding="utf-8").rstrip("\n").endswith("\n\nPièces jointes :\n\n1. Повестка в суд")
    assert de.read_text(encoding="utf-8").rstrip("\n").endswith("\n\nAnlagen:\n\n1. Повестка в суд")
    assert f"2 letter(s) for {ref}: 0 file(s) written, 2 already up to date\n" in plea(*args).stderr
    # a French translation: the French letter lists it and renders again; the German one is kept
    french = add_doc(plea, ref, text_pdf(tmp_path / "c.pdf", "CITATION"), "--title", "Citation à comparaître",
                     "--lang", "fr", "--translation-of", original)
    r = plea(*args, "--json")
    import jsonschema

    data = json.loads(r.stdout)
    jsonschema.validate(data, json.loads(plea("schema", "show", "letters-render").stdout))
    assert {d["lang"]: [(a["document"], a["original"], a["lang"]) for a in d["annexes"]] for d in data} == {
        "fr": [(int(french), int(original), "fr")], "de": [(int(original), int(original), "ru")]}
    assert f"2 letter(s) for {ref}: 1 file(s) written, 1 already up to date\n" in r.stderr
    assert sorted(p["path"] for d in data for p in d["files"]) == sorted([str(de), str(fr)])
    assert fr.read_text(encoding="utf-8").rstrip("\n").endswith(
        "\n\nPièces jointes :\n\n1. Citation à comparaître (traduction)")
    # without --annex the letters are as before: no list
    plain = tmp_path / "plain"
    plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "md", "--out", str(plain))
    text = (plain / fr.name).read_text(encoding="utf-8")
    assert "Pièces jointes" not in text and "Citation" not in text


def test_an_annex_of_another_case_stops_everything(plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    other = add_case(plea)
    theirs = add_doc(plea, other, text_pdf(tmp_path / "t.pdf", "THEIRS"), "--title", "Theirs")
    out = tmp_path / "out"
    r = plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "md", "--out", str(out),
             "--annex", theirs, code=4)
    assert r.stderr == (f"plea: error: no document {theirs} of {ref}\n"
                        f"  list them with `plea docs list {ref}`\n")
    assert not out.exists() or not any(out.iterdir())
    assert q(db_file, "SELECT count(*) FROM letter") == [(0,)]
    r = plea("batch", "--out", str(tmp_path / "b"), "--cases", ref, "--host", "GB", "--to", "FR",
             "--annex", theirs, code=4)
    assert r.stderr == (f"plea: error: --annex: no document {theirs} of the cases in this batch\n"
                        "  list each case's documents with `plea docs list CASE`\n")
    assert q(db_file, "SELECT count(*) FROM letter") == [(0,)]


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_packet_that_fails_leaves_no_file_and_records_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    doc = add_doc(plea, ref, text_pdf(tmp_path / "p.pdf", "POVESTKA"), "--title", "Summons")
    (stored,) = q(db_file, "SELECT path FROM document WHERE id = ?", int(doc))
    Path(stored[0]).write_bytes(b"%PDF-1.7 tampered")
    out = tmp_path / "out"
    r = plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "pdf", "--out", str(out),
             "--annex", doc, code=5)
    assert r.stderr.startswith(f"plea: error: document {doc}: the stored file does not match its sha256\n")
    assert not out.exists() or not list(out.rglob("*.pdf"))
    assert q(db_file, "SELECT count(*) FROM rendition") == [(0,)]


def test_packet_pages_are_numbered_across(tmp_path: Path) -> None:
    """The packet itself: the letter's pages, then each annex's, an image on its own page, all stamped."""
    from pypdf import PdfReader

    from plea.letters.annex import image_pdf, packet

    letter = text_pdf(tmp_path / "l.pdf", "LETTER", pages=2).read_bytes()
    annex = text_pdf(tmp_path / "a.pdf", "ANNEX", pages=3).read_bytes()
    photo = image_pdf(png(tmp_path / "x.png").read_bytes())
    pages = PdfReader(io.BytesIO(packet(letter, [annex, photo]))).pages
    texts = [p.extract_text() for p in pages]
    assert len(texts) == 6 and numbered(texts) == [(str(n), "6") for n in range(1, 7)]
    assert ["LETTER" in t for t in texts] == [True, True, False, False, False, False]
    assert "/XObject" in pages[5]["/Resources"] and "ANNEX" not in texts[5]


@pytest.mark.soffice
@pytest.mark.heavy
def test_email_attaches_the_packet_or_each_annex_when_the_packet_is_too_large(
        plea, db_file: Path, tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    from tests.mail_peers import EMAIL, MISSIONS

    ref = plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "US",
               "--situation", "at-liberty", "--persecution", "S.", "--rep-name", "Jane Counsel",
               "--rep-email",
               "jane@legal-aid.example").stdout.strip()
    for mission, (_state, email) in MISSIONS.items():
        plea("embassies", "edit", mission, "--email", email)
    summons = text_pdf(tmp_path / "s.pdf", "POVESTKA", pages=2)
    doc = add_doc(plea, ref, summons, "--title", "Summons", "--lang", "ru")
    photo = png(tmp_path / "photo.png")
    pic = add_doc(plea, ref, photo, "--title", "Photo")
    letters = tmp_path / "letters"
    plea("letters", "render", ref, "--host", "US", "--to", "FR", "--format", "docx,pdf", "--out",
         str(letters), "--annex", f"{doc},{pic}")
    stem = f"{ref}_FR-US_humanitarian-visa_fr"

    def attachments(folder: Path) -> dict[str, bytes]:
        plea("send", ref, "--to", "FR", "--dry-run", "--out", str(folder))
        msg = message_from_bytes((folder / f"{stem}.eml").read_bytes(), policy=policy.default)
        assert msg["To"] == EMAIL["FR"]
        return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}

    whole = attachments(tmp_path / "eml1")
    assert list(whole) == [f"{stem}.docx", f"{stem}.pdf"]
    assert whole[f"{stem}.pdf"] == (letters / f"{stem}.pdf").read_bytes()  # the packet
    plea("config", "set", "mail.max_packet_mb", "0.001")
    split = attachments(tmp_path / "eml2")
    assert list(split) == [f"{stem}.docx", f"{stem}_annex-1.pdf", f"{stem}_annex-2.png"]
    assert split[f"{stem}_annex-1.pdf"] == summons.read_bytes()
    assert split[f"{stem}_annex-2.png"] == photo.read_bytes()


def test_redacted_export_leaves_out_titles_and_files_and_keeps_consent_scope(
        plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    original = add_doc(plea, ref, text_pdf(tmp_path / "Petrov-povestka.pdf", "POVESTKA"),
                       "--title", "Summons of Ivan Petrov to the Basmanny court", "--lang", "ru")
    french = add_doc(plea, ref, text_pdf(tmp_path / "Petrov-citation.pdf", "CITATION"),
                     "--title", "Citation Basmanny", "--lang", "fr", "--translation-of", original,
                     "--certified")
    plea("consent", "add", ref, "--states", "@eu", "--channels", "post,email")
    plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "md", "--out",
         str(tmp_path / "o"), "--annex", "all")
    out = tmp_path / "export"
    plea("export", "--redact", "--format", "json", str(out))
    everything = "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()))
    for needle in ("Basmanny", "Petrov-povestka", "Petrov-citation", "POVESTKA", str(tmp_path)):
        assert needle not in everything
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".json")) == []  # tables only, no file
    docs = json.loads((out / "document.json").read_text(encoding="utf-8"))
    assert [(d["id"], d["translation_of"], d["certified"], d["lang"]) for d in docs] == [
        (int(original), None, False, "ru"), (int(french), int(original), True, "fr")]
    assert all(d["title"].startswith("text-") and d["path"].startswith("path-") for d in docs)
    (consent,) = json.loads((out / "consent.json").read_text(encoding="utf-8"))
    assert consent["states"] == "@eu" and sorted(consent["channels"].split()) == ["email", "post"]
    events = json.loads((out / "event.json").read_text(encoding="utf-8"))
    (rendered,) = [e for e in events if e["kind"] == "letter.rendered"]
    sha = hashlib.sha256((tmp_path / "Petrov-citation.pdf").read_bytes()).hexdigest()
    assert rendered["data"]["annexes"] == [{"document": int(french), "sha256": sha}]


@pytest.mark.parametrize("letter", ["humanitarian-visa", "follow-up", "thanks"])
def test_the_accelerator_renders_the_annex_list_as_the_whole_letter_does(letter: str) -> None:
    """The list is a case-level piece of the batch's accelerator: staged, it equals the letter rendered whole,
    in every language, with no fallback."""
    from datetime import date
    from types import SimpleNamespace

    from plea.letters.fast import FastRenderer, case_key
    from plea.render.catalog import get_letter
    from plea.render.context import case_context
    from plea.render.letter import render_markdown_for
    from plea.sample import SAMPLE_CASE, sample_mission

    annexes = [{"title": "Повестка в суд", "lang": "ru",
                "translations": {"fr": {"title": "Citation à comparaître", "certified": True},
                                 "ja": {"title": "召喚状", "certified": False}}},
               {"title": "Photo", "lang": "", "translations": {}}]
    case = SimpleNamespace(**{**SAMPLE_CASE, "ref": "PLEA-2026-0001", "annexes": annexes})
    spec = get_letter(letter)
    renderer = FastRenderer(spec)
    kw = {"today": date(2026, 11, 23),
          "first_letter": {"date": date(2026, 10, 1), "ref": "R", "subject": "S"},
          "response": {"date": date(2026, 11, 2), "outcome": "positive"}}
    for lang in spec.langs:
        mission = sample_mission("FR", "US")
        key = case_key(case_context(case))
        fast = renderer.markdown(lang, case=case, case_key=key, mission=mission, **kw)
        assert fast == render_markdown_for(spec, lang, case=case, mission=mission, **kw), lang
        body = fast.rstrip("\n").splitlines()
        first = {"fr": "1. Citation à comparaître (traduction certifiée)", "ja": "1. 召喚状（翻訳）"}.get(
            lang, "1. Повестка в суд")
        # a paragraph of its own (a blank line before and after the heading), then the numbered list
        assert body[-5] == body[-3] == "" and body[-4].rstrip(":："), body[-6:]
        assert body[-2:] == [first, "2. Photo"], body[-6:]
    assert renderer.fallbacks == 0


@pytest.mark.sqlite_only
@pytest.mark.soffice
@pytest.mark.heavy
def test_an_encrypted_database_packs_its_annexes_decrypted(
        plea, empty_db, plea_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("sqlcipher3")
    monkeypatch.setenv("PLEA_PASSPHRASE", "correct horse battery staple")
    plea("init", "--encrypt")
    ref = add_case(plea)
    summons = text_pdf(tmp_path / "s.pdf", "POVESTKA kept encrypted")
    doc = add_doc(plea, ref, summons, "--title", "Summons", "--lang", "ru")
    stored = [p for p in plea_home.rglob("*") if p.is_file() and "documents" in p.parts]
    assert len(stored) == 1 and b"POVESTKA" not in stored[0].read_bytes()  # encrypted in plea's store
    out = tmp_path / "out"
    plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "pdf", "--out", str(out),
         "--annex", doc)
    pages = pdf_pages(out / f"{ref}_FR-GB_humanitarian-visa_fr.pdf")
    assert "POVESTKA kept encrypted 1" in pages[-1] and numbered(pages)[-1] == (str(len(pages)),) * 2


def test_a_stored_pdf_that_cannot_go_into_a_packet_is_one_clear_line(tmp_path: Path) -> None:
    """What `docs add` keeps out cannot reach a packet; should a stored file be replaced by one anyway (an
    older plea, a restored backup), the packet stops with one line naming the document."""
    from pypdf import PdfWriter

    from plea.errors import InvalidInput
    from plea.letters.annex import readable_pdf

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(InvalidInput) as locked:
        readable_pdf(buf.getvalue(), 7)
    assert str(locked.value) == ("document 7: the PDF is encrypted (password-protected) and cannot go into a "
                                 "packet\nadd an unprotected copy with `plea docs add`; nothing was written")
    with pytest.raises(InvalidInput) as broken:
        readable_pdf(b"%PDF-1.7\n garbage", 8)
    assert str(broken.value) == ("document 8: the PDF cannot be read (Stream has ended unexpectedly)\n"
                                 "add a copy saved again as PDF with `plea docs add`; nothing was written")


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_docx_annex_libreoffice_cannot_open_stops_with_one_line(
        plea, db_file: Path, tmp_path: Path) -> None:
    import zipfile

    ref = add_case(plea)
    with zipfile.ZipFile(tmp_path / "bad.docx", "w") as z:
        z.writestr("word/document.xml", "not a document")
    doc = add_doc(plea, ref, tmp_path / "bad.docx", "--title", "Bad")
    out = tmp_path / "out"
    r = plea("letters", "render", ref, "--host", "GB", "--to", "FR", "--format", "pdf", "--out", str(out),
             "--annex", doc, code=8)
    assert r.stderr == ("plea: error: LibreOffice did not convert 1 DOCX annex(es) to PDF, "
                        f"e.g. document-{doc}: Error: source file could not be loaded\n"
                        "  check that the document opens in a word processor, or add it as PDF with "
                        "`plea docs add`; nothing was written\n")
    assert not out.exists() or not any(out.iterdir())
    assert q(db_file, "SELECT count(*) FROM rendition") == [(0,)]
