"""The letter's paragraph styles and fonts, set with python-docx on the Normal style and plea's own
styles: Noto fonts for Latin, Cyrillic and Arabic, East Asian fonts for Chinese, Japanese and Korean,
and the fonts named for Georgian, Armenian and Hebrew (plea.render.docx builds the document)."""

from __future__ import annotations

from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from plea.render.layout import Layout

#: East Asian text by name, in the serif that matches the letter's Noto Serif: Noto Serif CJK (Debian's
#: fonts-noto-cjk, which plea doctor checks), the face of each language's regional forms. With Windows
#: fonts named (SimSun, MS Mincho), LibreOffice, lacking them, drew Japanese letters in Noto Sans CJK
#: (a sans serif beside serif Latin text; seen with pdffonts). Chinese came out in the serif with the
#: Chinese forms of the characters (骨, 直, 令 drawn side by side at 48 pt): LibreOffice picks the forms
#: by the w:lang eastAsia tag (zh-CN, ja-JP, ko-KR), whatever the face; the PDF names the subset after
#: the collection's shared outlines (NotoSerifCJKjp) either way. Word without Noto falls back by that
#: same tag to the system's own font.
EAST_ASIAN_FONTS = {"zh": "Noto Serif CJK SC", "ja": "Noto Serif CJK JP", "ko": "Noto Serif CJK KR"}
#: scripts the common Latin fonts lack, named on the Normal style so that LibreOffice (and Word, where
#: installed) use them: (rFonts attributes, font, w:lang attribute, language tag). Georgian and Armenian
#: are "high ANSI" text in OOXML (w:hAnsi; LibreOffice reads its western font from w:ascii too, and finds
#: the Latin letters these fonts lack by its own fallback); Hebrew runs are right to left, i.e. complex
#: script (w:cs). The fonts are Debian's fonts-noto-core (plea doctor checks them).
SCRIPT_FONTS = {
    "ka": (("ascii", "hAnsi"), "Noto Serif Georgian", "val", "ka-GE"),
    "hy": (("ascii", "hAnsi"), "Noto Serif Armenian", "val", "hy-AM"),
    "he": (("cs",), "Noto Serif Hebrew", "bidi", "he-IL"),
}
#: Latin and complex-script (Arabic) fonts, both in Debian's fonts-noto-core (what CI installs):
#: LibreOffice renders every letter with fonts on the machine, never fetched
LATIN_FONT = "Noto Serif"
COMPLEX_FONT = "Noto Naskh Arabic"
BODY_SIZE = 10.0  # points
#: Noto Serif's own line height is 1.36 em: a little less keeps a letter on one page
LINE_SPACING = 0.9

def _ensure_styles(doc: Any, layout: Layout | None, top_margin_mm: float, *, own_fonts: bool = True) -> None:
    """plea's paragraph styles. With a layout (plea's own paper, or a letterhead's page), the
    text after the sender, addressee and date frames starts below the window. own_fonts: plea's
    fonts, size and spacing in Normal (not over a letterhead's, which only gains an Arabic font)."""
    styles = doc.styles
    names = {s.name for s in styles}
    base = styles["Normal"]
    _fonts(base, whole=own_fonts)

    def add(name: str, *, bold: bool = False, size: float | None = None, space_after: float = 4,
            space_before: float = 0, align: Any = None, keep_next: bool = False,
            keep_lines: bool = False) -> None:
        if name in names:
            return
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = base
        style.quick_style = True
        style.font.bold = bold or None
        style.font.cs_bold = bold or None  # right-to-left text (Arabic, Hebrew) is bold by w:bCs
        if size:
            style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        if bold:  # the complex-script twin: Arabic text is bold too
            _set_after(rpr, "w:bCs", ("w:b",))
        if size:
            _set_after(rpr, "w:szCs", ("w:sz",)).set(qn("w:val"), str(int(size * 2)))
        fmt = style.paragraph_format
        fmt.space_after = Pt(space_after)
        fmt.space_before = Pt(space_before) if space_before else None
        if align is not None:
            fmt.alignment = align
        fmt.keep_with_next = keep_next or None
        fmt.keep_together = keep_lines or None

    text_before = max(0.0, layout.text_top - top_margin_mm) * 72 / 25.4 if layout else 0
    add("Plea Body")
    add("Plea Date", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    add("Plea Sender", size=8.5, space_after=0)
    add("Plea Recipient", size=layout.address_size if layout else None, space_after=0)
    add("Plea Subject", bold=True, space_after=8)
    # the empty, left-to-right paragraph after the frames: they are anchored to it (LibreOffice
    # mirrors a frame anchored to a right-to-left paragraph), and it ends below the window
    add("Plea Anchor", size=1, space_before=text_before, space_after=0)
    add("Plea Heading", bold=True, size=BODY_SIZE + 0.5, space_before=3, space_after=2, keep_next=True)
    add("Plea List Bullet", space_after=0)
    add("Plea List Number", space_after=0)
    add("Plea Closing", keep_next=True, keep_lines=True)
    # the space to sign by hand above the name; the block never split, nor parted from the
    # line after it (where to reply)
    add("Plea Signature", space_before=28, space_after=6, keep_lines=True, keep_next=True)
    add("Plea Header", size=8, space_after=0)


def _set_after(parent: Any, tag: str, after: tuple[str, ...]) -> Any:
    """parent's child `tag`, made if missing and put right after the last of `after` present
    (OOXML fixes the order of run properties)."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        anchors = [c for c in parent if c.tag in {qn(a) for a in after}]
        if anchors:
            anchors[-1].addnext(el)
        else:
            parent.insert(0, el)
    return el


def _fonts(normal: Any, *, whole: bool = True) -> None:
    """Normal's fonts and size: Noto Serif for Latin and Cyrillic, Noto Naskh Arabic for
    complex script, the body size for both; a little under single line spacing, a little space
    after. Not whole: only the complex-script font, where Normal names none."""
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    if not whole:
        if not fonts.get(qn("w:cs")) and not fonts.get(qn("w:cstheme")):
            fonts.set(qn("w:cs"), COMPLEX_FONT)
        return
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:cs"), COMPLEX_FONT)
    normal.font.size = Pt(BODY_SIZE)
    _set_after(rpr, "w:szCs", ("w:sz",)).set(qn("w:val"), str(int(BODY_SIZE * 2)))
    fmt = normal.paragraph_format
    fmt.line_spacing = LINE_SPACING
    fmt.space_after = Pt(0)


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


def _script_font(doc: Any, lang: str) -> None:
    attributes, font, lang_attr, tag = SCRIPT_FONTS[lang]
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in attributes:
        fonts.set(qn(f"w:{attribute}"), font)
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr.append(lang_el)
    lang_el.set(qn(f"w:{lang_attr}"), tag)
