"""Blocks → DOCX with python-docx: real paragraph styles, paper size, right-to-left
paragraphs for Arabic, East Asian fonts for Chinese and Japanese, and optionally a
letterhead document's styles, header and footer."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from plea.errors import InvalidInput
from plea.render.blocks import Block
from plea.render.letter import RenderedLetter
from plea.render.locale import EAST_ASIAN_LANGS, RTL_LANGS

PAPER = {"a4": (Mm(210), Mm(297)), "letter": (Mm(215.9), Mm(279.4))}
EAST_ASIAN_FONTS = {"zh": "SimSun", "ja": "MS Mincho", "ko": "Malgun Gothic"}
STYLE_NAMES = {
    "body": "Plea Body",
    "date": "Plea Date",
    "recipient": "Plea Recipient",
    "subject": "Plea Subject",
    "signature": "Plea Signature",
    "heading1": "Plea Heading",
    "heading2": "Plea Heading",
    "heading3": "Plea Heading",
    "bullet": "Plea List Bullet",
    "number": "Plea List Number",
}


def paper_for_host(host: str) -> str:
    """Letter paper in the US and Canada (and the few others that use it), A4 elsewhere."""
    return "letter" if host.upper() in {"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO", "SV"} else "a4"


def _ensure_styles(doc: Any) -> None:
    styles = doc.styles
    names = {s.name for s in styles}
    base = styles["Normal"]

    def add(name: str, *, bold: bool = False, size: int | None = None, space_after: int = 8,
            align: Any = None, keep_next: bool = False) -> None:
        if name in names:
            return
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = base
        style.quick_style = True
        style.font.bold = bold or None
        if size:
            style.font.size = Pt(size)
        fmt = style.paragraph_format
        fmt.space_after = Pt(space_after)
        if align is not None:
            fmt.alignment = align
        fmt.keep_with_next = keep_next or None

    add("Plea Body", space_after=8)
    add("Plea Date", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=18)
    add("Plea Recipient", space_after=18)
    add("Plea Subject", bold=True, space_after=14)
    add("Plea Heading", bold=True, size=12, space_after=6, keep_next=True)
    add("Plea List Bullet", space_after=2)
    add("Plea List Number", space_after=2)
    add("Plea Signature", space_after=8)


def _set_rtl(paragraph: Any) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bidi = OxmlElement("w:bidi")
    ppr.insert(0, bidi)
    for run in paragraph.runs:
        rpr = run._r.get_or_add_rPr()
        rpr.append(OxmlElement("w:rtl"))


def _east_asian(doc: Any, lang: str) -> None:
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONTS[lang])
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr.append(lang_el)
    lang_el.set(qn("w:eastAsia"), {"zh": "zh-CN", "ja": "ja-JP", "ko": "ko-KR"}[lang])


def _open_base(letterhead: Path | None) -> Any:
    if letterhead is None:
        return Document()
    try:
        doc = Document(str(letterhead))
    except Exception as exc:  # python-docx raises several types for a bad package
        raise InvalidInput(f"{letterhead}: not a readable DOCX letterhead ({exc.__class__.__name__})",
                           hint="save the letterhead from Word or LibreOffice as .docx") from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def _prefix(block: Block, number: int) -> str:
    return "• " if block.style == "bullet" else f"{number}. " if block.style == "number" else ""


@lru_cache(maxsize=32)
def _skeleton(paper: str, lang: str, letterhead: Path | None, letterhead_mtime: float) -> tuple[bytes, dict[str, str]]:
    """The styled, empty document for one paper size, language and letterhead, built once;
    and the style ids of plea's paragraph styles in it."""
    doc = _open_base(letterhead)
    _ensure_styles(doc)
    if lang in EAST_ASIAN_LANGS:
        _east_asian(doc, lang)
    section = doc.sections[0]
    if letterhead is None:
        section.page_width, section.page_height = PAPER[paper]
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Mm(25))
        section.top_margin = section.bottom_margin = Mm(20)
    ids = {key: doc.styles[name].style_id for key, name in STYLE_NAMES.items()}
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), ids


def _set_style(paragraph: Any, style_id: str) -> None:
    # python-docx's own style setter scans every style per paragraph; the id is known.
    paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = style_id


def build_docx(rendered: RenderedLetter, *, paper: str = "a4", letterhead: Path | None = None) -> bytes:
    lang = rendered.lang.split("-")[0]
    rtl = lang in RTL_LANGS
    mtime = letterhead.stat().st_mtime if letterhead else 0.0
    skeleton, style_ids = _skeleton(paper, lang if lang in EAST_ASIAN_LANGS else "", letterhead, mtime)
    doc = Document(io.BytesIO(skeleton))
    props = doc.core_properties
    props.title = rendered.subject
    props.language = rendered.lang
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    number = 0
    for block in rendered.blocks:
        number = number + 1 if block.style == "number" else 0
        paragraph = doc.add_paragraph()
        _set_style(paragraph, style_ids.get(block.style, style_ids["body"]))
        prefix = _prefix(block, number)
        if prefix:
            paragraph.add_run(prefix)
        for run in block.runs:
            if run.br:
                paragraph.add_run().add_break()
            r = paragraph.add_run(run.text)
            if run.bold:
                r.bold = True
            if run.italic:
                r.italic = True
        if rtl:
            _set_rtl(paragraph)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx_text(path: Path) -> str:
    """The text of a DOCX, a paragraph a line (for tests and checks)."""
    doc = Document(str(path))
    return "\n".join(p.text for p in doc.paragraphs)
