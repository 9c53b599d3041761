"""`plea letters plan|render`: who gets a letter in which language, and the files written
(DOCX structure, dates, right-to-left, East Asian fonts, paper, letterhead, records)."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Inches, Mm

from tests.conftest import Days
from tests.dbcheck import count, execute, rows

YEAR = date.today().year
REF = f"PLEA-{YEAR}-0001"
RENDER_TO = "FR,DE,EG,CN,JP,US"  # US is the host: no letter to it
EXPECTED = {"FR": "fr", "DE": "de", "EG": "ar", "CN": "zh", "JP": "ja"}
#: OOXML's order of the rPr children plea writes (CT_RPr)
RPR_ORDER = [
    qn(f"w:{t}")
    for t in ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "color", "sz", "szCs", "u", "rtl", "cs", "lang")
]
PLEA_STYLES = {"Plea Date", "Plea Recipient", "Plea Subject", "Plea Body", "Plea Signature"}


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


@pytest.fixture
def case(plea, db_file: Path) -> str:
    plea(
        "cases",
        "add",
        "--reply-to",
        "answers@example.org",
        "--name",
        "Ivan Petrov",
        "--native-name",
        "Иван Петров",
        "--nationality",
        "RU",
        "--born",
        "1985-02-03",
        "--gender",
        "male",
        "--country",
        "US",
        "--situation",
        "detained",
        "--facility",
        "Example Detention Center",
        "--id",
        "Alien Registration Number=A-123-456-789",
        "--persecution",
        "He was arrested twice for posts against the war.\n\nA criminal case was opened.",
        "--family",
        "Maria Petrova;wife;1987-05-06",
        "--rep-name",
        "Jane Counsel",
        "--rep-org",
        "Example Legal Aid",
        "--reply-to",
        "counsel@example.org",
    )
    return REF


def plan(plea, *args: str) -> dict:
    return json.loads(plea("letters", "plan", REF, "--json", *args).stdout)


def by_state(data: dict) -> dict[str, dict]:
    return {r["state"]: r for r in data["recipients"]}


TWIP = 635  # EMU: DOCX stores page sizes in twentieths of a point (210 mm = 11905.5 twips, kept as 11906)


def long_date(lang: str, day: date) -> str:
    return format_date(day, "long", locale=lang)


def expected_date_line(lang: str, day: date) -> str:
    """What the date paragraph of a letter written on `day` reads. French letters write « Le 23
    novembre 2026 » (« Le 1er … » on the first of a month): the French convention, see
    templates/letters/_blocks/fr.md.j2."""
    if lang == "fr":
        return "Le " + ("1er " + long_date("fr", day)[2:] if day.day == 1 else long_date("fr", day))
    return long_date(lang, day)


def written_on(db: Path, days: Days) -> date:
    """The day the letters were first rendered, the date they carry (its command's today): one of the
    test's days."""
    ((on,),) = rows(db, "SELECT DISTINCT \"on\" FROM letter_event WHERE status = 'drafted'")
    assert on in days
    return date.fromisoformat(str(on)[:10])


# -- plan ------------------------------------------------------------------------------------------


def test_plan_all_for_us_and_language_choice(plea, case: str) -> None:
    data = plan(plea, "--host", "US")
    assert data["case"] == REF and data["letter"] == "humanitarian-visa"
    got = by_state(data)
    assert len(got) >= 150 and "US" not in got
    assert {r["how"] for r in data["recipients"]} <= {"resident", "accredited"}
    assert (got["FR"]["lang"], got["DE"]["lang"], got["CN"]["lang"]) == ("fr", "de", "zh")
    assert got["FR"]["why"] == "official language of France"
    # Ukrainian for Ukraine, never Russian (de facto languages count only where there is no de jure one)
    assert (got["UA"]["lang"], got["UA"]["why"]) == ("uk", "official language of Ukraine")
    # Greek is the majority language of Cyprus, and has no template: English; Turkish (under a quarter of
    # the population) is not chosen
    assert got["CY"]["lang"] == "en"
    assert got["CY"]["why"] == "no template in the mission's or the state's languages: English"
    assert got["EG"]["lang"] == "ar" and got["JP"]["lang"] == "ja"
    assert got["FR"]["mission"] and got["FR"]["city"] == "Washington, D.C."


def test_plan_writes_nothing(plea, case: str, db_file: Path) -> None:
    events = count(db_file, "event")
    r = plea("letters", "plan", REF, "--to", "FR,DE")
    assert "France (FR)" in r.stdout and "2 letter(s) would be written; nothing was written" in r.stderr
    assert count(db_file, "letter") == 0 and count(db_file, "event") == events


def test_mission_language_wins(plea, case: str, db_file: Path) -> None:
    se = by_state(plan(plea, "--to", "SE"))["SE"]
    assert se["lang"] == "en"
    plea("embassies", "edit", se["mission"], "--languages", "es")
    se = by_state(plan(plea, "--to", "SE"))["SE"]
    assert se["lang"] == "es"
    assert se["why"] == "the mission writes in es"


def test_lang_forces_every_letter(plea, case: str) -> None:
    data = plan(plea, "--to", "FR,CN,EG,UA", "--lang", "de")
    assert {r["lang"] for r in data["recipients"]} == {"de"}
    assert {r["why"] for r in data["recipients"]} == {"--lang"}
    r = plea("letters", "plan", REF, "--to", "FR", "--lang", "el", code=4)
    assert "the letter 'humanitarian-visa' has no 'el' template" in r.stderr


def test_to_mixes_codes_names_and_groups(plea, case: str) -> None:
    data = plan(plea, "--to", "FR,Germany,@eu")
    states = [r["state"] for r in data["recipients"]]
    assert len(states) == len(set(states))  # FR and DE named twice, listed once
    assert states[:2] == ["FR", "DE"]
    eu = {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
    assert set(states) | set(data["no_mission"]) == eu


def test_to_un_group(plea, case: str) -> None:
    data = plan(plea, "--to", "@un")
    # 193 members less the host; the case's threat state (its nationality) is held back, not dropped
    assert len(data["recipients"]) + len(data["no_mission"]) + len(data["held_back"]) == 192
    held = {h["state"]: h for h in data["held_back"]}
    assert "RU" in held and held["RU"]["source_url"] == ""
    assert all(h["source_url"].startswith("http") for s, h in held.items() if s != "RU")  # cautions, sourced


def test_unknown_group_and_state(plea, case: str) -> None:
    r = plea("letters", "plan", REF, "--to", "FR,@nato", code=4)
    assert r.stderr == "plea: error: --to: unknown group '@nato'\n  groups: @cis, @eaeu, @eu, @un\n"
    r = plea("letters", "plan", REF, "--to", "all,-@cisx", code=4)
    assert r.stderr == "plea: error: --to: unknown group '-@cisx'\n  did you mean @cis? groups: @cis, @eaeu, @eu, @un\n"
    r = plea("letters", "plan", REF, "--to", "Frnace", code=4)
    assert "unknown state 'Frnace'" in r.stderr and "FR (France)" in r.stderr
    r = plea("letters", "plan", REF, "--to", " , ", code=3)
    assert "--to: name at least one state" in r.stderr


def test_plan_unknown_case_and_letter(plea, case: str) -> None:
    r = plea("letters", "plan", "PLEA-2001-0001", code=4)
    assert "no case 'PLEA-2001-0001'" in r.stderr
    r = plea("letters", "plan", REF, "--letter", "humanitarian-vias", code=4)
    assert "no letter template named 'humanitarian-vias'" in r.stderr and "humanitarian-visa" in r.stderr


# -- render ----------------------------------------------------------------------------------------


def render(plea, out: Path, *args: str, code: int = 0, to: str = RENDER_TO, formats: str = "docx,md,txt"):
    return plea(
        "letters", "render", REF, "--to", to, "--format", formats, "--out", str(out), *args, code=code
    )


def docx_path(out: Path, state: str, lang: str, letter: str = "humanitarian-visa", host: str = "US") -> Path:
    """The one file-name rule: REF_STATE-HOST_LETTER_LANG."""
    return out / f"{REF}_{state}-{host}_{letter}_{lang}.docx"


@pytest.fixture
def rendered(plea, case: str, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    r = render(plea, out)
    assert "5 letter(s) for " + REF + ": 15 file(s) written, 0 already up to date" in r.stderr
    return out


def test_render_one_file_per_recipient_and_format(rendered: Path) -> None:
    names = sorted(p.name for p in rendered.iterdir())
    expected = sorted(
        f"{REF}_{s}-US_humanitarian-visa_{lang}.{fmt}"
        for s, lang in EXPECTED.items()
        for fmt in ("docx", "md", "txt")
    )
    assert names == expected
    assert "PLEA-2026-0001_FR-US_humanitarian-visa_fr.docx".replace("2026", str(YEAR)) in names
    for p in rendered.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_render_records_letters_and_renditions(rendered: Path, db_file: Path) -> None:
    letters = rows(
        db_file,
        "SELECT m.sending, l.lang, l.status FROM letter l JOIN mission m ON m.id = l.mission_id "
        "ORDER BY m.sending",
    )
    assert letters == sorted((s, lang, "drafted") for s, lang in EXPECTED.items())
    renditions = rows(db_file, "SELECT format, path, sha256 FROM rendition")
    assert len(renditions) == 15
    from plea.fileio import sha256_file

    for fmt, path, sha in renditions:
        assert Path(path).parent == rendered.resolve() and path.endswith("." + fmt)
        assert sha256_file(Path(path)) == sha


def test_docx_styles_date_and_reference(days: Days, rendered: Path, db_file: Path) -> None:
    day = written_on(db_file, days)
    for state, lang in EXPECTED.items():
        doc = Document(str(docx_path(rendered, state, lang)))
        paragraphs = doc.paragraphs
        styles = [p.style.name for p in paragraphs]
        assert PLEA_STYLES <= set(styles), (lang, set(styles))
        assert all(s.startswith("Plea ") for s in styles), (lang, set(styles))
        assert styles[:5] == ["Plea Sender", "Plea Recipient", "Plea Date", "Plea Anchor", "Plea Subject"], lang
        assert paragraphs[0].text.splitlines()[0] == "Jane Counsel", lang  # the sender block
        assert paragraphs[2].text.removeprefix("\u200f") == expected_date_line(lang, day), lang
        subject = paragraphs[4].text
        assert REF in subject, (lang, subject)
        text = "\n".join(p.text for p in paragraphs)
        assert "Ivan Petrov" in text and "Иван Петров" in text and "A-123-456-789" in text
        assert "Jane Counsel" in text and "counsel@example.org" in text
        signature = [p.text for p in paragraphs if p.style.name == "Plea Signature"]
        assert any("Jane Counsel" in s for s in signature), (lang, signature)
        assert doc.core_properties.language == lang


def test_md_and_txt_match_the_docx(days: Days, rendered: Path, db_file: Path) -> None:
    doc = Document(str(docx_path(rendered, "DE", "de")))
    txt = (rendered / f"{REF}_DE-US_humanitarian-visa_de.txt").read_text(encoding="utf-8")
    md = (rendered / f"{REF}_DE-US_humanitarian-visa_de.md").read_text(encoding="utf-8")
    day = written_on(db_file, days)
    assert txt.startswith("Jane Counsel\n") and "\n\n" + long_date("de", day) + "\n\n" in txt
    for p in doc.paragraphs:
        assert p.text.removeprefix("• ") in txt
    assert "::: date" in md and "Ivan Petrov" in md


def test_arabic_is_right_to_left(rendered: Path) -> None:
    doc = Document(str(docx_path(rendered, "EG", "ar")))
    assert "سفارة مصر" in doc.paragraphs[1].text
    for p in doc.paragraphs:
        ppr = p._p.pPr
        if p.style.name in ("Plea Sender", "Plea Recipient", "Plea Date", "Plea Anchor"):
            # the frames sit where the envelope's windows are: left to right, or LibreOffice
            # would mirror them; their Arabic lines start with a right-to-left mark
            assert ppr.find(qn("w:bidi")) is None and ppr.find(qn("w:framePr")) is not None or not p.text
            assert all(line.startswith("\u200f") for line in p.text.splitlines() if "سفارة" in line)
            continue
        assert ppr is not None and ppr.find(qn("w:bidi")) is not None, p.text
        # OOXML's order of pPr children: the style first, w:bidi after it (Word may refuse other
        # orders); w:keepNext between them on the paragraph kept with the closing
        tags = [child.tag for child in ppr]
        assert tags in ([qn("w:pStyle"), qn("w:bidi")], [qn("w:pStyle"), qn("w:keepNext"), qn("w:bidi")]), p.text
        for run in p.runs:
            assert run._r.rPr is not None and run._r.rPr.find(qn("w:rtl")) is not None, (p.text, run.text)
            tags = [child.tag for child in run._r.rPr]
            assert tags == sorted(tags, key=RPR_ORDER.index), (run.text, tags)
    assert any(run.bold for p in doc.paragraphs for run in p.runs)  # the bold labels are checked too
    # and the left-to-right letters are not
    fr = Document(str(docx_path(rendered, "FR", "fr")))
    assert all(p._p.pPr.find(qn("w:bidi")) is None for p in fr.paragraphs)


@pytest.mark.parametrize("state,lang,font", [("CN", "zh", "Noto Serif CJK SC"), ("JP", "ja", "Noto Serif CJK JP")])
def test_east_asian_font_on_normal(rendered: Path, state: str, lang: str, font: str) -> None:
    doc = Document(str(docx_path(rendered, state, lang)))
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts is not None and fonts.get(qn("w:eastAsia")) == font
    de = Document(str(docx_path(rendered, "DE", "de")))
    rpr = de.styles["Normal"].element.rPr
    de_fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    assert de_fonts is None or de_fonts.get(qn("w:eastAsia")) is None


def test_paper_from_host_and_option(plea, case: str, rendered: Path, tmp_path: Path) -> None:
    us = Document(str(docx_path(rendered, "FR", "fr"))).sections[0]
    assert us.page_width == Inches(8.5) and us.page_height == Inches(11)
    out = tmp_path / "a4"
    render(plea, out, "--paper", "a4", to="FR", formats="docx")
    a4 = Document(str(docx_path(out, "FR", "fr"))).sections[0]
    assert abs(a4.page_width - Mm(210)) <= TWIP and abs(a4.page_height - Mm(297)) <= TWIP
    r = render(plea, tmp_path / "x", "--paper", "legal", to="FR", code=3)
    assert "--paper: 'legal' is not a4 or letter" in r.stderr


def test_paper_a4_for_a_european_host(plea, case: str, tmp_path: Path) -> None:
    out = tmp_path / "de"
    plea("letters", "render", REF, "--host", "DE", "--to", "FR", "--out", str(out))
    section = Document(str(docx_path(out, "FR", "fr", host="DE"))).sections[0]
    assert abs(section.page_width - Mm(210)) <= TWIP
    # the addressee's country line, in the letter's language and in capitals (the postal format)
    paragraphs = Document(str(docx_path(out, "FR", "fr", host="DE"))).paragraphs
    assert "ALLEMAGNE" in "\n".join(p.text for p in paragraphs)


def test_letterhead(plea, case: str, tmp_path: Path) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    head = Document()
    head.sections[0].header.paragraphs[0].text = "ACME LAW FIRM"
    head.sections[0].footer.paragraphs[0].text = "1 Acme Plaza"
    head.styles.add_style("Acme Body", WD_STYLE_TYPE.PARAGRAPH)
    head.add_paragraph("letterhead body placeholder")
    letterhead = tmp_path / "letterhead.docx"
    head.save(str(letterhead))
    out = tmp_path / "lh"
    render(plea, out, "--letterhead", str(letterhead), to="FR,EG", formats="docx")
    for state, lang in (("FR", "fr"), ("EG", "ar")):
        doc = Document(str(docx_path(out, state, lang)))
        assert "ACME LAW FIRM" in "\n".join(p.text for p in doc.sections[0].first_page_header.paragraphs)
        assert "1 Acme Plaza" in "\n".join(p.text for p in doc.sections[0].first_page_footer.paragraphs)
        assert "1 Acme Plaza" in "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
        names = {s.name for s in doc.styles}
        assert "Acme Body" in names and PLEA_STYLES <= names
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "letterhead body placeholder" not in text and REF in text
    missing = plea(
        "letters",
        "render",
        REF,
        "--to",
        "FR",
        "--out",
        str(out),
        "--letterhead",
        str(tmp_path / "nope.docx"),
        code=4,
    )
    assert "--letterhead: no such file" in missing.stderr
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    r = plea(
        "letters",
        "render",
        REF,
        "--to",
        "FR",
        "--out",
        str(tmp_path / "bad"),
        "--letterhead",
        str(bad),
        code=3,
    )
    assert "not a readable DOCX letterhead" in r.stderr


def test_render_twice_is_idempotent_and_edits_render_again(
    plea, case: str, rendered: Path, db_file: Path
) -> None:
    before = rows(db_file, "SELECT id, sha256 FROM rendition ORDER BY id")
    events = count(db_file, "event")
    r = render(plea, rendered)
    assert "5 letter(s) for " + REF + ": 0 file(s) written, 15 already up to date" in r.stderr
    assert rows(db_file, "SELECT id, sha256 FROM rendition ORDER BY id") == before
    assert count(db_file, "event") == events
    plea("cases", "edit", REF, "--facility", "Another Detention Center")
    r = render(plea, rendered)
    assert "15 file(s) written, 0 already up to date" in r.stderr
    # one rendition per file (plea.letters.record): its row is updated, never a second one
    assert count(db_file, "rendition") == 15
    old = {sha for _, sha in before}
    assert not old & {sha for (sha,) in rows(db_file, "SELECT sha256 FROM rendition")}
    assert count(db_file, "letter") == 5
    text = "\n".join(p.text for p in Document(str(docx_path(rendered, "DE", "de"))).paragraphs)
    assert "Another Detention Center" in text and "Example Detention Center" not in text


def test_render_again_after_a_file_was_deleted(plea, case: str, rendered: Path, db_file: Path) -> None:
    docx_path(rendered, "DE", "de").unlink()
    r = render(plea, rendered)
    assert "1 file(s) written, 14 already up to date" in r.stderr
    assert docx_path(rendered, "DE", "de").exists()
    assert count(db_file, "rendition") == 15


def test_render_json(plea, case: str, tmp_path: Path) -> None:
    r = plea(
        "letters",
        "render",
        REF,
        "--to",
        "FR,DE",
        "--format",
        "docx,txt",
        "--out",
        str(tmp_path / "j"),
        "--json",
    )
    data = json.loads(r.stdout)
    assert [(w["state"], w["lang"]) for w in data] == [("FR", "fr"), ("DE", "de")]
    assert [f["format"] for f in data[0]["files"]] == ["docx", "txt"]
    assert all(len(f["sha256"]) == 64 and Path(f["path"]).exists() for w in data for f in w["files"])


def test_unknown_format(plea, case: str, tmp_path: Path) -> None:
    r = plea("letters", "render", REF, "--format", "docx,rtf", "--out", str(tmp_path / "f"), code=3)
    assert r.stderr == "plea: error: --format: unknown rtf; choose from docx, pdf, md, txt\n"
    assert not (tmp_path / "f").exists()


def test_foreign_file_with_the_same_name_is_not_overwritten(
    plea, case: str, tmp_path: Path, db_file: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    foreign = out / f"{REF}_FR-US_humanitarian-visa_fr.txt"
    foreign.write_text("my own notes\n", encoding="utf-8")
    r = render(plea, out, to="FR", formats="txt", code=6)
    assert r.stderr.startswith(f"plea: error: 1 file(s) in {out.resolve()} have the names of letters but were not "
                               f"written by plea, e.g. {foreign.resolve()}\n")
    assert "--force" in r.stderr
    assert foreign.read_text(encoding="utf-8") == "my own notes\n"
    assert count(db_file, "rendition") == 0


def test_force_replaces_a_foreign_file(days: Days, plea, case: str, tmp_path: Path, db_file: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    foreign = out / f"{REF}_FR-US_humanitarian-visa_fr.txt"
    foreign.write_text("my own notes\n", encoding="utf-8")
    render(plea, out, "--force", to="FR", formats="txt")
    line = expected_date_line("fr", written_on(db_file, days))
    assert "\n\n" + line + "\n\n" in foreign.read_text(encoding="utf-8")
    assert count(db_file, "rendition") == 1


def test_render_to_another_folder_and_back(one_day: None, plea, case: str, tmp_path: Path) -> None:
    """Files plea wrote stay plea's own when the same letters go to a second folder, and when the
    case changes after that: the rendition row (one per inputs) moved to the second folder, and
    the first folder's file is known by the sha256 its `letter.rendered` event recorded (it was
    refused as "not written by plea" before)."""
    first, second = tmp_path / "a", tmp_path / "b"
    name = f"{REF}_FR-US_humanitarian-visa_fr.txt"
    render(plea, first, to="FR", formats="txt")
    render(plea, second, to="FR", formats="txt")
    r = render(plea, first, to="FR", formats="txt")
    assert (first / name).exists()
    assert "1 letter(s)" in r.stderr
    plea("cases", "edit", REF, "--facility", "Another Detention Centre")
    r = render(plea, first, to="FR", formats="txt")
    assert "1 file(s) written" in r.stderr
    assert "Another Detention Centre" in (first / name).read_text(encoding="utf-8")
    # bytes plea never wrote for this letter are still not plea's
    render(plea, second, to="FR", formats="txt")  # the row moves to b again
    (first / name).write_text("my own notes", encoding="utf-8")
    plea("cases", "edit", REF, "--facility", "A Third Place")
    r = render(plea, first, to="FR", formats="txt", code=6)
    assert "were not written by plea" in r.stderr
    assert (first / name).read_text(encoding="utf-8") == "my own notes"


def test_out_is_a_file(plea, case: str, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    r = render(plea, target, to="FR", code=3)
    assert f"--out: {target} is a file, not a folder" in r.stderr


def test_missing_required_field_stops_before_writing(plea, db_file: Path, tmp_path: Path) -> None:
    plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU")  # no --persecution
    out = tmp_path / "out"
    events = count(db_file, "event")
    r = render(plea, out, code=7)
    assert (
        f"the letter 'humanitarian-visa' needs these case fields, which are empty in {REF}: persecution"
        in r.stderr
    )
    assert "nothing was written" in r.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert count(db_file, "letter") == 0 and count(db_file, "rendition") == 0
    assert count(db_file, "event") == events
    # once the field is filled, it renders
    plea("cases", "edit", REF, "--persecution", "Prosecuted for anti-war posts.")
    render(plea, out, to="FR", formats="txt")
    assert [p.name for p in out.iterdir()] == [f"{REF}_FR-US_humanitarian-visa_fr.txt"]


def test_unknown_field_in_a_template_names_file_line_and_field(
    plea, case: str, db_file: Path, tmp_path: Path, templates_copy: Path
) -> None:
    path = templates_copy / "letters" / "humanitarian-visa" / "de.md.j2"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(6, "Sehr geehrte {{ case.nmae }},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = render(plea, out, code=7)
    assert "templates/letters/humanitarian-visa/de.md.j2:7: unknown field 'nmae'" in r.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert count(db_file, "letter") == 0 and count(db_file, "rendition") == 0
    # the other languages are fine on their own
    render(plea, out, to="FR", formats="txt")
    assert len(list(out.iterdir())) == 1


def test_unknown_field_in_a_shared_block(plea, case: str, tmp_path: Path, templates_copy: Path) -> None:
    path = templates_copy / "letters" / "_blocks" / "fr.md.j2"
    text = path.read_text(encoding="utf-8")
    field = "{{ case.name }}{% if case.name_native %}"  # the name in the list: on every letter's path
    path.write_text(text.replace(field, "{{ case.nmae }}{% if case.name_native %}", 1), encoding="utf-8")
    line = text[: text.index(field)].count("\n") + 1
    r = render(plea, tmp_path / "out", to="FR", code=7)
    assert f"templates/letters/_blocks/fr.md.j2:{line}: unknown field 'nmae'" in r.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_files_named_by_the_earlier_rule_are_renamed_not_rendered_again(
    plea, case: str, tmp_path: Path, db_file: Path
) -> None:
    """A folder written before the one name rule (REF_STATE_letter_lang): a re-run renames the
    file atomically, updates its rendition row, records it in history, and writes nothing."""
    out = tmp_path / "old"
    render(plea, out, to="FR,DE", formats="txt")
    for state, lang in (("FR", "fr"), ("DE", "de")):
        new = (out / f"{REF}_{state}-US_humanitarian-visa_{lang}.txt").resolve()
        old = new.with_name(f"{REF}_{state}_humanitarian-visa_{lang}.txt")
        new.rename(old)
        execute(db_file, ("UPDATE rendition SET path = ? WHERE path = ?", (str(old), str(new))))
    # an older plea hashed its inputs another way: DE's file is renamed, then rendered again
    execute(db_file, ("UPDATE rendition SET inputs_hash = ? WHERE path LIKE ?", ("0" * 64, "%_DE_%")))
    text = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    events = count(db_file, "event")
    r = render(plea, out, to="FR,DE", formats="txt")
    assert "2 letter(s) for " + REF + ": 1 file(s) written, 1 already up to date" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{REF}_DE-US_humanitarian-visa_de.txt",
                                                      f"{REF}_FR-US_humanitarian-visa_fr.txt"]
    fr = f"{REF}_FR-US_humanitarian-visa_fr.txt"
    assert (out / fr).read_text(encoding="utf-8") == text[f"{REF}_FR_humanitarian-visa_fr.txt"]
    assert sorted(Path(p).name for (p,) in rows(db_file, "SELECT path FROM rendition")) == sorted(
        p.name for p in out.iterdir())
    kinds = rows(db_file, "SELECT kind FROM event ORDER BY id")[events:]
    assert kinds == [("letter.renamed",), ("letter.renamed",), ("letter.rendered",)]
    plea("audit", "verify")  # the chain is intact (the fixture checks the exit code)
    assert f"humanitarian-visa to France (FR): its txt renamed to {fr}" in plea("history", REF, "--all").stdout


def test_the_host_states_that_use_letter_paper_are_cldrs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data/paper_sizes.json (CLDR's paperSize data) decides; a broken file is one error naming it."""
    import json

    import plea.resources
    from plea.errors import InvalidInput
    from plea.render import paper

    data = json.loads((plea.resources.data_dir() / "paper_sizes.json").read_text(encoding="utf-8"))
    assert data["source_url"].startswith("https://") and data["retrieved"]
    assert [paper.paper_for_host(h) for h in ("us", "CA", "NI", "PH", "DE", "DO", "RU")] == [
        "letter", "letter", "letter", "letter", "a4", "a4", "a4"
    ]
    broken = tmp_path / "data"
    broken.mkdir()
    (broken / "paper_sizes.json").write_text('{"letter": ["US", "Canada"]}', encoding="utf-8")
    monkeypatch.setattr(plea.resources, "data_dir", lambda: broken)
    paper.letter_paper_states.cache_clear()
    try:
        with pytest.raises(InvalidInput) as err:
            paper.paper_for_host("US")
        assert str(broken / "paper_sizes.json") in err.value.message and "two-letter" in err.value.message
    finally:
        paper.letter_paper_states.cache_clear()
