"""Blocks → DOCX with python-docx: real paragraph styles, paper size, right-to-left
paragraphs for Arabic and Hebrew, East Asian fonts for Chinese and Japanese, Noto fonts named
for Georgian, Armenian and Hebrew, and optionally a
letterhead document's styles, header and footer."""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass, field
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
        style.font.cs_bold = bold or None  # right-to-left text (Arabic, Hebrew) is bold by w:bCs
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
    # the zip's unchanging part, laid out once: the fixed parts' entries and directory records
    fixed_local: bytes = b""
    fixed_central: bytes = b""
    fixed_count: int = 0
    # head and tail of document.xml as pieces (see deflate_piece), for letters joined from pieces
    head_piece: tuple[bytes, bytes] = (b"", b"")
    tail_piece: tuple[bytes, bytes] = (b"", b"")


_TITLE, _LANG = "\ue000TITLE\ue000", "\ue000LANG\ue000"
_MARK = "PLEA-BODY-MARK"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCUMENT, _CORE = "word/document.xml", "docProps/core.xml"


@lru_cache(maxsize=32)
def _skeleton(paper: str, lang: str, letterhead: Path | None, letterhead_mtime: float) -> Skeleton:
    """The styled, empty document for one paper size, language class and letterhead."""
    import zipfile

    from lxml import etree

    doc = _open_base(letterhead)
    _ensure_styles(doc)
    if lang in EAST_ASIAN_LANGS:
        _east_asian(doc, lang)
    if lang in SCRIPT_FONTS:
        _script_font(doc, lang)
    section = doc.sections[0]
    if letterhead is None:
        section.page_width, section.page_height = PAPER[paper]
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Mm(25))
        section.top_margin = section.bottom_margin = Mm(20)
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
    return Skeleton(tuple(entries), head, tail, f"{prefix}:", ids, core, bytes(fixed_local),
                    bytes(fixed_central), len(fixed), deflate_piece(head), deflate_piece(tail))


def _deflate(data: bytes, level: int = 6) -> bytes:
    """A zip entry's header fields and deflated data (see _zip)."""
    packed = zlib.compress(data, level, wbits=-15)
    return struct.pack("<III", zlib.crc32(data), len(packed), len(data)) + packed


_ZIP_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: the same bytes for the same letter


def _local_record(name: str, entry: bytes) -> bytes:
    raw = name.encode("ascii")
    crc, csize, usize = struct.unpack_from("<III", entry)
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _ZIP_DATE, crc, csize, usize, len(raw), 0) \
        + raw + entry[12:]


def _central_record(name: str, entry: bytes, offset: int) -> bytes:
    raw = name.encode("ascii")
    crc, csize, usize = struct.unpack_from("<III", entry)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, _ZIP_DATE, crc, csize, usize,
                       len(raw), 0, 0, 0, 0, 0, offset) + raw


def _zip(entries: list[tuple[str, bytes]], *, local: bytes = b"", central: bytes = b"",
         count: int = 0) -> bytes:
    """A zip file from entries already deflated by _deflate, written directly (nothing is
    compressed again), after `count` entries already laid out in `local` and `central`."""
    out = [local]
    records = [central]
    offset = len(local)
    for name, entry in entries:
        record = _local_record(name, entry)
        records.append(_central_record(name, entry, offset))
        out.append(record)
        offset += len(record)
    directory = b"".join(records)
    n = count + len(entries)
    out.append(directory)
    out.append(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(directory), offset, 0))
    return b"".join(out)


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
    # OOXML's order of rPr children: b, bCs, i, iCs, …, rtl. Right-to-left runs are complex script:
    # Word and LibreOffice make them bold and italic by w:bCs and w:iCs, not w:b and w:i
    cs = "Cs" if rtl else ""
    inner = ((f"<{w}b/>" + (f"<{w}b{cs}/>" if cs else "") if bold else "")
             + (f"<{w}i/>" + (f"<{w}i{cs}/>" if cs else "") if italic else "") + (f"<{w}rtl/>" if rtl else ""))
    return f"<{w}rPr>{inner}</{w}rPr>" if inner else ""


def body_xml(blocks: list[Block], skeleton: Skeleton, *, rtl: bool, number: int = 0) -> str:
    """The letter's paragraphs as WordprocessingML; every value escaped. `number`: how many
    numbered items come just before these blocks (to go on counting)."""
    w = skeleton.w
    ids = skeleton.style_ids
    plain = _rpr(w, False, False, rtl)
    # OOXML's order of pPr children: pStyle first, w:bidi after it
    bidi = f"<{w}bidi/>" if rtl else ""
    out = []
    for block in blocks:
        number = number + 1 if block.style == "number" else 0
        style = xml_attr(ids.get(block.style, ids["body"]))
        parts = [f'<{w}p><{w}pPr><{w}pStyle {w}val="{style}"/>{bidi}</{w}pPr>']
        prefix = _prefix(block, number)
        if prefix:
            parts.append(_run(w, prefix, plain))
        for run in block.runs:
            if run.br:
                parts.append(f"<{w}r>{plain}<{w}br/></{w}r>")
            parts.append(_run(w, run.text, _rpr(w, run.bold, run.italic, rtl)))
        parts.append(f"</{w}p>")
        out.append("".join(parts))
    return "".join(out)


@lru_cache(maxsize=256)
def _core_entry(core: str, subject: str, lang: str) -> bytes:
    return _deflate(core.replace(_TITLE, xml_text(subject)).replace(_LANG, xml_text(lang)).encode("utf-8"))


def skeleton_for(lang: str, *, paper: str = "a4", letterhead: Path | None = None) -> Skeleton:
    base = lang.split("-")[0]
    mtime = letterhead.stat().st_mtime if letterhead else 0.0
    return _skeleton(paper, base if base in EAST_ASIAN_LANGS or base in SCRIPT_FONTS else "", letterhead, mtime)


def is_rtl(lang: str) -> bool:
    return lang.split("-")[0] in RTL_LANGS


def docx_bytes(blocks: list[Block], *, subject: str, lang: str, skeleton: Skeleton,
               pieces: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """A whole DOCX: the skeleton's parts copied as they are, document.xml filled with the
    paragraphs (or joined from `pieces`, the paragraphs' XML already compressed a piece at a
    time: see deflate_piece)."""
    if pieces is None:
        document = (skeleton.head + body_xml(blocks, skeleton, rtl=is_rtl(lang)) + skeleton.tail).encode("utf-8")
        entry = _deflate(document, 1)  # level 1: small, and made for every letter
    else:
        entry = _joined([skeleton.head_piece, *pieces, skeleton.tail_piece])
    # the fixed parts first ([Content_Types].xml leading), then the two made for this letter
    return _zip([(_CORE, _core_entry(skeleton.core, subject, lang)), (_DOCUMENT, entry)],
                local=skeleton.fixed_local, central=skeleton.fixed_central, count=skeleton.fixed_count)


_FINAL = zlib.compressobj(1, zlib.DEFLATED, -15).flush()  # an empty last block: ends a deflate stream


def deflate_piece(xml: str) -> tuple[bytes, bytes]:
    """A piece of document.xml as (its bytes, the bytes deflated on their own at level 1 and
    flushed to a byte boundary). Such pieces joined end to end, then an empty last block, are
    one valid deflate stream (each starts afresh, referring to nothing before it): a batch
    compresses each paragraph once however many letters share it."""
    raw = xml.encode("utf-8")
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    return raw, z.compress(raw) + z.flush(zlib.Z_SYNC_FLUSH)


def _joined(pieces: list[tuple[bytes, bytes]]) -> bytes:
    """A zip entry (as _deflate gives) for the concatenation of pieces from deflate_piece."""
    crc = size = 0
    for raw, _ in pieces:
        crc = zlib.crc32(raw, crc)
        size += len(raw)
    packed = b"".join([z for _, z in pieces] + [_FINAL])
    return struct.pack("<III", crc, len(packed), size) + packed


def build_docx(rendered: RenderedLetter, *, paper: str = "a4", letterhead: Path | None = None) -> bytes:
    skeleton = skeleton_for(rendered.lang, paper=paper, letterhead=letterhead)
    return docx_bytes(rendered.blocks, subject=rendered.subject, lang=rendered.lang, skeleton=skeleton)


def docx_text(path: Path) -> str:
    """The text of a DOCX, a paragraph a line (for tests and checks)."""
    doc = Document(str(path))
    return "\n".join(p.text for p in doc.paragraphs)
