"""The audit trail: verify the history chain (optionally against a head kept outside the
database) and read the history with filters. Read-only: nothing here changes the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from plea.db.models import Case, Event, Mission
from plea.errors import InvalidInput
from plea.history import GENESIS, Walk, walk

_HEX = re.compile(r"[0-9a-f]{12,64}")


def parse_head(value: str | None) -> str | None:
    """A head hash given by a person: 12 to 64 hex characters (a prefix is enough)."""
    if value is None:
        return None
    head = value.strip().lower()
    if not _HEX.fullmatch(head):
        raise InvalidInput(
            f"--head: {value!r} is not a history head (12 to 64 hex characters, as printed by "
            "`plea audit verify`, reports and exports)"
        )
    return head


@dataclass
class Verification:
    walk: Walk
    kept_head: str | None

    @property
    def ok(self) -> bool:
        return self.walk.problem is None

    def as_dict(self) -> dict[str, Any]:
        w = self.walk
        out: dict[str, Any] = {
            "ok": self.ok,
            "events": w.events,
            "head": w.head,
            "problem": w.problem.as_dict() if w.problem else None,
        }
        if self.kept_head:
            out["kept_head"] = self.kept_head
            out["kept_head_event"] = w.head_found_at
            out["events_after_kept_head"] = w.after_head
        return out

    def summary(self) -> str:
        w = self.walk
        if w.problem:
            return f"history broken: {w.problem.message}"
        text = f"history intact: {w.events} event(s); head {w.head}"
        if self.kept_head:
            text += f"; the kept head is event {w.head_found_at}, {w.after_head} event(s) written since"
        return text


def verify(session: Session, *, head: str | None = None) -> Verification:
    return Verification(walk(session, head=head), head)


def current_head(session: Session) -> tuple[str, int]:
    """The newest event's hash and the number of events: what reports and exports print."""
    from sqlalchemy import func

    last = session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first()
    count = session.exec(select(func.count()).select_from(Event)).one()
    return last or GENESIS, int(count)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def log(
    session: Session,
    *,
    case: Case | None = None,
    since: date | None = None,
    until: date | None = None,
    actor: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """History events, oldest first, with a plain-words description of each."""
    from plea.campaign import describe

    q = select(Event).order_by(col(Event.id))
    if case is not None:
        q = q.where(Event.case_id == case.id)
    if since is not None:
        q = q.where(col(Event.at) >= _day_start(since))
    if until is not None:
        q = q.where(col(Event.at) < _day_start(until + timedelta(days=1)))
    if actor:
        q = q.where(Event.actor == actor)
    if kind:  # kinds are lower case: so is the prefix (PostgreSQL's LIKE minds the case, SQLite's does not)
        q = q.where(col(Event.kind).startswith(kind.lower(), autoescape=True))  # _ and % are letters
    if limit:
        q = q.order_by(None).order_by(col(Event.id).desc()).limit(limit)
    events = list(session.exec(q))
    if limit:
        events.reverse()
    mission_ids = {
        e.data.get("mission") for e in events if isinstance(e.data, dict) and e.data.get("mission")
    }
    missions = (
        {m.id: m for m in session.exec(select(Mission).where(col(Mission.id).in_(mission_ids)))}
        if mission_ids
        else {}
    )
    case_ids = {e.case_id for e in events if e.case_id is not None}
    refs = (
        dict(session.exec(select(Case.id, Case.ref).where(col(Case.id).in_(case_ids))).all())
        if case_ids
        else {}
    )
    return [
        {
            "id": e.id,
            "at": (e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)).isoformat(),
            "actor": e.actor,
            "kind": e.kind,
            "case": refs.get(e.case_id) if e.case_id is not None else None,
            "subject": e.subject,
            "what": describe(e, missions),
            "data": e.data,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in events
    ]
