"""Replies kept and logged: each message stored once (deduplicated by the hash of its content,
so importing a mailbox twice adds nothing, while distinct messages that share a Message-ID are
all kept), matched to its case and state, and then logged as a response with outcome
"unclassified" for a person to classify (triage). Bounces and automatic notices are kept as
such and never logged as answers (a hard bounce marks its letter bounced); a message that is
malformed or over a size cap is kept unparsed for triage. With an encrypted database, nothing
of a message touches the disk unencrypted: it is held in memory and stored encrypted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from plea.campaign import case_letters, letter_events, log_response, transition
from plea.db.models import OUTCOMES, Case, InboundMessage, Letter, LetterEvent, Mission, Outbox, Response
from plea.errors import Conflict, InvalidInput, NotFound
from plea.fileio import safe_name
from plea.history import record
from plea.mail.auto import Machine
from plea.mail.auto import classify as classify_machine
from plea.mail.headers import Limits, decode_words, header_block, raw_fields
from plea.mail.match import Match, match
from plea.mail.parse import MSGID, Malformed, Parsed, parse, parse_date

STATUSES = ("unmatched", "unclassified", "classified", "ignored", "bounce", "notice", "malformed")
TRIAGE = ("unmatched", "unclassified", "malformed")


@dataclass
class Ingested:
    message: InboundMessage | None  # None: already known
    match: Match | None = None
    reason: str = ""  # why it is a bounce, a notice or malformed


def limits(settings: dict[str, str]) -> Limits:
    """The size caps from the settings (inbox.max_header_kb, inbox.max_message_mb) or the defaults."""
    from plea.config import setting_value

    header = setting_value(settings, "inbox.max_header_kb")
    message = setting_value(settings, "inbox.max_message_mb")
    default = Limits()
    return Limits(
        header=int(header) * 1024 if header else default.header,
        message=int(message) * 1024 * 1024 if message else default.message,
    )


def content_hash(raw: bytes) -> str:
    """The same message read from mbox, Maildir or IMAP (LF or CRLF) has one hash."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip()).hexdigest()


def _known(session: Session, raw: bytes, sha: str) -> bool:
    hashes = [sha, hashlib.sha256(raw).hexdigest()]  # the raw bytes' hash: messages kept by plea 0.x
    return (
        session.exec(select(InboundMessage.id).where(col(InboundMessage.sha256).in_(hashes))).first()
        is not None
    )


def _key(session: Session, p: Parsed, sha: str) -> str:
    """The Message-ID, unless another message already holds it: then the content hash."""
    if p.message_id:
        key = p.message_id[:255]
        if session.exec(select(InboundMessage.id).where(InboundMessage.key == key)).first() is None:
            return key
    return f"sha256:{sha}"


def headers_only(raw: bytes, limits: Limits) -> Parsed:
    """What can be read of a message that is not parsed: its first fields, within the header cap."""
    fields = raw_fields(header_block(raw[: limits.header]))

    def field(name: str) -> str:
        return " ".join(decode_words(fields.get(name, "")).split())

    from email.utils import parseaddr

    ids = MSGID.findall(field("message-id"))
    sender = parseaddr(field("from"))[1].lower()
    return Parsed(
        ids[0] if ids else "",
        field("subject"),
        sender,
        parse_date(field("date")) if field("date") else None,
        [],
        [],
        "",
    )


def _day(p: Parsed, today: date) -> date:
    return min(p.date.date(), today) if p.date else today


def _store_attachments(p: Parsed, key: bytes | None) -> list[dict[str, str]]:
    from plea.storage import store_bytes

    stored = []
    for i, a in enumerate(p.attachments, 1):
        name = safe_name(a.name, fallback=f"attachment-{i}")
        target, digest = store_bytes(
            a.data, "attachments", name.rpartition(".")[2] if "." in name else "bin", key
        )
        stored.append({"name": name, "path": str(target), "sha256": digest})
    return stored


def _own_copy(session: Session, p: Parsed) -> bool:
    return (
        bool(p.message_id)
        and session.exec(select(Outbox.id).where(Outbox.message_id == p.message_id)).first() is not None
    )


def _bounce(session: Session, machine: Machine, p: Parsed, *, actor: str, today: date) -> Match:
    """The letter a bounce returns (by the enclosed Message-ID); a hard bounce marks it bounced."""
    row = session.exec(
        select(Outbox)
        .where(col(Outbox.message_id).in_(machine.returned or [""]))
        .order_by(col(Outbox.id).desc())
    ).first()
    if row is None:
        return Match()
    letter = session.get(Letter, row.letter_id)
    mission = session.get(Mission, letter.mission_id) if letter else None
    case = session.get(Case, row.case_id)
    if case is not None and letter is not None and machine.hard and letter.status == "sent":
        why = {"reason": machine.reason}
        transition(session, case, letter, "bounced", on=_day(p, today), actor=actor, event_data=why)
    return Match(row.case_id, mission.sending if mission else "", row.letter_id, "bounce")


def ingest(
    session: Session, raw: bytes, *, source: str, actor: str, today: date, limits: Limits | None = None
) -> Ingested:
    """Keep one message (even a malformed one); Ingested(None) if it is already kept."""
    from plea.storage import store_bytes

    limits = limits or Limits()
    sha = content_hash(raw)
    if _known(session, raw, sha):
        return Ingested(None)
    reason, machine = "", None
    try:
        p = parse(raw, limits)
    except Malformed as exc:
        p, reason, status = headers_only(raw, limits), str(exc), "malformed"
    file_key = session.info.get("plea_file_key")
    stored, _ = store_bytes(raw, "mail", "eml", file_key)
    m = Match()
    if reason:
        pass
    elif _own_copy(session, p):
        status, reason = "notice", "plea's own message (its Message-ID is in the outbox)"
    else:
        machine = classify_machine(p)
        if machine is not None and machine.kind == "bounce":
            m = _bounce(session, machine, p, actor=actor, today=today)
        else:
            m = match(session, p)
        status, reason = (machine.kind, machine.reason) if machine else ("unmatched", "")
    msg = InboundMessage(
        key=_key(session, p, sha),
        message_id=p.message_id[:255],
        sha256=sha,
        path=str(stored),
        source=source,
        sender=p.sender,
        subject=p.subject[:500],
        sent_at=p.date,
        received_at=datetime.now(UTC),
        status=status,
        matched_by=m.how if m.case_id or m.state else "",
        case_id=m.case_id,
        state=m.state,
        letter_id=m.letter_id,
    )
    attachments = _store_attachments(p, file_key) if not reason or machine is not None else []
    if status == "unmatched" and m.complete:
        response = log_response(
            session,
            session.get(Case, m.case_id),
            m.state,
            on=_day(p, today),  # type: ignore[arg-type]
            outcome="unclassified",
            summary=p.subject,
            channel="email",
            attachments=attachments,
            force=True,
            actor=actor,
            today=today,
        )
        msg.response_id, msg.status = response.id, "unclassified"
    msg.attachments = attachments
    session.add(msg)
    session.flush()
    record(
        session,
        "email.received",
        actor=actor,
        case_id=msg.case_id,
        subject=f"message:{msg.id}",
        data={
            "sha256": sha,
            "source": source,
            "status": msg.status,
            "matched_by": msg.matched_by,
            "state": msg.state,
            "response": msg.response_id,
            "attachments": [a["sha256"] for a in attachments],
        },
    )
    return Ingested(msg, m, reason)


def kept_sizes(session: Session) -> dict[str, set[int]]:
    """Message-ID → sizes of the kept messages that carry it, from the stored files' sizes (an
    encrypted file is larger by a fixed overhead): what `inbox fetch` need not download again."""
    import os

    from plea.storage import MAGIC

    overhead = len(MAGIC) + 12 + 16  # magic, nonce, AES-GCM tag
    out: dict[str, set[int]] = {}
    for mid, path in session.exec(select(InboundMessage.message_id, InboundMessage.path)):
        try:
            size = os.stat(path).st_size
        except OSError:
            continue
        out.setdefault(mid, set()).add(size - overhead if path.endswith(".enc") else size)
    return out


def problem(session: Session, msg: InboundMessage, limits: Limits | None = None) -> str:
    """Why a kept message is a bounce, a notice or malformed ("" for an ordinary one), read
    again from the stored message."""
    if msg.status not in ("bounce", "notice", "malformed"):
        return ""
    from pathlib import Path

    from plea.storage import read_stored

    raw = read_stored(Path(msg.path), session.info.get("plea_file_key"))
    try:
        p = parse(raw, limits)
    except Malformed as exc:
        return str(exc)
    if _own_copy(session, p):
        return "plea's own message (its Message-ID is in the outbox)"
    machine = classify_machine(p)
    return machine.reason if machine else ""


def pending(
    session: Session,
    *,
    statuses: tuple[str, ...] = TRIAGE,
    message_id: int | None = None,
) -> list[InboundMessage]:
    q = select(InboundMessage).order_by(col(InboundMessage.id))
    if message_id is not None:
        q = q.where(InboundMessage.id == message_id)
    elif statuses:
        q = q.where(col(InboundMessage.status).in_(statuses))
    return list(session.exec(q))


def read_message(session: Session, msg: InboundMessage, limits: Limits | None = None) -> Parsed:
    """The stored message parsed again, in memory (Malformed for one kept as malformed)."""
    from pathlib import Path

    from plea.storage import read_stored

    return parse(read_stored(Path(msg.path), session.info.get("plea_file_key")), limits)


def get_message(session: Session, message_id: int) -> InboundMessage:
    msg = session.get(InboundMessage, message_id)
    if msg is None:
        raise NotFound(f"no received message {message_id}", hint="list them with `plea inbox list`")
    return msg


def classify(
    session: Session, msg: InboundMessage, case: Case, state: str, outcome: str, *, actor: str, today: date
) -> Response:
    """A person's decision: this message is case's answer from state, with this outcome."""
    from plea import states

    state = states.resolve(state, states.user_langs())
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if msg.status == "ignored":
        raise Conflict(f"message {msg.id} was ignored", hint="it stays out of the campaign log")
    on = min(msg.sent_at.date(), today) if msg.sent_at else today
    response = session.get(Response, msg.response_id) if msg.response_id else None
    if response is None:
        response = log_response(
            session,
            case,
            state,
            on=on,
            outcome=outcome,
            summary=msg.subject,
            channel="email",
            force=True,
            actor=actor,
            today=today,
        )
        response.attachments = list(msg.attachments)
        session.add(response)
    elif (response.case_id, response.state) == (case.id, state):
        previous = response.outcome
        response.outcome = outcome
        session.add(response)
        record(
            session,
            "response.classified",
            actor=actor,
            case_id=case.id,
            subject=f"response:{response.id}",
            data={"from": previous, "outcome": outcome},
        )
    else:
        before = {"case": response.case_id, "state": response.state}
        response.case_id, response.state, response.outcome = case.id or 0, state, outcome
        session.add(response)
        record(
            session,
            "response.reassigned",
            actor=actor,
            case_id=case.id,
            subject=f"response:{response.id}",
            data={"from": before, "state": state, "outcome": outcome},
        )
        for lt, m in case_letters(session, case):
            if m.sending == state and lt.status in ("sent", "bounced"):
                transition(
                    session, case, lt, "answered", on=on, actor=actor, event_data={"response": response.id}
                )
    letter = session.exec(
        select(Letter)
        .join(Mission, col(Mission.id) == Letter.mission_id)
        .where(Letter.case_id == case.id, Mission.sending == state)
        .order_by(col(Letter.id))  # the first letter written to that state, on every backend
    ).first()
    if (msg.case_id, msg.state) != (case.id, state):
        msg.matched_by = "manual"
    msg.case_id, msg.state, msg.response_id = case.id, state, response.id
    msg.letter_id = letter.id if letter else None
    msg.status = "unclassified" if outcome == "unclassified" else "classified"
    session.add(msg)
    record(
        session,
        "email.triaged",
        actor=actor,
        case_id=case.id,
        subject=f"message:{msg.id}",
        data={"state": state, "outcome": outcome, "response": response.id},
    )
    return response


def ignore(session: Session, msg: InboundMessage, *, actor: str) -> None:
    """Not an answer: kept out of the log. A message already logged is undone first."""
    if msg.response_id:
        undo(session, msg, actor=actor)
    msg.status = "ignored"
    session.add(msg)
    record(session, "email.ignored", actor=actor, case_id=msg.case_id, subject=f"message:{msg.id}")


def _restore_sent(session: Session, case: Case, state: str, response_id: int, actor: str) -> None:
    """Letters to state answered only by the removed response go back to "sent", with the date
    and channel of their last sending (so follow-ups fall due as before)."""
    pairs = [
        (lt, m) for lt, m in case_letters(session, case) if m.sending == state and lt.status == "answered"
    ]
    events = letter_events(session, [lt.id for lt, _ in pairs if lt.id])
    for lt, _m in pairs:
        sent: list[LetterEvent] = [e for e in events.get(lt.id or 0, []) if e.status == "sent"]
        if not sent:
            continue
        last = max(sent, key=lambda e: (e.on, e.id or 0))
        transition(
            session,
            case,
            lt,
            "sent",
            on=last.on,
            via=last.via,
            actor=actor,
            event_data={"undone_response": response_id},
        )


def undo(session: Session, msg: InboundMessage, *, actor: str) -> int:
    """Reverse the logging of a message as an answer: its response is removed (recorded in the
    history), the letter returns to "sent" unless another answer from that state remains, and
    the message is left unmatched for triage. The id of the removed response."""
    if not msg.response_id:
        raise Conflict(
            f"message {msg.id} is not logged as an answer: nothing to undo",
            hint="decide it with `plea inbox triage --message ID`",
        )
    response = session.get(Response, msg.response_id)
    msg.response_id = None
    msg.case_id, msg.state, msg.letter_id, msg.matched_by, msg.status = None, "", None, "", "unmatched"
    session.add(msg)
    session.flush()
    if response is None:
        return 0
    case = session.get(Case, response.case_id)
    rid = response.id or 0
    record(
        session,
        "response.removed",
        actor=actor,
        case_id=response.case_id,
        subject=f"response:{rid}",
        data={
            "state": response.state,
            "outcome": response.outcome,
            "on": response.on.isoformat(),
            "message": msg.id,
            "attachments": [a["sha256"] for a in response.attachments],
        },
    )
    session.delete(response)
    session.flush()
    others = session.exec(
        select(Response.id).where(Response.case_id == response.case_id, Response.state == response.state)
    ).first()
    if case is not None and others is None:
        _restore_sent(session, case, response.state, rid, actor)
    record(
        session,
        "email.undone",
        actor=actor,
        case_id=response.case_id,
        subject=f"message:{msg.id}",
        data={"response": rid},
    )
    return rid


def message_dict(session: Session, msg: InboundMessage) -> dict[str, Any]:
    ref = session.get(Case, msg.case_id).ref if msg.case_id else None  # type: ignore[union-attr]
    outcome = None
    if msg.response_id:
        r = session.get(Response, msg.response_id)
        outcome = r.outcome if r else None
    return {
        "id": msg.id,
        "status": msg.status,
        "from": msg.sender,
        "subject": msg.subject,
        "date": msg.sent_at.isoformat() if msg.sent_at else None,
        "case": ref,
        "state": msg.state,
        "matched_by": msg.matched_by,
        "response": msg.response_id,
        "outcome": outcome,
        "attachments": [a["name"] for a in msg.attachments],
        "source": msg.source,
    }
