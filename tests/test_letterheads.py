"""Letterheads keep only what a letterhead needs (issue 24, class 8): a zip bomb is refused with
exit 3 after bounded reading, and a remote attachedTemplate, tracking images, comments with
their author, custom XML and macros never reach the letters written (the output is unzipped)."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

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
    doc = Document(str(letter))
    assert "ACME LAW FIRM" in doc.sections[0].header.paragraphs[0].text
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
