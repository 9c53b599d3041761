"""Annexes: the case documents that go with letters (`--annex DOC,DOC` or `--annex all`), chosen per
letter language (the translation into the letter's language where one exists, certified first, else the
original), listed in the letter (the template's `case.annexes`), and the PDF packet: the letter followed by
its annexes, with page numbers "N / M" across the whole packet.

Reads the database (documents and their stored files, decrypted with the database's key); writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plea.errors import InvalidInput


@dataclass(frozen=True)
class Annex:
    """One document as it goes with a letter in one language."""

    id: int  # the document sent (the translation, or the original)
    original: int  # the original it stands for (its own id when it is the original)
    title: str
    lang: str
    media_type: str
    sha256: str
    certified: bool = False

    def key(self) -> list[Any]:
        """What the inputs hash reads of it."""
        return [self.id, self.sha256, self.title]


@dataclass
class CaseAnnexes:
    """One case's annexes: the originals in order, each with its translations."""

    originals: list[Any] = field(default_factory=list)  # Document rows
    translations: dict[int, list[Any]] = field(default_factory=dict)  # original id → its translations

    def _chosen(self, doc: Any, lang: str) -> Any:
        """The translation of `doc` into `lang` (certified first, then the newest), else `doc`."""
        mine = [t for t in self.translations.get(doc.id, []) if t.lang == lang]
        mine.sort(key=lambda t: (not t.certified, -(t.id or 0)))
        return mine[0] if mine else doc

    def for_lang(self, lang: str) -> list[Annex]:
        """The files a letter in `lang` carries, in order."""
        out = []
        for doc in self.originals:
            chosen = self._chosen(doc, lang)
            out.append(Annex(chosen.id, doc.id, chosen.title, chosen.lang, chosen.media_type, chosen.sha256,
                             bool(chosen.certified) and chosen is not doc))
        return out

    def context(self) -> list[dict[str, Any]]:
        """`case.annexes` as templates read it: each original's title and language, and its translations
        by language (title, certified); each language's macro picks its own."""
        out = []
        for doc in self.originals:
            langs = sorted({t.lang for t in self.translations.get(doc.id, []) if t.lang})
            by_lang = {lang: {"title": (t := self._chosen(doc, lang)).title, "certified": bool(t.certified)}
                       for lang in langs}
            out.append({"title": doc.title, "lang": doc.lang, "translations": by_lang})
        return out


def parse(text: str | None) -> list[str] | None:
    """--annex: None (no annexes), ["all"], or document numbers in the order given."""
    if text is None:
        return None
    wanted = [w.strip() for w in text.split(",") if w.strip()]
    if not wanted:
        raise InvalidInput("--annex: give document numbers (see `plea docs list CASE`) or all")
    if any(w.lower() == "all" for w in wanted):
        return ["all"]
    for w in wanted:
        if not w.isdigit():
            raise InvalidInput(f"--annex: {w!r} is not a document number (see `plea docs list CASE`) or all")
    return list(dict.fromkeys(wanted))


def _consent_documents(session: Any, case: Any) -> set[int]:
    from sqlmodel import select

    from plea.db.models import Consent

    return {d for d in session.exec(select(Consent.document_id).where(Consent.case_id == case.id)) if d}


def for_case(session: Any, case: Any, wanted: list[str] | None, *, named: bool = True) -> CaseAnnexes:
    """The case's annexes for --annex. `all`: every document that is not a translation or a signed consent,
    in the order added. Numbers: those documents (a translation stands for its original); a number of
    another case is NotFound when `named` (a batch passes the numbers of its other cases with named=False)."""
    from plea.documents import get, listing

    result = CaseAnnexes()
    if not wanted:
        return result
    docs = listing(session, case)
    by_id = {d.id: d for d in docs}
    if wanted == ["all"]:
        skip = _consent_documents(session, case)
        originals = [d for d in docs if d.translation_of is None and d.id not in skip]
    else:
        originals = []
        for w in wanted:
            if int(w) not in by_id:
                if named:
                    get(session, w, case)  # NotFound: no document N of REF
                continue
            doc = by_id[int(w)]
            doc = by_id.get(doc.translation_of, doc) if doc.translation_of else doc
            if doc not in originals:
                originals.append(doc)
    result.originals = originals
    for d in docs:
        if d.translation_of is not None:
            result.translations.setdefault(d.translation_of, []).append(d)
    return result


def check_batch_numbers(session: Any, cases: list[Any], wanted: list[str] | None) -> None:
    """In a batch, every number in --annex belongs to one of the chosen cases."""
    from sqlmodel import col, select

    from plea.db.models import Document
    from plea.errors import NotFound

    if not wanted or wanted == ["all"]:
        return
    ids = [int(w) for w in wanted]
    owners = dict(session.exec(select(Document.id, Document.case_id).where(col(Document.id).in_(ids))).all())
    chosen = {c.id for c in cases}
    for number in ids:
        if owners.get(number) not in chosen:
            raise NotFound(f"--annex: no document {number} of the cases in this batch",
                           hint="list each case's documents with `plea docs list CASE`")


# -- the packet -----------------------------------------------------------------------------------------

def as_pdf(session: Any, annexes: list[Annex], workdir: Path, soffice: str | None) -> dict[int, bytes]:
    """Each annex as PDF bytes (document id → bytes): PDFs as stored (decrypted, checked), images placed on
    an A4 page, DOCX converted by LibreOffice (all in one call)."""
    from plea.db.models import Document
    from plea.documents import content

    out: dict[int, bytes] = {}
    docx: list[tuple[str, bytes]] = []
    for a in {a.id: a for a in annexes}.values():
        data = content(session, session.get(Document, a.id))
        if a.media_type == "application/pdf":
            readable_pdf(data, a.id)
            out[a.id] = data
        elif a.media_type.startswith("image/"):
            out[a.id] = image_pdf(data)
        else:
            docx.append((f"document-{a.id}", data))
    if docx:
        from plea.letters.pdf import find_soffice, to_pdf

        pdfs = to_pdf(docx, workdir, soffice or find_soffice(), what="DOCX annex(es)",
                      again="check that the document opens in a word processor, or add it as PDF with "
                            "`plea docs add`; nothing was written")
        out.update({int(name.split("-")[1]): data for name, data in pdfs.items()})
    return out


def readable_pdf(data: bytes, doc_id: int) -> None:
    """A stored PDF that can go into a packet: readable and not encrypted; InvalidInput otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from plea.documents import quiet_pypdf

    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted
            if not encrypted:
                len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(f"document {doc_id}: the PDF cannot be read ({str(exc) or type(exc).__name__})",
                           hint="add a copy saved again as PDF with `plea docs add`; nothing was written",
                           ) from None
    if encrypted:
        raise InvalidInput(f"document {doc_id}: the PDF is encrypted (password-protected) and cannot go "
                           "into a packet",
                           hint="add an unprotected copy with `plea docs add`; nothing was written")


def image_pdf(data: bytes) -> bytes:
    """A JPEG or PNG on an A4 page, scaled to fit inside 1.5 cm margins, its proportions kept."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = ImageReader(io.BytesIO(data))
    iw, ih = image.getSize()
    width, height = A4
    margin = 42.5
    scale = min((width - 2 * margin) / iw, (height - 2 * margin) / ih)
    w, h = iw * scale, ih * scale
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.drawImage(image, (width - w) / 2, (height - h) / 2, w, h)
    c.showPage()
    c.save()
    return buf.getvalue()


def packet(letter_pdf: bytes, annexes: list[bytes]) -> bytes:
    """The letter followed by its annexes, every page numbered "N / M" across the packet."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in [letter_pdf, *annexes]:
        writer.append(PdfReader(io.BytesIO(data)))
    total = len(writer.pages)
    for n, page in enumerate(writer.pages, 1):
        box = page.mediabox
        page.merge_page(_stamp(f"{n} / {total}", float(box.width), float(box.height), float(box.left),
                               float(box.bottom)))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _stamp(text: str, width: float, height: float, left: float, bottom: float) -> Any:
    """A page of the given size with `text` centred near its foot (reportlab; Helvetica, 9 pt)."""
    from pypdf import PdfReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(left + width, bottom + height), invariant=True)
    c.setFont("Helvetica", 9)
    c.drawCentredString(left + width / 2, bottom + 16, text)
    c.showPage()
    c.save()
    return PdfReader(io.BytesIO(buf.getvalue())).pages[0]
