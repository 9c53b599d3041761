"""The letter as a recipient sees it, read back from LibreOffice's PDF: the humanitarian-visa letter
with a 600-character story fits one page in every shipped language (the first twelve and the ten
added later) on A4 and on US Letter; a 2,500-character story flows on, and its last page holds the
final request paragraph with the closing and the signature; the addressee block lies inside the
envelope's window (plea.render.layout); continuation pages carry the reference and "page N of M";
and in an Arabic letter a Latin sentence keeps its full stop after its last word.

All the letters are converted in one soffice call (LibreOffice starts slowly)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from plea.render.blocks import parse
from plea.render.catalog import get_letter
from plea.render.docx import build_docx
from plea.render.layout import LAYOUTS, continuation
from plea.render.letter import render_letter
from plea.sample import sample_case, sample_mission

pytestmark = [
    pytest.mark.soffice,
    pytest.mark.heavy,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not on PATH"),
]

LANGS = ("ar", "de", "en", "es", "fr", "it", "ja", "pl", "pt", "ru", "tr", "zh")
#: the ten languages added in December 2026 (Kazakh by --lang, Serbian in both scripts)
NEW_LANGS = ("uk", "ka", "hy", "he", "sr", "sr-Latn", "lt", "lv", "et", "ro", "kk")
PAPERS = ("a4", "letter")
REF = "PLEA-2026-0001"
SENTENCES = (
    "The applicant took part in peaceful protests against the war and published articles criticising it.",
    "After a criminal case for spreading false information about the army was opened against her, she was "
    "searched, questioned for two days and placed under a travel ban.",
    "She left the country through a third state.",
    "Her relatives were visited by the police, who said she would be arrested on her return.",
    "Two people charged in the same case were sentenced to seven years in a penal colony.",
)
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PT_PER_MM = 72 / 25.4
#: stories from just over a page's worth upwards: somewhere in them only the signature would
#: spill onto a second page if nothing kept it with the request
EDGE_LANGS = ("en", "de", "ar", "zh")
EDGE_LENGTHS = tuple(range(1000, 2300, 100))


def story(length: int, last: str = "") -> str:
    """Whole sentences up to `length` characters, ending with `last` if given."""
    out: list[str] = []
    i = 0
    while True:
        sentence = SENTENCES[i % len(SENTENCES)]
        candidate = " ".join([*out, sentence, last]).strip()
        if len(candidate) > length:
            break
        out.append(sentence)
        i += 1
    return " ".join([*out, last]).strip()


def letter(lang: str, paper: str, persecution: str):
    case = sample_case(REF)
    case.persecution = persecution
    # a long name and a full street address: the addressee block at its largest
    mission = sample_mission("CD", "US")
    mission.street_address = "1100 Connecticut Avenue NW, Suite 725"
    mission.postcode = "20036"
    return render_letter(get_letter("humanitarian-visa"), lang, case=case, mission=mission,
                         today=date(2026, 11, 23))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    """Every letter these tests read, converted in one LibreOffice call: name → PDF."""
    folder = tmp_path_factory.mktemp("layout")
    docs = {}
    for lang in LANGS + NEW_LANGS:
        for paper in PAPERS:
            docs[f"short-{lang}-{paper}"] = letter(lang, paper, story(600))
            docs[f"long-{lang}-{paper}"] = letter(lang, paper, story(2500))
    for lang in EDGE_LANGS:
        for paper in PAPERS:
            for length in EDGE_LENGTHS:
                docs[f"edge{length}-{lang}-{paper}"] = letter(lang, paper, story(length))
    docs["conscription-ar-a4"] = letter("ar", "a4", story(400, "He fled to avoid forced conscription."))
    for name, rendered in docs.items():
        paper = name.rsplit("-", 1)[1]
        (folder / f"{name}.docx").write_bytes(build_docx(rendered, paper=paper, reference=REF))
    profile = folder / "profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *sorted(str(p) for p in folder.glob("*.docx"))],
        check=True, capture_output=True, timeout=600,
    )
    out = {name: folder / f"{name}.pdf" for name in docs}
    assert all(p.exists() for p in out.values()), sorted(p.name for p in out.values() if not p.exists())
    return out


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf.read_bytes())).pages)


def page_text(pdf: Path, page: int) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    return re.sub(r"\s+", "", _BIDI.sub("", out))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", _BIDI.sub("", text))


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGS + NEW_LANGS)
def test_a_600_character_story_fits_one_page(pdfs: dict[str, Path], lang: str, paper: str) -> None:
    assert len(story(600)) <= 600
    assert pages(pdfs[f"short-{lang}-{paper}"]) == 1


def last_page_holds_the_request(pdf: Path, lang: str, paper: str, persecution: str) -> int:
    """The last page holds the final paragraph of the request, the closing and the signature;
    the page count."""
    n = pages(pdf)
    blocks = parse(letter(lang, paper, persecution).markdown)
    closing = next(i for i, b in enumerate(blocks) if b.style == "closing")
    last = page_text(pdf, n)
    for block in (blocks[closing - 1], blocks[closing], next(b for b in blocks if b.style == "signature")):
        words = [w for w in re.split(r"[\s,.،、。]+", block.text) if len(w) > 3 and w.isalpha()][:3]
        for word in words or [squeezed(block.text)[:6]]:
            assert squeezed(word) in last, (lang, paper, n, block.style, word)
    return n


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGS + NEW_LANGS)
def test_a_long_story_flows_and_the_signature_never_stands_alone(
    pdfs: dict[str, Path], lang: str, paper: str
) -> None:
    pdf = pdfs[f"long-{lang}-{paper}"]
    n = last_page_holds_the_request(pdf, lang, paper, story(2500))
    assert n >= 2
    # every page after the first is headed with the reference and "page N of M"
    label, page_words = continuation(lang)
    for page in range(2, n + 1):
        text = page_text(pdf, page)
        assert squeezed(f"{label}{REF}") in text or REF in text, (lang, page)
        expected = squeezed(page_words.format(page=page, pages=n))
        assert expected in text or lang == "ar", (lang, page, text[:80])


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", EDGE_LANGS)
def test_wherever_the_page_breaks_the_request_goes_with_the_signature(
    pdfs: dict[str, Path], lang: str, paper: str
) -> None:
    counts = {length: last_page_holds_the_request(pdfs[f"edge{length}-{lang}-{paper}"], lang, paper,
                                                  story(length))
              for length in EDGE_LENGTHS}
    assert 2 in counts.values(), counts  # the lengths cross a page break


def word_boxes(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """Page 1's words with their boxes in millimetres (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    out = []
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    for m in word.finditer(html):
        x0, y0, x1, y1 = (float(m.group(i)) / PT_PER_MM for i in range(1, 5))
        out.append((_BIDI.sub("", m.group(5)).replace("&amp;", "&"), x0, y0, x1, y1))
    return out


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", ["en", "de", "ru", "fr"])
def test_the_addressee_block_lies_in_the_envelope_window(
    pdfs: dict[str, Path], lang: str, paper: str
) -> None:
    layout = LAYOUTS[paper]
    window = layout.window
    rendered = letter(lang, paper, story(600))
    block = next(b for b in rendered.blocks if b.style == "recipient")
    words = [w for w in block.text.split() if w]
    boxes = word_boxes(pdfs[f"short-{lang}-{paper}"])
    # each word of the block, found above where the letter's text begins
    found = []
    for word in words:
        hits = [b for b in boxes if b[0] == word and b[2] < layout.text_top]
        assert hits, (lang, paper, word)
        found.append(hits[0])
    assert len(found) == len(words) >= 6
    for word, x0, y0, x1, y1 in found:
        assert window.x <= x0 and x1 <= window.right, (lang, paper, word, x0, x1)
        assert window.y <= y0 and y1 <= window.bottom, (lang, paper, word, y0, y1)
    # and nothing else of the letter shows through the window
    inside = [b for b in boxes
              if b[1] < window.right and b[3] > window.x and b[2] < window.bottom and b[4] > window.y]
    assert sorted(b[0] for b in inside) == sorted(words), (lang, paper)


def test_an_arabic_letter_keeps_a_latin_sentence_s_full_stop(pdfs: dict[str, Path]) -> None:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdfs["conscription-ar-a4"]), "-"],
                          check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    text = _BIDI.sub("", text)
    assert "forced conscription." in text
    assert ".conscription" not in text and ".He fled" not in text


@pytest.mark.parametrize("lang", ["zh", "ja"])
def test_chinese_and_japanese_are_drawn_in_a_serif_beside_the_serif_latin(pdfs: dict[str, Path],
                                                                          lang: str) -> None:
    """Noto Serif CJK, as the Latin text's Noto Serif: Japanese letters were drawn in Noto Sans CJK
    before (MS Mincho, named for Word, is not on the machine). Read from the PDF's fonts."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not on PATH")
    listed = subprocess.run(["pdffonts", str(pdfs[f"short-{lang}-a4"])], check=True, capture_output=True,
                            text=True, timeout=60).stdout
    fonts = {line.split()[0].split("+", 1)[-1] for line in listed.splitlines()[2:] if line.strip()}
    cjk = {f for f in fonts if "CJK" in f}
    assert cjk and all(f.startswith("NotoSerifCJK") for f in cjk), listed


def test_a_hebrew_sentence_keeps_its_semicolon_after_a_latin_name(pdfs: dict[str, Path]) -> None:
    """"מרשתי (Anna Sample (fictional); אזרחות" reads right to left with the name whole and the
    semicolon after it (on its left): LibreOffice drew it on the name's right before."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdfs["short-he-a4"]), "-"],
                          check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    text = _BIDI.sub("", text)
    assert "Anna Sample (fictional)" in text
    assert "(fictional);" not in text
