"""What plea takes from a letterhead DOCX: the parts a letterhead needs, and nothing else.

Kept: the main document (its body is emptied later), styles, settings, theme, the fonts table,
numbering, headers and footers with their images, and the core properties. Dropped: every
external relationship (a remote attachedTemplate Word fetches on opening, tracking images,
links), comments and their authors, custom XML, macros (vbaProject), glossaries, footnotes,
custom and extended properties, and any other part. Each part is read with bounded
decompression: a part that expands past MAX_PART_BYTES (a zip bomb) is refused (InvalidInput).
The result is a new, small package for python-docx to open.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any

from plea.errors import InvalidInput

MAX_PART_BYTES = 16 << 20  # a letterhead's largest part is an image of a few hundred KB
MAX_TOTAL_BYTES = 64 << 20
MAX_PARTS = 1000

_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: relationship types kept, by the part they start from ("" is the package)
_KEEP = {
    "package": ("/officeDocument", "/metadata/core-properties"),
    "document": ("/styles", "/settings", "/theme", "/fontTable", "/numbering", "/header", "/footer"),
    "header": ("/image",),
    "theme": ("/image",),
    "numbering": ("/image",),  # picture bullets
}
_MAIN_TYPES = re.compile(r"application/vnd\.(ms-word\.document\.macroEnabled\.main"
                         r"|ms-word\.template\.macroEnabledTemplate\.main"
                         r"|openxmlformats-officedocument\.wordprocessingml\.template\.main)\+xml")
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: settings that point outside the letterhead or at parts it no longer has
_SETTINGS_DROP = ("attachedTemplate", "mailMerge", "footnotePr", "endnotePr", "documentProtection",
                  "writeProtection", "docVars", "rsids", "attachedSchema", "saveThroughXslt")
#: elements in headers and footers that point at comments or custom XML
_PART_DROP = ("commentRangeStart", "commentRangeEnd", "commentReference")
#: embedded fonts (their parts are dropped)
_FONTS_DROP = ("embedRegular", "embedBold", "embedItalic", "embedBoldItalic")


def _kind(part: str) -> str:
    name = posixpath.basename(part)
    if part == "":
        return "package"
    if part.startswith("word/document") or name.startswith("document"):
        return "document"
    if name.startswith(("header", "footer")):
        return "header"
    if name.startswith("theme"):
        return "theme"
    if name.startswith("numbering"):
        return "numbering"
    if name.startswith("fontTable"):
        return "fonts"
    return "other"


class _Reader:
    def __init__(self, path: Path, z: zipfile.ZipFile) -> None:
        self.path, self.z, self.total = path, z, 0

    def read(self, name: str) -> bytes:
        try:
            info = self.z.getinfo(name)
        except KeyError:
            raise InvalidInput(f"{self.path}: part {name} is missing from the letterhead",
                               hint="save the letterhead again from Word or LibreOffice as .docx") from None
        out = bytearray()
        with self.z.open(info) as fh:
            while chunk := fh.read(1 << 16):
                out += chunk
                if len(out) > MAX_PART_BYTES:
                    raise InvalidInput(f"{self.path}: part {name} expands past {MAX_PART_BYTES >> 20} MiB "
                                       "(a zip bomb?); this is not a letterhead plea will use",
                                       hint="save the letterhead again from Word or LibreOffice as .docx")
        self.total += len(out)
        if self.total > MAX_TOTAL_BYTES:
            raise InvalidInput(f"{self.path}: expands past {MAX_TOTAL_BYTES >> 20} MiB in all; a letterhead "
                               "is a few hundred KB", hint="use a smaller letterhead")
        return bytes(out)


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _filter_rels(xml: bytes, part: str, kind: str) -> tuple[bytes, list[str], list[str]]:
    """(.rels without what is dropped, part names kept, relationship ids dropped)."""
    from lxml import etree

    root = etree.fromstring(xml)
    kept, dropped = [], []
    for rel in list(root):
        rid, reltype, target = rel.get("Id", ""), rel.get("Type", ""), rel.get("Target", "")
        external = rel.get("TargetMode", "").lower() == "external"
        if external or not reltype.endswith(_KEEP.get(kind, ())):
            root.remove(rel)
            dropped.append(rid)
            continue
        base = posixpath.dirname(part)
        kept.append(posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                       else posixpath.join(base, target)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), kept, dropped


def _scrub(xml: bytes, names: tuple[str, ...], dropped_ids: list[str]) -> bytes:
    """Remove elements named (in the w: namespace) and attributes pointing at dropped relationships."""
    from lxml import etree

    root = etree.fromstring(xml)
    for name in names:
        for el in root.iter(f"{{{_W}}}{name}"):
            el.getparent().remove(el)
    if dropped_ids:
        for el in root.iter():
            for attr in [a for a in el.attrib if a.startswith(f"{{{_R}}}") and el.attrib[a] in dropped_ids]:
                del el.attrib[attr]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def clean_letterhead(path: Path) -> bytes:
    """The letterhead as a new DOCX package holding only what a letterhead needs."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable DOCX letterhead ({exc.__class__.__name__})",
                           hint="save the letterhead from Word or LibreOffice as .docx") from None
    with z:
        if len(z.infolist()) > MAX_PARTS:
            raise InvalidInput(f"{path}: {len(z.infolist())} parts; a letterhead has a few dozen")
        reader = _Reader(path, z)
        out: dict[str, bytes] = {}
        todo, seen = [""], set()
        while todo:
            part = todo.pop()
            if part in seen:
                continue
            seen.add(part)
            kind = _kind(part)
            rels = _rels_name(part) if part else "_rels/.rels"
            dropped: list[str] = []
            if rels in z.NameToInfo:
                out[rels], kept, dropped = _filter_rels(reader.read(rels), part, kind)
                todo += kept
            if part:
                data = reader.read(part)
                if part.endswith(".xml"):
                    names = (_PART_DROP if kind in ("document", "header") else _FONTS_DROP if kind == "fonts"
                             else _SETTINGS_DROP if posixpath.basename(part).startswith("settings") else ())
                    data = _scrub(data, names, dropped)
                out[part] = data
        types = reader.read("[Content_Types].xml")
        out["[Content_Types].xml"] = _MAIN_TYPES.sub(_DOCX_MAIN, types.decode("utf-8")).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in out.items():
            new.writestr(name, data)
    return buf.getvalue()


def continuation_header(section: Any, marker: str) -> None:
    """On a letterhead, a paragraph `marker` in the header of the pages after the first (plea.render.docx
    fills it per letter with the reference and "page N of M", in the `w` namespace):
    - a letterhead with a first page of its own keeps both its headers, the paragraph added under
      its continuation pages' header (one is made if it has none; none is added to a header whose
      XML does not name the WordprocessingML namespace `w`);
    - a letterhead with one header for every page keeps it, and its footer, on the first page (the
      same parts, referred to as the first page's too); the other pages get a header of their own
      with the paragraph, and keep the footer."""
    import copy

    from docx.oxml.ns import nsmap, qn

    if section.different_first_page_header_footer:
        if not section.header.is_linked_to_previous:  # its own header for the later pages: the line under it
            if f'xmlns:w="{nsmap["w"]}"'.encode() in section.header.part.blob:
                section.header.add_paragraph(marker)
            return
    else:
        sect = section._sectPr
        for kind in ("header", "footer"):  # the first page: the letterhead's own parts
            for ref in sect.findall(qn(f"w:{kind}Reference")):
                if ref.get(qn("w:type")) in (None, "default"):
                    first = copy.deepcopy(ref)
                    first.set(qn("w:type"), "first")
                    ref.addnext(first)
        for ref in sect.findall(qn("w:headerReference")):
            if ref.get(qn("w:type")) in (None, "default"):
                sect.remove(ref)  # the later pages: a header of their own
        section.different_first_page_header_footer = True
    section.header.is_linked_to_previous = False  # a new header part for the later pages
    section.header.paragraphs[0].text = marker
