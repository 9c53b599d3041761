"""Blocks → DOCX with python-docx: real paragraph styles, paper size, right-to-left
paragraphs for Arabic and Hebrew, East Asian fonts for Chinese and Japanese, Noto fonts named
for Georgian, Armenian and Hebrew, and optionally a
letterhead document's styles, header and footer."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from plea.errors import InvalidInput
from plea.render.blocks import Block
from plea.render.layout import LAYOUTS, continuation
from plea.render.letter import RenderedLetter
from plea.render.letterhead import continuation_header
from plea.render.locale import EAST_ASIAN_LANGS, RTL_LANGS
from plea.render.styles import SCRIPT_FONTS, _east_asian, _ensure_styles, _script_font
from plea.render.zipped import _central_record, _deflate, _joined, _local_record, _zip, deflate_piece

STYLE_NAMES = {
    "body": "Plea Body",
    "date": "Plea Date",
    "sender": "Plea Sender",
    "recipient": "Plea Recipient",
    "subject": "Plea Subject",
    "closing": "Plea Closing",
    "signature": "Plea Signature",
    "heading1": "Plea Heading",
    "heading2": "Plea Heading",
    "heading3": "Plea Heading",
    "bullet": "Plea List Bullet",
    "number": "Plea List Number",
    "header": "Plea Header",
    "anchor": "Plea Anchor",
}


#: parts of python-docx's default template that a letter does not need (Word 2010's copy of the
#: styles, a thumbnail of an empty page, an empty custom XML item)
_BAGGAGE = ("/stylesWithEffects", "/thumbnail", "/customXml")


def _open_base(letterhead: Path | None) -> Any:
    if letterhead is None:
        doc = Document()
        for rels in (doc.part.rels, doc.part.package.rels):
            for rid, rel in list(rels.items()):
                if rel.reltype.endswith(_BAGGAGE):
                    del rels[rid]  # parts nothing points to are not saved
        # of the template's 164 styles only the defaults (Normal, the default character, table
        # and list styles); plea adds its own. Word still offers its built-in styles by name.
        styles = doc.styles.element
        for style in styles.findall(qn("w:style")):
            if style.get(qn("w:default")) != "1":
                styles.remove(style)
        return doc
    from plea.render.letterhead import clean_letterhead

    package = clean_letterhead(letterhead)  # only the parts a letterhead needs; bounded reads
    try:
        doc = Document(io.BytesIO(package))
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


@dataclass(frozen=True)
class Skeleton:
    """A styled, empty document, built once with python-docx, taken apart for filling:
    every part but the body as ready-to-copy compressed zip entries, and document.xml as the
    text before and after the paragraphs."""

    entries: tuple[tuple[str, bytes | None], ...]  # (part name, zip entry data); None: filled per letter
    head: str  # document.xml up to the first paragraph
    tail: str  # the section properties and the closing tags
    w: str  # the prefix of the WordprocessingML namespace in document.xml ("w:")
    style_ids: dict[str, str] = field(hash=False)
    core: str  # docProps/core.xml with \ue000TITLE\ue000 and \ue000LANG\ue000 to fill
    # the continuation pages' header part: (its name, its XML with \ue000HEAD\ue000 where the
    # paragraph goes); ("", "") with a letterhead (whose own header stays)
    header: tuple[str, str] = ("", "")
    # a block style's frame (w:framePr) on the first page: the sender and addressee blocks
    frames: dict[str, str] = field(default_factory=dict, hash=False)
    # the zip's unchanging part, laid out once: the fixed parts' entries and directory records
    fixed_local: bytes = b""
    fixed_central: bytes = b""
    fixed_count: int = 0
    # head and tail of document.xml as pieces (see deflate_piece), for letters joined from pieces
    head_piece: tuple[bytes, bytes] = (b"", b"")
    tail_piece: tuple[bytes, bytes] = (b"", b"")


_TITLE, _LANG, _HEAD = "\ue000TITLE\ue000", "\ue000LANG\ue000", "\ue000HEAD\ue000"
_MARK = "PLEA-BODY-MARK"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCUMENT, _CORE = "word/document.xml", "docProps/core.xml"


@lru_cache(maxsize=32)
def _skeleton(paper: str, lang: str, letterhead: Path | None, letterhead_mtime: float) -> Skeleton:
    """The styled, empty document for one paper size, language class and letterhead."""
    import zipfile

    from lxml import etree

    doc = _open_base(letterhead)
    section = doc.sections[0]
    if letterhead is None:
        layout = LAYOUTS[paper]
        section.page_width, section.page_height = (Mm(v) for v in layout.page)
        top, right, bottom, left = layout.margins
        section.top_margin, section.right_margin = Mm(top), Mm(right)
        section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
        section.header_distance = Mm(layout.header_distance)
        _continuation_header(section)
    else:  # the letterhead's page and margins; the blocks where plea's paper of that size has them
        width = section.page_width.mm if section.page_width else 210.0
        layout = LAYOUTS["letter"] if abs(width - 215.9) < 2 else LAYOUTS["a4"]
        continuation_header(section, _HEAD)  # the pages after the first: the reference line
    top_mm = section.top_margin.mm if section.top_margin is not None else layout.margins[0]
    _ensure_styles(doc, layout, top_mm, own_fonts=letterhead is None)
    if lang in EAST_ASIAN_LANGS:
        _east_asian(doc, lang)
    if lang in SCRIPT_FONTS:
        _script_font(doc, lang)
    ids = {key: doc.styles[name].style_id for key, name in STYLE_NAMES.items()}
    props = doc.core_properties
    props.title, props.language = _TITLE, _LANG
    props.author = props.last_modified_by = props.comments = ""
    # a marker paragraph where the letter's paragraphs go: before the body's section properties
    body = doc.element.body
    marker = OxmlElement("w:p")
    marker.set(qn("w:rsidR"), _MARK)
    sect = body.find(qn("w:sectPr"))
    if sect is not None:
        sect.addprevious(marker)
    else:
        body.append(marker)
    buf = io.BytesIO()
    doc.save(buf)
    entries: list[tuple[str, bytes | None]] = []
    head = tail = core = ""
    with zipfile.ZipFile(buf) as z:
        for name in z.namelist():
            data = z.read(name)
            if name == _DOCUMENT:
                text = data.decode("utf-8")
                at = text.index(_MARK)
                start, end = text.rindex("<", 0, at), text.index(">", at) + 1
                head, tail = text[:start], text[end:]
                entries.append((name, None))
            elif name == _CORE:
                core = data.decode("utf-8")
                entries.append((name, None))
            else:
                entries.append((name, _deflate(data)))
    header = ("", "")
    for i, (name, entry) in enumerate(entries):
        if entry is not None and name.startswith("word/header"):
            with zipfile.ZipFile(buf) as z:
                text = z.read(name).decode("utf-8")
            if _HEAD in text:
                at = text.index(_HEAD)
                start, end = text.rindex("<w:p>", 0, at), text.index("</w:p>", at) + len("</w:p>")
                header = (name, text[:start] + _HEAD + text[end:])
                entries[i] = (name, None)
    root = etree.fromstring((head + tail).encode("utf-8"))
    prefix = next((p for p, ns in root.nsmap.items() if ns == _W_NS), None)
    if prefix is None:  # the namespace is the default one: give it a prefix of its own
        if "w" in root.nsmap:
            raise InvalidInput(f"{letterhead}: this letterhead's XML is laid out in a way plea cannot fill",
                               hint="save it again from Word or LibreOffice as .docx")
        head = re.sub(r"^(.*?<[^?!][^\s>/]*)", lambda m: f'{m.group(1)} xmlns:w="{_W_NS}"', head, count=1,
                      flags=re.S)
        prefix = "w"
    fixed_local, fixed_central = bytearray(), bytearray()
    fixed = [(name, entry) for name, entry in entries if entry is not None]
    for name, entry in fixed:
        fixed_central += _central_record(name, entry, len(fixed_local))
        fixed_local += _local_record(name, entry)
    frames = {"sender": _frame(f"{prefix}:", layout.sender), "recipient": _frame(f"{prefix}:", layout.address),
              "date": _frame(f"{prefix}:", layout.date)}
    return Skeleton(tuple(entries), head, tail, f"{prefix}:", ids, core, header, frames, bytes(fixed_local),
                    bytes(fixed_central), len(fixed), deflate_piece(head), deflate_piece(tail))


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def _frame(w: str, box: Any) -> str:
    """A frame at a fixed place on the page (text goes above and below it, never beside);
    at least the box's height, longer if its text needs it (nothing is cut off)."""
    return (f'<{w}framePr {w}w="{_twips(box.w)}" {w}h="{_twips(box.h)}" {w}hRule="atLeast" '
            f'{w}wrap="notBeside" {w}vAnchor="page" {w}hAnchor="page" {w}x="{_twips(box.x)}" '
            f'{w}y="{_twips(box.y)}"/>')


def _continuation_header(section: Any) -> None:
    """An empty header on the first page; on the others a paragraph filled per letter (the
    reference and "page N of M": see header_xml)."""
    section.different_first_page_header_footer = True
    section.header.is_linked_to_previous = False
    section.header.paragraphs[0].text = _HEAD
    section.first_page_header.is_linked_to_previous = False


# characters XML 1.0 cannot hold (cleaned where data enters; dropped here too, never passed through)
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile(r"(\t|\r\n|\n|\r)")


def xml_text(value: str) -> str:
    """A value made safe for XML character data: invalid characters dropped, & < > escaped."""
    return _XML_BAD.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: str) -> str:
    return xml_text(value).replace('"', "&quot;")


def _run(w: str, text: str, rpr: str) -> str:
    """One run: text with tabs and line breaks as w:tab and w:br (as python-docx writes them)."""
    parts = []
    for piece in _BREAKS.split(text):
        if not piece:
            continue
        if piece == "\t":
            parts.append(f"<{w}tab/>")
        elif piece in ("\n", "\r", "\r\n"):
            parts.append(f"<{w}br/>")
        else:
            space = ' xml:space="preserve"' if piece != piece.strip() else ""
            parts.append(f"<{w}t{space}>{xml_text(piece)}</{w}t>")
    return f"<{w}r>{rpr}{''.join(parts)}</{w}r>"


def _rpr(w: str, bold: bool, italic: bool, rtl: bool) -> str:
    # OOXML's order of rPr children: b, bCs, i, iCs, …, rtl. In a right-to-left paragraph the
    # complex-script twins make Arabic bold and italic too (w:b alone is for Latin text)
    inner = ((f"<{w}b/>" + (f"<{w}bCs/>" if rtl else "") if bold else "")
             + (f"<{w}i/>" + (f"<{w}iCs/>" if rtl else "") if italic else "")
             + (f"<{w}rtl/>" if rtl else ""))
    return f"<{w}rPr>{inner}</{w}rPr>" if inner else ""


_RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
#: Latin, Greek and Cyrillic letters and digits
_LTR_CHARS = "A-Za-z0-9\u00c0-\u024f\u0370-\u052f"
#: a left-to-right stretch: from a Latin, Greek or Cyrillic letter or a digit to the last one
#: before a right-to-left letter (or the end)
_LTR_STRETCH = re.compile(f"[{_LTR_CHARS}][^{_RTL_CHARS}]*")
_LTR_LAST = re.compile(f"[{_LTR_CHARS}](?=[^{_LTR_CHARS}]*$)")
_RTL_LETTER = re.compile(f"[{_RTL_CHARS}]")
_LTR_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u052f]")
_CLOSING = {")": "(", "]": "["}
LRM = "\u200e"


def _closed(stretch: str) -> str:
    """The stretch up to its last letter or digit, with the closing brackets right after it
    that close brackets it opened ("Anna Sample (fictional)" of "Anna Sample (fictional); ")."""
    last = _LTR_LAST.search(stretch)
    end = last.end() if last else len(stretch)
    opened: list[str] = []  # brackets opened in the stretch and not yet closed, innermost last
    for ch in stretch[:end]:
        if ch in _CLOSING.values():
            opened.append(ch)
        elif ch in _CLOSING and opened and opened[-1] == _CLOSING[ch]:
            opened.pop()  # (a closing bracket of one opened before the stretch is not its own)
    while end < len(stretch) and opened and _CLOSING.get(stretch[end]) == opened[-1]:
        opened.pop()
        end += 1
    return stretch[:end]


def bidi_text(text: str) -> str:
    """A run's text for a right-to-left paragraph, line by line. A line with no right-to-left
    letter is held left to right between LEFT-TO-RIGHT MARKs (its punctuation would otherwise
    take the paragraph's direction and move to the wrong end: ".Washington, D.C",
    ".conscription"). In a line with both, a Latin, Greek or Cyrillic stretch keeps the closing
    brackets it opened on its right (a mark after them), while the punctuation after it belongs
    to the right-to-left sentence: "מרשתי (Anna Sample (fictional); אזרחות" keeps "(fictional)"
    whole and its semicolon after the name."""
    if not text:
        return text
    lines = []
    for line in text.split("\n"):
        if not _LTR_LETTER.search(line):
            lines.append(line)
        elif not _RTL_LETTER.search(line):
            lines.append(LRM + line + LRM if line.strip() else line)
        else:
            lines.append(_LTR_STRETCH.sub(lambda m: _mark(m.group(0)), line))
    return "\n".join(lines)


def _mark(stretch: str) -> str:
    kept = _closed(stretch)
    if kept.endswith(tuple(_CLOSING)):
        return kept + LRM + stretch[len(kept):]
    return stretch


RLM = "\u200f"


def _rtl_line(text: str) -> str:
    return RLM + text if _RTL_LETTER.search(text) else text


def body_xml(blocks: list[Block], skeleton: Skeleton, *, rtl: bool, number: int = 0,
             following: str | None = None) -> str:
    """The letter's paragraphs as WordprocessingML; every value escaped. `number`: how many
    numbered items come just before these blocks (to go on counting); `following`: the style
    of the block just after them (the paragraph before the closing keeps with it)."""
    w = skeleton.w
    ids = skeleton.style_ids
    plain = _rpr(w, False, False, rtl)
    # OOXML's order of pPr children: pStyle, keepNext, framePr, …, bidi
    bidi = f"<{w}bidi/>" if rtl else ""
    keep = f"<{w}keepNext/>"
    out = []
    for i, block in enumerate(blocks):
        number = number + 1 if block.style == "number" else 0
        style = xml_attr(ids.get(block.style, ids["body"]))
        after = blocks[i + 1].style if i + 1 < len(blocks) else following
        keep_next = keep if after == "closing" and block.style != "closing" else ""
        frame = skeleton.frames.get(block.style, "")
        # a frame sits where the envelope's window is whatever the language: its paragraph is
        # left to right (LibreOffice mirrors a right-to-left paragraph's frame), a line with
        # Arabic in it starting with a RIGHT-TO-LEFT MARK so that it reads right to left
        rtl_here = rtl and not frame
        parts = [f'<{w}p><{w}pPr><{w}pStyle {w}val="{style}"/>{keep_next}{frame}'
                 f'{bidi if rtl_here else ""}</{w}pPr>']
        prefix = _prefix(block, number)
        if prefix:
            parts.append(_run(w, prefix, plain))
        for run in block.runs:
            if run.br:
                parts.append(f"<{w}r>{plain}<{w}br/></{w}r>")
            text = bidi_text(run.text) if rtl_here else _rtl_line(run.text) if rtl else run.text
            parts.append(_run(w, text, _rpr(w, run.bold, run.italic, rtl_here)))
        parts.append(f"</{w}p>")
        if frame and after is not None and after not in skeleton.frames:
            parts.append(f'<{w}p><{w}pPr><{w}pStyle {w}val="{xml_attr(ids["anchor"])}"/></{w}pPr></{w}p>')
        out.append("".join(parts))
    return "".join(out)


def _field(w: str, instr: str, shown: str, rpr: str) -> str:
    return (f'<{w}r>{rpr}<{w}fldChar {w}fldCharType="begin"/></{w}r><{w}r>{rpr}<{w}instrText xml:space="preserve">'
            f' {instr} </{w}instrText></{w}r><{w}r>{rpr}<{w}fldChar {w}fldCharType="separate"/></{w}r>'
            f'{_run(w, shown, rpr)}<{w}r>{rpr}<{w}fldChar {w}fldCharType="end"/></{w}r>')


@lru_cache(maxsize=256)
def header_xml(style: str, reference: str, lang: str) -> str:
    """The continuation pages' header paragraph: the reference and "page N of M" (PAGE and
    NUMPAGES fields) in the letter's language, at the end of the line it starts from."""
    w = "w:"
    rtl = is_rtl(lang)
    rpr = _rpr(w, False, False, rtl)
    label, pages = continuation(lang)
    parts = [f'<{w}p><{w}pPr><{w}pStyle {w}val="{xml_attr(style)}"/>{f"<{w}bidi/>" if rtl else ""}'
             f'<{w}jc {w}val="{"left" if rtl else "right"}"/></{w}pPr>']
    if reference:
        parts.append(_run(w, f"{label} {reference}" if not label.endswith("：") else label + reference, rpr))
        parts.append(_run(w, " · ", rpr))
    for piece in re.split(r"(\{page\}|\{pages\})", pages):
        if piece == "{page}":
            parts.append(_field(w, "PAGE", "2", rpr))
        elif piece == "{pages}":
            parts.append(_field(w, "NUMPAGES", "2", rpr))
        elif piece:
            parts.append(_run(w, piece, rpr))
    parts.append(f"</{w}p>")
    return "".join(parts)


@lru_cache(maxsize=256)
def _core_entry(core: str, subject: str, lang: str) -> bytes:
    return _deflate(core.replace(_TITLE, xml_text(subject)).replace(_LANG, xml_text(lang)).encode("utf-8"))


def skeleton_for(lang: str, *, paper: str = "a4", letterhead: Path | None = None) -> Skeleton:
    base = lang.split("-")[0]
    script = base if base in EAST_ASIAN_LANGS or base in SCRIPT_FONTS else ""
    if letterhead is None:
        return _kept_skeleton(paper, script)
    return _skeleton(paper, script, letterhead, letterhead.stat().st_mtime)


@lru_cache(maxsize=32)
def _kept_skeleton(paper: str, script: str) -> Skeleton:
    """A skeleton without a letterhead, read back from the cache of compiled templates
    (plea.render.compiled) where an earlier run kept it, else built now and kept."""
    from dataclasses import astuple

    from plea.render import compiled

    folder = compiled.shipped_folder()
    name = f"skeleton-{paper}-{script or 'latin'}"
    saved = compiled.load(folder, name) if folder is not None else None
    if isinstance(saved, tuple):
        try:
            return Skeleton(*saved)
        except TypeError:  # another shape: a miss
            pass
    skeleton = _skeleton(paper, script, None, 0.0)
    if folder is not None:
        compiled.store(folder, name, astuple(skeleton))
    return skeleton


def is_rtl(lang: str) -> bool:
    return lang.split("-")[0] in RTL_LANGS


def docx_bytes(blocks: list[Block], *, subject: str, lang: str, skeleton: Skeleton,
               pieces: list[tuple[bytes, bytes]] | None = None, reference: str = "") -> bytes:
    """A whole DOCX: the skeleton's parts copied as they are, document.xml filled with the
    paragraphs (or joined from `pieces`, the paragraphs' XML already compressed a piece at a
    time: see deflate_piece)."""
    if pieces is None:
        document = (skeleton.head + body_xml(blocks, skeleton, rtl=is_rtl(lang)) + skeleton.tail).encode("utf-8")
        entry = _deflate(document, 1)  # level 1: small, and made for every letter
    else:
        entry = _joined([skeleton.head_piece, *pieces, skeleton.tail_piece])
    # the fixed parts first ([Content_Types].xml leading), then those made for this letter
    made = [(_CORE, _core_entry(skeleton.core, subject, lang)), (_DOCUMENT, entry)]
    if skeleton.header[0]:
        made.append((skeleton.header[0], _header_entry(skeleton.header[1], skeleton.style_ids["header"],
                                                       reference, lang)))
    return _zip(made, local=skeleton.fixed_local, central=skeleton.fixed_central, count=skeleton.fixed_count)


@lru_cache(maxsize=1024)
def _header_entry(template: str, style: str, reference: str, lang: str) -> bytes:
    return _deflate(template.replace(_HEAD, header_xml(style, reference, lang)).encode("utf-8"))


def build_docx(rendered: RenderedLetter, *, paper: str = "a4", letterhead: Path | None = None,
               reference: str = "") -> bytes:
    skeleton = skeleton_for(rendered.lang, paper=paper, letterhead=letterhead)
    return docx_bytes(rendered.blocks, subject=rendered.subject, lang=rendered.lang, skeleton=skeleton,
                      reference=reference)


def docx_text(path: Path) -> str:
    """The text of a DOCX, a paragraph a line (for tests and checks)."""
    doc = Document(str(path))
    return "\n".join(p.text for p in doc.paragraphs)
