"""A letter as an email: subject in the letter's language with the case reference in
brackets, the letter's text as the body, the DOCX (and PDF where rendered) attached."""

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
    from plea.letters.plan import file_stem  # the one file-name rule: the .eml beside its letter's name

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
    )


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
    if draft.lang:  # after the content: set_content drops Content-* headers
        msg["Content-Language"] = draft.lang
    return msg.as_bytes(policy=POLICY)
