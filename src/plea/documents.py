"""Case documents: the evidence that makes a request credible (a summons, a court decision, proof of
persecution, their certified translations), kept in plea's store beside the database.

Files are recognised by their content, not their name: PDF, JPEG, PNG and DOCX only. They are stored
under their sha256, encrypted with the database's key when the database is encrypted (as proofs are),
and each addition or removal is a history event carrying ids and the sha256, never the title.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plea.errors import Conflict, InvalidInput, NotFound

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SUFFIXES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", MEDIA_TYPES["docx"]: "docx"}
DEFAULT_MAX_MB = 25


def sniff(data: bytes, name: str) -> str:
    """The media type of a file plea accepts, from its first bytes; InvalidInput for anything else."""
    if data.startswith(b"%PDF-"):
        _check_pdf(data, name)
        return MEDIA_TYPES["pdf"]
    if data.startswith(b"\xff\xd8\xff"):
        return MEDIA_TYPES["jpeg"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MEDIA_TYPES["png"]
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return MEDIA_TYPES["docx"]
        except zipfile.BadZipFile:
            pass
    raise InvalidInput(f"{name}: not a PDF, JPEG, PNG or DOCX file",
                       hint="scan or save the document as PDF (or a photo as JPEG or PNG), then add it")


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """pypdf logs its repairs of a damaged file ("EOF marker not found") as warnings on stderr; plea says
    what is wrong in its own one line instead."""
    import logging

    logger = logging.getLogger("pypdf")
    before = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(before)


def _check_pdf(data: bytes, name: str) -> None:
    """A PDF an embassy can open: readable, not encrypted (a password-protected annex cannot be read)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(f"{name}: the PDF cannot be read ({str(exc) or type(exc).__name__})",
                           hint="save it again as PDF, or scan it") from None
    if encrypted:
        raise InvalidInput(f"{name}: the PDF is encrypted (password-protected): a recipient could not open it",
                           hint="save an unprotected copy, then add it")
    if pages == 0:
        raise InvalidInput(f"{name}: the PDF has no pages")


def max_mb(session: Any) -> float:
    from plea.settings import get_setting

    value = get_setting(session, "docs.max_mb")
    return float(value) if value else float(DEFAULT_MAX_MB)


def get(session: Any, doc_id: int | str, case: Any | None = None) -> Any:
    """A document by id (of this case, when given); NotFound naming the case otherwise."""
    from plea.db.models import Document

    try:
        number = int(str(doc_id).strip())
    except ValueError:
        raise InvalidInput(f"{doc_id!r} is not a document number (see `plea docs list CASE`)") from None
    doc = session.get(Document, number)
    if doc is None or (case is not None and doc.case_id != case.id):
        where = f" of {case.ref}" if case is not None else ""
        raise NotFound(f"no document {number}{where}", hint=f"list them with `plea docs list {case.ref if case else 'CASE'}`")
    return doc


def add(session: Any, case: Any, path: Path, *, title: str, lang: str = "", translation_of: str | None = None,
        certified: bool = False, actor: str) -> Any:
    """Check and store a file as a document of the case, with its history event; nothing is stored when
    any check fails."""
    from plea.db.models import Document
    from plea.history import record
    from plea.storage import store_bytes
    from plea.text import clean_line

    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    title = clean_line(title)
    if not title:
        raise InvalidInput("--title: say what the document is, e.g. 'Court summons'")
    original = get(session, translation_of, case) if translation_of is not None else None
    if certified and original is None:
        raise InvalidInput("--certified goes with --translation-of: it says a translation is certified")
    limit = max_mb(session)
    size = path.stat().st_size
    if size > limit * 1024 * 1024:
        raise InvalidInput(f"{path}: {size:,} bytes ({size / 1048576:.2f} MB) is over the limit of {limit:g} MB",
                           hint="make it smaller (scan at 200 dpi), or raise it: plea config set docs.max_mb N")
    data = path.read_bytes()
    media_type = sniff(data, str(path))
    stored, digest = store_bytes(data, "documents", SUFFIXES[media_type], session.info.get("plea_file_key"))
    doc = Document(case_id=case.id, title=title, lang=lang.strip().lower(), media_type=media_type,
                   filename=clean_line(path.name), path=str(stored), sha256=digest, size=size,
                   translation_of=original.id if original else None, certified=certified,
                   added_at=datetime.now(UTC), added_by=actor)
    session.add(doc)
    session.flush()
    record(session, "document.added", actor=actor, case_id=case.id, subject=f"document:{doc.id}",
           data={"document": doc.id, "sha256": digest, "media_type": media_type, "lang": doc.lang,
                 **({"translation_of": doc.translation_of, "certified": certified} if original else {})})
    return doc


def remove(session: Any, case: Any, doc_id: str, *, actor: str) -> tuple[Any, Path | None]:
    """Remove a document that nothing else refers to (a translation, a consent): (the document, its stored
    file when no other document shares it, for the caller to delete once the transaction committed)."""
    from sqlmodel import select

    from plea.db.models import Consent, Document
    from plea.history import record

    doc = get(session, doc_id, case)
    users = [f"document {d.id} (its translation)" for d in
             session.exec(select(Document).where(Document.translation_of == doc.id))]
    users += [f"the consent recorded on {c.given_on}" for c in
              session.exec(select(Consent).where(Consent.document_id == doc.id))]
    if users:
        raise Conflict(f"document {doc.id} is referred to by {', '.join(users)}", hint="remove those first")
    others = session.exec(select(Document).where(Document.path == doc.path, Document.id != doc.id)).first()
    session.delete(doc)
    record(session, "document.removed", actor=actor, case_id=case.id, subject=f"document:{doc.id}",
           data={"document": doc.id, "sha256": doc.sha256})
    return doc, (Path(doc.path) if others is None else None)


def listing(session: Any, case: Any) -> list[Any]:
    from sqlmodel import col, select

    from plea.db.models import Document

    return list(session.exec(select(Document).where(Document.case_id == case.id).order_by(col(Document.id))))


def as_dict(doc: Any) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "lang": doc.lang, "media_type": doc.media_type,
            "filename": doc.filename, "sha256": doc.sha256, "size": doc.size,
            "translation_of": doc.translation_of, "certified": doc.certified,
            "added_at": doc.added_at.isoformat(), "added_by": doc.added_by}


def content(session: Any, doc: Any) -> bytes:
    """The document's bytes (decrypted), checked against its sha256."""
    import hashlib

    from plea.errors import DatabaseProblem
    from plea.storage import read_stored

    data = read_stored(Path(doc.path), session.info.get("plea_file_key"))
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise DatabaseProblem(f"document {doc.id}: the stored file does not match its sha256",
                              hint="restore it from a backup")
    return data
