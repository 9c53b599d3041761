"""The history of every change, as a hash chain.

Each event is written in the same transaction as the change it records, so nothing
changes without a trace. hash = sha256(prev_hash || canonical JSON of the event);
prev_hash is UNIQUE, so two events can never claim the same predecessor.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from plea.db.models import Event

GENESIS = "0" * 64


def current_actor(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("PLEA_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_body(e: Event) -> dict[str, Any]:
    at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
    return {
        "at": at.astimezone(UTC).isoformat(),
        "actor": e.actor,
        "kind": e.kind,
        "case_id": e.case_id,
        "subject": e.subject,
        "data": e.data,
    }


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(body)).hexdigest()


def record(
    session: Session,
    kind: str,
    *,
    actor: str,
    case_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event to the chain, inside the caller's transaction."""
    last = session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first()
    prev = last or GENESIS
    event = Event(
        at=(at or datetime.now(UTC)).replace(microsecond=0),
        actor=actor,
        kind=kind,
        case_id=case_id,
        subject=subject,
        data=data or {},
        prev_hash=prev,
        hash="",
    )
    event.hash = chain_hash(prev, event_body(event))
    session.add(event)
    session.flush()
    return event


def verify(session: Session) -> tuple[int, str | None]:
    """Walk the chain in id order: (events checked, None) if intact, else the first problem
    (an edited, deleted, inserted or reordered event)."""
    prev = GENESIS
    n = 0
    for event in session.exec(select(Event).order_by(col(Event.id))):
        n += 1
        if event.prev_hash != prev:
            return n, f"event {event.id} ({event.kind}) does not follow the one before it: an event was deleted, inserted or reordered"
        if chain_hash(prev, event_body(event)) != event.hash:
            return n, f"event {event.id} ({event.kind}) was changed after it was written"
        prev = event.hash
    return n, None


def head(session: Session) -> str:
    """The newest event's hash: keep it outside the database to detect a rewritten tail."""
    return session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first() or GENESIS
