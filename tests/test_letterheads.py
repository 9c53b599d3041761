"""Letterheads keep only what a letterhead needs (issue 24, class 8): a zip bomb is refused with
exit 3 after bounded reading, and a remote attachedTemplate, tracking images, comments with
their author, custom XML and macros never reach the letters written (the output is unzipped)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.shared import Mm

REF_NAME = "Letterhead Client"
AUTHOR = "Secret Reviewer Name"
REMOTE = "https://tracker.example/t.dotm"
PIXEL = "https://tracker.example/pixel.png"


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", REF_NAME, "--nationality", "RU", "--persecution", "x").stdout.strip()


def _base(tmp_path: Path) -> dict[str, bytes]:
    """A real letterhead from python-docx: header text and logo, footer text; its parts by name."""
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 30, 30)).save(tmp_path / "logo.png")
    head = Document()
    header = head.sections[0].header
    header.paragraphs[0].text = "ACME LAW FIRM"
    header.paragraphs[0].add_run().add_picture(str(tmp_path / "logo.png"), width=Mm(10))
    head.sections[0].footer.paragraphs[0].text = "1 Acme Plaza"
    buf = io.BytesIO()
    head.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist()}


def _write(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _add_rel(parts: dict[str, bytes], rels: str, rel: str) -> None:
    text = parts.get(rels, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
                           b'"http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    parts[rels] = text.replace(b"</Relationships>", rel.encode() + b"</Relationships>")


def _hostile(tmp_path: Path) -> Path:
    parts = _base(tmp_path)
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    # a remote template Word fetches on opening
    _add_rel(parts, "word/_rels/settings.xml.rels",
             f'<Relationship Id="rIdT" Type="{r}/attachedTemplate" Target="{REMOTE}" TargetMode="External"/>')
    parts["word/settings.xml"] = parts["word/settings.xml"].replace(
        b"<w:zoom", b'<w:attachedTemplate r:id="rIdT"/><w:zoom', 1)
    assert b"attachedTemplate" in parts["word/settings.xml"]
    # a tracking image in the header: a picture linked from a remote server
    header = next(n for n in parts if n.startswith("word/header") and n.endswith(".xml"))
    header_rels = f"word/_rels/{header.split('/')[-1]}.rels"
    _add_rel(parts, header_rels, f'<Relationship Id="rIdPix" Type="{r}/image" Target="{PIXEL}" '
                                 'TargetMode="External"/>')
    parts[header] = parts[header].replace(b'r:embed="', b'r:link="rIdPix" r:embed="', 1)
    assert b"rIdPix" in parts[header]
    # review comments with their author
    parts["word/comments.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments xmlns:w="http://schemas.'
        f'openxmlformats.org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="{AUTHOR}" w:initials="SR">'
        "<w:p><w:r><w:t>raise the fee for this client</w:t></w:r></w:p></w:comment></w:comments>").encode()
    _add_rel(parts, "word/_rels/document.xml.rels", f'<Relationship Id="rIdC" Type="{r}/comments" '
                                                    'Target="comments.xml"/>')
    # custom XML and a macro project
    parts["customXml/item1.xml"] = b"<secret>client list</secret>"
    _add_rel(parts, "word/_rels/document.xml.rels", f'<Relationship Id="rIdX" Type="{r}/customXml" '
                                                    'Target="../customXml/item1.xml"/>')
    parts["word/vbaProject.bin"] = b"MACRO" * 100
    _add_rel(parts, "word/_rels/document.xml.rels", '<Relationship Id="rIdV" Type="http://schemas.microsoft.com/'
                                                    'office/2006/relationships/vbaProject" Target="vbaProject.bin"/>')
    types = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.comments+xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.'
        b'vbaProject"/></Types>'))
    parts["[Content_Types].xml"] = types
    return _write(tmp_path / "hostile.docx", parts)


def _render(plea, case: str, letterhead: Path, out: Path, code: int = 0):
    return plea("letters", "render", case, "--to", "FR", "--format", "docx", "--out", str(out),
                "--letterhead", str(letterhead), code=code)


def test_a_letterhead_keeps_its_header_footer_and_logo_but_nothing_hostile(plea, case: str, tmp_path: Path) -> None:
    letterhead = _hostile(tmp_path)
    _render(plea, case, letterhead, tmp_path / "out")
    (letter,) = (tmp_path / "out").rglob("*.docx")
    with zipfile.ZipFile(letter) as z:
        names = z.namelist()
        everything = b"".join(z.read(n) for n in names)
    assert b'TargetMode="External"' not in everything and b"tracker.example" not in everything
    assert b"attachedTemplate" not in everything and b"rIdPix" not in everything
    assert AUTHOR.encode() not in everything and b"raise the fee" not in everything
    assert b"client list" not in everything and b"MACRO" not in everything
    assert not [n for n in names if "comments" in n or "customXml" in n or "vbaProject" in n]
    assert [n for n in names if n.startswith("word/media/")]  # the logo stays
    doc = Document(str(letter))  # the letterhead's header on the first page, its footer on every page
    assert "ACME LAW FIRM" in doc.sections[0].first_page_header.paragraphs[0].text
    assert "1 Acme Plaza" in doc.sections[0].first_page_footer.paragraphs[0].text
    assert "1 Acme Plaza" in doc.sections[0].footer.paragraphs[0].text


def test_a_zip_bomb_letterhead_is_refused_quickly(plea, case: str, tmp_path: Path) -> None:
    parts = _base(tmp_path)
    bomb = tmp_path / "bomb.docx"
    _write(bomb, {n: d for n, d in parts.items() if n != "word/styles.xml"})
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("word/styles.xml", "w", force_zip64=True) as fh:
        chunk = b"\0" * (1 << 20)
        for _ in range(200):  # 200 MiB of zeros: about 200 KB on disk
            fh.write(chunk)
    assert bomb.stat().st_size < 1 << 20
    started = time.monotonic()
    r = _render(plea, case, bomb, tmp_path / "out", code=3)
    assert time.monotonic() - started < 20
    assert r.stderr == (f"plea: error: {bomb}: part word/styles.xml expands past 16 MiB (a zip bomb?); this is "
                        "not a letterhead plea will use\nsave the letterhead again from Word or LibreOffice as "
                        ".docx; nothing was written\n")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))


def test_a_real_word_document_with_comments_leaves_them_behind(plea, case: str, tmp_path: Path) -> None:
    # python-docx's own test file (MIT; tests/data/docx/README.md): comments by "Steve Canny", an
    # external link in the comments' relationships, commentsExtended and commentsIds parts
    real = Path(__file__).parent / "data" / "docx" / "comments-rich-para.docx"
    with zipfile.ZipFile(real) as z:
        assert b"Steve Canny" in z.read("word/comments.xml")
    _render(plea, case, real, tmp_path / "out")
    (letter,) = (tmp_path / "out").rglob("*.docx")
    with zipfile.ZipFile(letter) as z:
        names = z.namelist()
        everything = b"".join(z.read(n) for n in names)
    assert not [n for n in names if "comments" in n.lower()]
    assert b"Steve Canny" not in everything and b"google.com" not in everything
    assert b'TargetMode="External"' not in everything


def _first_page_letterhead(tmp_path: Path) -> Path:
    """A letterhead with a first page of its own: a header and a footer for it, and others for the
    pages after it."""
    doc = Document()
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "ACME LAW FIRM"
    section.first_page_footer.paragraphs[0].text = "1 Acme Plaza"
    section.header.paragraphs[0].text = "ACME, continued"
    section.footer.paragraphs[0].text = "acme.example"
    doc.save(str(tmp_path / "first-page.docx"))
    return tmp_path / "first-page.docx"


def _continuation(letter: Path, ref: str) -> tuple[Any, list[str]]:
    """The letter's section, and its continuation pages' header paragraphs (the reference and page
    fields as Word shows them before it counts: PAGE and NUMPAGES as 2)."""
    from plea.render.layout import continuation

    section = Document(str(letter)).sections[0]
    label, _ = continuation("fr")
    xml = section.header._element.xml
    assert f"{label} {ref}" in xml and "PAGE" in xml and "NUMPAGES" in xml
    return section, [p.text for p in section.header.paragraphs]


def test_continuation_pages_carry_the_reference_on_a_letterhead(plea, case: str, tmp_path: Path) -> None:
    """On a letterhead the pages after the first carry the reference and "page N of M" as on plain paper:
    a letterhead with one header for every page keeps it (and its footer) on the first page, and the
    others get the reference line and keep the footer; one with a first page of its own keeps both its
    headers, the line added under the second."""
    from plea.render.layout import continuation

    label, _ = continuation("fr")
    parts = _base(tmp_path)
    same = _write(tmp_path / "same.docx", parts)
    _render(plea, case, same, tmp_path / "same")
    (letter,) = (tmp_path / "same").rglob("*.docx")
    section, lines = _continuation(letter, case)
    assert section.different_first_page_header_footer
    assert section.first_page_header.paragraphs[0].text == "ACME LAW FIRM"
    assert [p.text for p in section.first_page_footer.paragraphs] == ["1 Acme Plaza"]
    assert [p.text for p in section.footer.paragraphs] == ["1 Acme Plaza"]
    assert len(lines) == 1 and lines[0].startswith(f"{label} {case}")
    _render(plea, case, _first_page_letterhead(tmp_path), tmp_path / "first")
    (letter,) = (tmp_path / "first").rglob("*.docx")
    section, lines = _continuation(letter, case)
    assert section.first_page_header.paragraphs[0].text == "ACME LAW FIRM"
    assert [p.text for p in section.first_page_footer.paragraphs] == ["1 Acme Plaza"]
    assert [p.text for p in section.footer.paragraphs] == ["acme.example"]
    assert lines[0] == "ACME, continued" and lines[1].startswith(f"{label} {case}")


@pytest.mark.soffice
def test_a_long_letter_on_a_letterhead_shows_its_reference_from_page_two(
    plea, db_file: Path, tmp_path: Path
) -> None:
    """As a reader sees it (the PDF LibreOffice makes): the letterhead's header on page 1 only, the
    reference and "page 2 of N" on page 2, the footer on both."""
    from pypdf import PdfReader

    from plea.render.layout import continuation

    paragraph = "He was arrested twice for his posts against the war, and his flat was searched. " * 12
    story = "\n\n".join([paragraph] * 6)
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", REF_NAME, "--nationality", "RU",
               "--persecution", story).stdout.strip()
    letterhead = _write(tmp_path / "same.docx", _base(tmp_path))
    plea("letters", "render", ref, "--to", "FR", "--format", "pdf", "--out", str(tmp_path / "out"),
         "--letterhead", str(letterhead))
    (pdf,) = (tmp_path / "out").rglob("*.pdf")
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages]
    assert len(pages) >= 2
    label, numbered = continuation("fr")
    second = f"{label} {ref} · " + numbered.format(page=2, pages=len(pages))
    assert "ACME LAW FIRM" in pages[0] and "ACME LAW FIRM" not in pages[1]
    assert second in pages[1] and f"{label} {ref} · " not in pages[0].split("Objet")[0]
    assert all("1 Acme Plaza" in p for p in pages)
