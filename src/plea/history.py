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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from plea.db import PG_LOCK
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


def event_body(e: Any) -> dict[str, Any]:
    """What the hash covers: everything but the id and the hashes (an Event or a row with its columns)."""
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


def _head(session: Session) -> str:
    """The newest event's hash, to chain the next event to; on PostgreSQL, first the chain's lock
    (appends queue here until the holder commits; the head read is then the newest one). SQLite:
    the writing transaction (BEGIN IMMEDIATE) already excludes other writers."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text(f"SELECT pg_advisory_xact_lock({PG_LOCK})"))
    return session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first() or GENESIS


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
    prev = _head(session)
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


@dataclass
class Change:
    """One event of record_many: the case, the subject ("letter:12"), the data."""

    case_id: int | None
    subject: str
    data: dict[str, Any]


def record_many(session: Session, kind: str, changes: list[Change], *, actor: str,
                at: datetime | None = None) -> int:
    """Append many events of one kind to the chain at once (the same events record() writes one
    by one, in one bulk insert), inside the caller's transaction; how many."""
    from types import SimpleNamespace

    if not changes:
        return 0
    prev = _head(session)
    when = (at or datetime.now(UTC)).replace(microsecond=0)
    rows = []
    for c in changes:
        # event_body reads these attributes of an Event: a namespace spares building thousands of models
        event = SimpleNamespace(at=when, actor=actor, kind=kind, case_id=c.case_id, subject=c.subject,
                                data=c.data)
        body = event_body(event)
        h = chain_hash(prev, body)
        rows.append({"at": when, "actor": actor, "kind": kind, "case_id": c.case_id, "subject": c.subject,
                     "data": c.data, "prev_hash": prev, "hash": h})
        prev = h
    session.connection().execute(Event.__table__.insert(), rows)  # type: ignore[attr-defined]
    return len(rows)


@dataclass
class Break:
    """The first place the chain is broken."""

    event_id: int | None  # the event named (None: the kept head is missing)
    kind: str  # changed | deleted | reordered | truncated
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.event_id, "problem": self.kind, "message": self.message}


@dataclass
class Walk:
    events: int  # events checked (up to and including the broken one)
    head: str  # the hash of the last event checked that was intact
    problem: Break | None = None
    head_found_at: int | None = None  # the event id whose hash is the kept head, if asked for one
    after_head: int = 0  # events appended after the kept head


_COLUMNS = (Event.id, Event.at, Event.actor, Event.kind, Event.case_id, Event.subject, Event.data,
            Event.prev_hash, Event.hash)


def _diagnose(session: Session, row: Any, prev_id: int | None, prev: str) -> Break:
    """row does not follow the event before it: reordered, or what it followed was deleted/rewritten."""
    from sqlalchemy import select as sa_select

    what = f"event {row.id} ({row.kind})"
    if row.prev_hash == GENESIS:
        return Break(row.id, "deleted", f"{what} claims to be the first event, but follows event {prev_id}: "
                     "the history was restarted or events before it were moved")
    elsewhere = session.execute(sa_select(Event.id).where(Event.hash == row.prev_hash)).scalars().first()
    if elsewhere is not None:
        return Break(row.id, "reordered", f"{what} is out of order: it was written after event {elsewhere}, "
                     f"not after event {prev_id}")
    if prev_id is None:
        return Break(row.id, "deleted", f"the event(s) before {what} were deleted: the first event left does "
                     "not start the chain")
    if row.id - prev_id > 1:
        gap = f"event {prev_id + 1}" if row.id - prev_id == 2 else f"events {prev_id + 1} to {row.id - 1}"
        return Break(prev_id + 1, "deleted", f"{gap} deleted: {what} does not follow event {prev_id}")
    return Break(prev_id, "changed", f"event {prev_id} was rewritten (its hash recomputed), or an event "
                 f"between it and {what} was deleted: {what} does not follow it")


def walk(session: Session, *, head: str | None = None) -> Walk:
    """Walk the chain in id order, checking every link and hash, and stop at the first break.
    With `head` (a hash kept outside the database, or a prefix of at least 12 of its characters):
    also check that the event it names is still there, which catches a truncated or rewritten tail."""
    from sqlalchemy import select as sa_select

    prev, prev_id, n = GENESIS, None, 0
    result = Walk(0, GENESIS)
    rows = session.execute(sa_select(*_COLUMNS).order_by(Event.id).execution_options(yield_per=2000))
    for row in rows:
        n += 1
        if row.prev_hash != prev:
            result.problem = _diagnose(session, row, prev_id, prev)
            break
        if chain_hash(prev, event_body(row)) != row.hash:
            result.problem = Break(row.id, "changed",
                                   f"event {row.id} ({row.kind}) was changed after it was written")
            break
        prev, prev_id = row.hash, row.id
        if head and result.head_found_at is None and row.hash.startswith(head):
            result.head_found_at = row.id
        elif result.head_found_at is not None:
            result.after_head += 1
    rows.close()
    result.events, result.head = n, prev
    if head and result.problem is None and result.head_found_at is None and head != GENESIS:
        result.problem = Break(None, "truncated", f"the head you kept ({head[:16]}…) is not in the history: "
                               "events were removed from its end, or the whole history was rewritten")
    return result


def verify(session: Session) -> tuple[int, str | None]:
    """Walk the chain in id order: (events checked, None) if intact, else the first problem
    (an edited, deleted, inserted or reordered event)."""
    result = walk(session)
    return result.events, result.problem.message if result.problem else None


def head(session: Session) -> str:
    """The newest event's hash: keep it outside the database to detect a rewritten tail."""
    return session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first() or GENESIS
