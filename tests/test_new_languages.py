"""The ten languages added for the states exiles reach (issue 22): Ukrainian, Georgian, Armenian,
Hebrew, Serbian (Cyrillic; Latin for Montenegro), Lithuanian, Latvian, Estonian, Romanian and
Kazakh. `letters plan` picks them by CLDR's official languages; every one renders to DOCX (parsed)
and to PDF (one LibreOffice call, read back with pdftotext) in its own script; Hebrew is right to
left like Arabic; Georgian, Armenian and Hebrew name the Noto fonts that show them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

YEAR = date.today().year
REF = f"PLEA-{YEAR}-0001"
#: state → the language CLDR's official languages give it (Kazakhstan keeps Russian: kk by --lang)
CHOSEN = {"UA": "uk", "GE": "ka", "AM": "hy", "IL": "he", "RS": "sr", "ME": "sr-Latn", "LT": "lt", "LV": "lv",
          "EE": "et", "MD": "ro", "RO": "ro", "KZ": "ru"}
NEW = ("uk", "ka", "hy", "he", "sr", "sr-Latn", "lt", "lv", "et", "ro", "kk")
#: words of each language's humanitarian-visa letter (the mission's kind and what is asked for)
WORDS = {
    "uk": ("Посольство", "гуманітарну візу"), "ka": ("საელჩო", "ჰუმანიტარული ვიზის"),
    "hy": ("Դեսպանություն", "հումանիտար վիզա"), "he": ("שגרירות", "ויזה הומניטרית"),
    "sr": ("Амбасада", "хуманитарну визу"), "sr-Latn": ("Ambasada", "humanitarnu vizu"),
    "lt": ("Ambasada", "humanitarinę vizą"), "lv": ("Vēstniecība", "humanitāro vīzu"),
    "et": ("Suursaatkond", "humanitaarviisa"), "ro": ("Ambasada", "viză umanitară"),
    "kk": ("Елшілік", "гуманитарлық виза"),
}
#: each language's own letters: most of a letter's letters are in this script
SCRIPT = {"uk": "\u0400-\u04ff", "sr": "\u0400-\u04ff", "kk": "\u0400-\u04ff",
          "ka": "\u10a0-\u10ff\u1c90-\u1cbf",  # Mtavruli capitals too (the address's country line)
          "hy": "\u0530-\u058f", "he": "\u0590-\u05ff", "sr-Latn": "A-Za-zčćđšžČĆĐŠŽ", "lt": "A-Za-ząčęėįšųūž",
          "lv": "A-Za-zāčēģīķļņšūž", "et": "A-Za-zäöõüšž", "ro": "A-Za-zăâîșț"}
FONTS = {"ka": ("hAnsi", "Noto Serif Georgian"), "hy": ("hAnsi", "Noto Serif Armenian"),
         "he": ("cs", "Noto Serif Hebrew")}


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


@pytest.fixture
def case(plea, db_file) -> str:
    return plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--born", "1985-02-03",
                "--situation", "detained", "--country", "US", "--persecution",
                "He was arrested twice for posts against the war.",
                "--email", "ivan@example.org").stdout.strip()


@pytest.fixture
def rendered(plea, case: str, tmp_path: Path) -> dict[str, Path]:
    """The humanitarian-visa letter in every new language, as DOCX: language → file."""
    out = tmp_path / "letters"
    states = ",".join(s for s in CHOSEN if s != "KZ")
    plea("letters", "render", case, "--host", "US", "--to", states, "--format", "docx", "--out", str(out))
    plea("letters", "render", case, "--host", "US", "--to", "KZ", "--lang", "kk", "--format", "docx",
         "--out", str(out))
    files = {p.stem.rsplit("_", 1)[1]: p for p in out.glob("*.docx")}
    assert set(NEW) <= set(files), sorted(files)
    return files


def test_plan_for_host_us_picks_each_states_language_with_its_reason(plea, case: str) -> None:
    data = json.loads(plea("letters", "plan", case, "--host", "US", "--to", ",".join(CHOSEN), "--json").stdout)
    chosen = {r["state"]: (r["lang"], r["why"]) for r in data["recipients"]}
    assert {state: lang for state, (lang, _) in chosen.items()} == CHOSEN
    for state, name in (("GE", "Georgia"), ("IL", "Israel"), ("UA", "Ukraine"), ("LT", "Lithuania"),
                        ("ME", "Montenegro"), ("KZ", "Kazakhstan")):
        assert chosen[state][1] == f"official language of {name}"
    data = json.loads(plea("letters", "plan", case, "--host", "US", "--to", "KZ", "--lang", "kk", "--json").stdout)
    assert [(r["lang"], r["why"]) for r in data["recipients"]] == [("kk", "--lang")]


def _text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def _in_script(text: str, lang: str) -> float:
    """The share of the text's letters (names, the reference and the story aside) in the language's script."""
    for kept in ("Ivan Petrov", "He was arrested twice for posts against the war.", "Washington, D.C.", REF,
                 "ivan@example.org", "WASHINGTON, DC", "UNITED STATES"):
        # the sender's email, the address's Latin city and its country line (English where the script is not Latin)
        text = text.replace(kept, "")
    letters = [ch for ch in text if ch.isalpha()]
    own = re.findall(f"[{SCRIPT[lang]}]", "".join(letters))
    return len(own) / max(len(letters), 1)


def test_every_new_language_renders_to_docx_in_its_script(rendered: dict[str, Path]) -> None:
    for lang in NEW:
        text = _text(rendered[lang])
        assert REF in text and "Ivan Petrov" in text, lang
        for word in WORDS[lang]:
            assert word in text, (lang, word)
        assert _in_script(text, lang) > 0.97, (lang, text[:300])
        assert Document(str(rendered[lang])).core_properties.language == lang


@pytest.mark.parametrize("letter", ["humanitarian-visa", "follow-up", "thanks"])
def test_every_letter_in_every_new_language_renders_with_and_without_a_representative(letter: str) -> None:
    import io

    from plea.render.catalog import get_letter
    from plea.render.docx import build_docx
    from plea.render.letter import render_letter
    from plea.sample import sample_case, sample_mission

    spec = get_letter(letter)
    for lang in NEW:
        assert lang in spec.langs and spec.subjects.get(lang) and spec.subject(lang) != spec.subject("en")
        for represented in (True, False):
            c = sample_case()
            if not represented:
                c.rep_name = c.rep_organisation = c.reply_to = ""
                c.family = []
            r = render_letter(spec, lang, case=c, mission=sample_mission(), today=date(2026, 11, 23),
                              first_letter={"date": date(2026, 10, 1), "ref": c.ref, "subject": ""},
                              response={"date": date(2026, 11, 2), "outcome": "positive"})
            text = "\n".join(p.text for p in Document(io.BytesIO(build_docx(r))).paragraphs)
            assert c.ref in text and spec.subject(lang) in text, (letter, lang)
            assert ("Jane Counsel (fictional)" in text) == represented, (letter, lang)
            assert _in_script(_without_values(text, c), lang) > 0.97, (letter, lang, text[:300])


def _without_values(text: str, c: object) -> str:
    """The letter's text without the sample case's own values (its English story, names, ids)."""
    # the address's Latin city, and its country line in English where the letter's script is not Latin
    # (plea.postal.country_line: the post it is mailed from reads it)
    values: list[str] = ["Washington, D.C.", "WASHINGTON, DC", "UNITED STATES"]
    for v in vars(c).values():
        items = v if isinstance(v, list) else [v]
        for item in items:
            values += [str(x) for x in (item.values() if isinstance(item, dict) else [item]) if isinstance(x, str)]
    for paragraph in (line for v in values for line in v.splitlines()):
        if paragraph.strip():
            text = text.replace(paragraph.strip(), "")
    return text


def test_hebrew_is_right_to_left_like_arabic(rendered: dict[str, Path]) -> None:
    doc = Document(str(rendered["he"]))
    assert "שגרירות ישראל" in doc.paragraphs[1].text
    for p in doc.paragraphs:
        ppr = p._p.pPr
        tags = [child.tag for child in ppr] if ppr is not None else []
        if qn("w:framePr") in tags or p.style.name == "Plea Anchor":
            continue  # the envelope windows' frames keep left-to-right lines; the empty anchor has no text
        assert tags[:1] == [qn("w:pStyle")] and qn("w:bidi") in tags, p.text  # bidi after keepNext
        for run in p.runs:
            assert run._r.rPr is not None and run._r.rPr.find(qn("w:rtl")) is not None, (p.text, run.text)
    assert any(run.bold for p in doc.paragraphs for run in p.runs)
    ka = Document(str(rendered["ka"]))
    assert all(p._p.pPr.find(qn("w:bidi")) is None for p in ka.paragraphs)


def test_georgian_armenian_and_hebrew_name_their_noto_fonts(rendered: dict[str, Path]) -> None:
    for lang, (attribute, font) in FONTS.items():
        fonts = Document(str(rendered[lang])).styles["Normal"].element.rPr.find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn(f"w:{attribute}")) == font, lang
    fonts = Document(str(rendered["lt"])).styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:hAnsi")) == "Noto Serif"  # Latin-script letters keep the layout's Latin font


def test_doctor_checks_the_hebrew_georgian_and_armenian_fonts(plea, db_file, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli.test_doctor import _path_with

    _path_with(tmp_path, monkeypatch, "Noto Serif\nNoto Serif Hebrew,Noto Serif Hebrew Regular\nNoto Sans Georgian\n")
    checks = {c["what"]: c for c in json.loads(plea("doctor", "--json").stdout)}
    assert checks["fonts for Hebrew letters: Noto Serif Hebrew"]["level"] == "ok"
    assert checks["fonts for Georgian letters: Noto Sans Georgian"]["level"] == "ok"
    armenian = checks["no font for Armenian letters (looked for Noto Serif Armenian, Noto Sans Armenian): "
                      "PDF letters would show empty boxes"]
    assert (armenian["level"], armenian["fix"]) == ("warn", "sudo apt-get install fonts-noto-core")


@pytest.mark.soffice
@pytest.mark.heavy
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not on PATH")
def test_every_new_language_converts_to_pdf_with_its_words(rendered: dict[str, Path], tmp_path: Path) -> None:
    from tests.test_soffice import pdf_text

    home = tmp_path / "home"
    home.mkdir()
    pdf_dir = tmp_path / "pdf"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(pdf_dir), *(str(rendered[lang]) for lang in NEW)],
        capture_output=True, env={**os.environ, "HOME": str(home)}, timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    for lang in NEW:
        text = pdf_text(pdf_dir / rendered[lang].with_suffix(".pdf").name)
        assert REF in text and "Ivan Petrov" in text, (lang, text[:300])
        for word in WORDS[lang]:
            assert word in text, (lang, word, text[:400])
        if lang in ("uk", "sr", "kk", "ka", "hy", "he"):  # pdftotext reorders the Latin values around Hebrew
            text = re.sub("[A-Za-z]", "", text)
        assert _in_script(text, lang) > 0.97, (lang, text[:300])
