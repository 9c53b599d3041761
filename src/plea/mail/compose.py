"""A letter as an email: subject in the letter's language with the case reference in
brackets, the letter's text as the body, the DOCX (and PDF where rendered) attached. A letter
rendered with annexes (`--annex`) has a PDF packet: it is attached when it is no larger than
mail.max_packet_mb (default 10), else the annexes are attached one by one instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from pathlib import Path

from sqlmodel import Session, col, select

from plea import states
from plea.db.models import Case, Letter, Mission, Rendition
from plea.fileio import sha256_file

#: what goes over the wire: CRLF, and 7-bit safe (base64 or quoted-printable) for any server
POLICY = SMTP.clone(cte_type="7bit")
ATTACH = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
DEFAULT_PACKET_MB = 10  # many mail servers refuse messages over 10–25 MB, and base64 adds a third


class Skip(Exception):
    """This letter cannot go by email; the message says why."""


@dataclass
class Draft:
    letter_id: int
    case_id: int
    state: str
    recipient: str
    sender: str
    reply_to: str
    subject: str
    body: str
    lang: str = ""
    stem: str = ""  # opaque file stem: reference, state, letter, language
    attachments: list[tuple[str, Path]] = field(default_factory=list)
    annexes: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file name, media type, bytes)


def mission_address(mission: Mission) -> str:
    """The first address in the mission's email field ("" if none)."""
    for _name, addr in getaddresses([mission.email.replace(";", ",")]):
        if "@" in addr:
            return addr.strip()
    return ""


def latest_files(session: Session, letter: Letter) -> dict[str, Path]:
    """Format → the newest rendered file of the letter that is still as plea wrote it."""
    out: dict[str, Path] = {}
    rows = session.exec(
        select(Rendition)
        .where(Rendition.letter_id == letter.id)
        .order_by(col(Rendition.rendered_at).desc(), col(Rendition.id).desc())
    )
    for r in rows:
        path = Path(r.path)
        if r.format in out or not path.is_file() or sha256_file(path) != r.sha256:
            continue
        out[r.format] = path
    return out


def sender_for(case: Case, configured: str) -> tuple[str, str]:
    """(From, Reply-To): plea's configured sender or else the case's representative."""
    rep_name = case.rep_name or case.rep_organisation
    if configured:
        name, addr = parseaddr(configured)
        sender = formataddr((name or rep_name, addr))
    elif case.rep_email:
        sender = formataddr((rep_name, case.rep_email))
    else:
        raise Skip(
            f"{case.ref} has no sender address: set smtp.from with `plea config set smtp.from ADDRESS`, "
            f"or the case's --rep-email"
        )
    reply = case.reply_to or case.rep_email
    if reply and reply.lower() == parseaddr(sender)[1].lower():
        reply = ""
    return sender, reply


def letter_body(files: dict[str, Path]) -> str:
    if "txt" in files:
        return files["txt"].read_text(encoding="utf-8")
    if "md" in files:
        return files["md"].read_text(encoding="utf-8")
    import docx

    return "\n\n".join(p.text for p in docx.Document(str(files["docx"])).paragraphs if p.text.strip())


def subject_for(case: Case, letter: Letter) -> str:
    from plea.errors import NotFound
    from plea.render.catalog import get_letter

    try:
        text = get_letter(letter.letter).subject(letter.lang)
    except NotFound:
        text = letter.letter
    return f"[{case.ref}] {text}"


def prepare(
    session: Session, case: Case, letter: Letter, mission: Mission, *, configured_sender: str
) -> Draft:
    from plea.letters.names import file_stem  # the one file-name rule: the .eml beside its letter's name

    recipient = mission_address(mission)
    where = f"{states.name(mission.sending)} ({mission.sending})"
    if not recipient:
        raise Skip(
            f"{where}: the mission {mission.id} has no email address "
            f"(add one with `plea embassies edit {mission.id} --email …`)"
        )
    files = latest_files(session, letter)
    if "docx" not in files:
        raise Skip(f"{where}: no DOCX of the letter as rendered (render it with `plea letters render`)")
    sender, reply = sender_for(case, configured_sender)
    attachments = [(files[f].name, files[f]) for f in ATTACH if f in files]
    annexes = []
    if "pdf" in files and files["pdf"].stat().st_size > packet_limit(session):
        listed = letter_annexes(session, letter, files["pdf"])
        if listed:  # a packet too large to send whole: the letter, then each annex as its own file
            attachments = [(files["docx"].name, files["docx"])]
            annexes = annex_files(session, listed, stem=files["docx"].stem)
    return Draft(
        letter_id=letter.id or 0,
        case_id=case.id or 0,
        state=mission.sending,
        recipient=recipient,
        sender=sender,
        reply_to=reply,
        subject=subject_for(case, letter),
        body=letter_body(files),
        lang=letter.lang,
        stem=file_stem(case.ref, mission.sending, mission.host, letter.letter, letter.lang),
        attachments=attachments,
        annexes=annexes,
    )


def packet_limit(session: Session) -> float:
    """mail.max_packet_mb in bytes (default DEFAULT_PACKET_MB)."""
    from plea.settings import get_setting

    value = get_setting(session, "mail.max_packet_mb")
    return float(value or DEFAULT_PACKET_MB) * 1024 * 1024


def letter_annexes(session: Session, letter: Letter, pdf: Path) -> list[int]:
    """The documents the letter's PDF packet carries (the history event that recorded that file), in order."""
    from plea.db.models import Event

    sha = sha256_file(pdf)
    events = session.exec(
        select(Event.data)
        .where(Event.kind == "letter.rendered", Event.subject == f"letter:{letter.id}")
        .order_by(col(Event.id).desc())
    )
    for data in events:
        if data.get("format") == "pdf" and data.get("sha256") == sha:
            return [int(a["document"]) for a in data.get("annexes", [])]
    return []


def annex_files(session: Session, ids: list[int], *, stem: str) -> list[tuple[str, str, bytes]]:
    """Each annex as an attachment, decrypted and checked: STEM_annex-N.EXT (never the document's title)."""
    from plea.db.models import Document
    from plea.documents import SUFFIXES, content

    out = []
    for n, doc_id in enumerate(ids, 1):
        doc = session.get(Document, doc_id)
        if doc is None:
            raise Skip(f"document {doc_id}, an annex of {stem}, was removed: render the letter again")
        out.append((f"{stem}_annex-{n}.{SUFFIXES[doc.media_type]}", doc.media_type, content(session, doc)))
    return out


def new_message_id(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "plea.invalid"
    return make_msgid(idstring="plea", domain=domain)


def build(draft: Draft, *, message_id: str, when: datetime) -> bytes:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = draft.sender
    msg["To"] = draft.recipient
    if draft.reply_to:
        msg["Reply-To"] = draft.reply_to
    msg["Subject"] = draft.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg.set_content(draft.body)
    for name, path in draft.attachments:
        maintype, subtype = ATTACH[path.suffix.lstrip(".").lower()].split("/")
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    for name, media_type, data in draft.annexes:
        maintype, subtype = media_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if draft.lang:  # after the content: set_content drops Content-* headers
        msg["Content-Language"] = draft.lang
    return msg.as_bytes(policy=POLICY)
