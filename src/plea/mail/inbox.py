"""Replies kept and logged: each message stored once (its Message-ID, else its sha256, is
the key: importing a mailbox twice adds nothing), matched to its case and state, and then
logged as a response with outcome "unclassified" for a person to classify (triage)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea.campaign import case_letters, log_response, transition
from plea.db.models import OUTCOMES, Case, InboundMessage, Letter, Mission, Response
from plea.errors import Conflict, InvalidInput, NotFound
from plea.fileio import safe_name
from plea.history import record
from plea.mail.match import Match, match
from plea.mail.parse import Attachment, Parsed, parse


@dataclass
class Ingested:
    message: InboundMessage | None  # None: already known
    match: Match | None = None


def message_key(p: Parsed, sha: str) -> str:
    return p.message_id[:255] if p.message_id else f"sha256:{sha}"


def _store(raw: bytes, attachments: list[Attachment], key: bytes | None) -> tuple[Path, list[Path], Any]:
    """Write the message and its attachments into a temporary folder (named as they were)."""
    from plea.storage import store_file

    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name)
    (folder / "message.eml").write_bytes(raw)
    stored, _ = store_file(folder / "message.eml", "mail", key)
    paths = []
    for i, a in enumerate(attachments, 1):
        sub = folder / str(i)
        sub.mkdir()
        path = sub / safe_name(a.name, fallback=f"attachment-{i}")
        path.write_bytes(a.data)
        paths.append(path)
    return stored, paths, tmp


def _day(p: Parsed, today: date) -> date:
    return min(p.date.date(), today) if p.date else today


def ingest(session: Session, raw: bytes, *, source: str, actor: str, today: date) -> Ingested:
    """Keep one message; Malformed (from parse) if it cannot be read."""
    sha = hashlib.sha256(raw).hexdigest()
    p = parse(raw)
    key = message_key(p, sha)
    if session.exec(select(InboundMessage.id).where(InboundMessage.key == key)).first() is not None:
        return Ingested(None)
    file_key = session.info.get("plea_file_key")
    stored, attachment_paths, tmp = _store(raw, p.attachments, file_key)
    with tmp:
        m = match(session, p)
        msg = InboundMessage(
            key=key,
            message_id=p.message_id,
            sha256=sha,
            path=str(stored),
            source=source,
            sender=p.sender,
            subject=p.subject[:500],
            sent_at=p.date,
            received_at=datetime.now(UTC),
            status="unmatched",
            matched_by=m.how if m.case_id or m.state else "",
            case_id=m.case_id,
            state=m.state,
            letter_id=m.letter_id,
        )
        if m.complete:
            case = session.get(Case, m.case_id)
            response = log_response(
                session,
                case,
                m.state,
                on=_day(p, today),
                outcome="unclassified",  # type: ignore[arg-type]
                summary=p.subject,
                channel="email",
                attachments=attachment_paths,
                force=True,
                actor=actor,
                today=today,
            )
            msg.response_id, msg.status, msg.attachments = (
                response.id,
                "unclassified",
                list(response.attachments),
            )
        else:
            from plea.storage import store_file

            for path in attachment_paths:
                target, digest = store_file(path, "attachments", file_key)
                msg.attachments.append({"name": path.name, "path": str(target), "sha256": digest})
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
            "matched_by": msg.matched_by,
            "state": msg.state,
            "response": msg.response_id,
            "attachments": [a["sha256"] for a in msg.attachments],
        },
    )
    return Ingested(msg, m)


def pending(
    session: Session,
    *,
    statuses: tuple[str, ...] = ("unmatched", "unclassified"),
    message_id: int | None = None,
) -> list[InboundMessage]:
    q = select(InboundMessage).order_by(col(InboundMessage.id))
    if message_id is not None:
        q = q.where(InboundMessage.id == message_id)
    elif statuses:
        q = q.where(col(InboundMessage.status).in_(statuses))
    return list(session.exec(q))


def read_message(session: Session, msg: InboundMessage) -> Parsed:
    from plea.storage import read_stored

    return parse(read_stored(Path(msg.path), session.info.get("plea_file_key")))


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
    if msg.response_id:
        raise Conflict(
            f"message {msg.id} is already logged as response {msg.response_id}",
            hint="classify it instead (its outcome can be 'other')",
        )
    msg.status = "ignored"
    session.add(msg)
    record(session, "email.ignored", actor=actor, case_id=msg.case_id, subject=f"message:{msg.id}")


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
