"""Report figures kept up to date, so a report over a million letters reads a few thousand rows.

Triggers (migration 0006) note in report_dirty every case whose sendings, bounces, answers or
status changed, whoever wrote them. `refresh` recounts those cases from the letters, their
events and the responses (the same rules as the report's own SQL: plea.report), replaces their
rows in report_appeal and report_case, and moves the difference between their old and new
contribution into report_total. plea runs it at the end of every writing transaction
(Database.transaction) and after migrations, so what is committed is counted; a report that
still finds a noted case (a write from outside plea) counts from the letters instead.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, insert, select, tuple_, update

from plea.db.models import Case, Letter, LetterEvent, Mission, Response
from plea.db.models import report_appeal as APPEAL
from plea.db.models import report_case as CASE
from plea.db.models import report_dirty as DIRTY
from plea.db.models import report_total as TOTAL
from plea.states import un_members

CHUNK = 500  # cases recounted at a time
Key = tuple[str, str, str, str]  # report_total's (scope, dim, key, sub)


class Appeal(NamedTuple):
    """One case's letters to one state, as a report counts them (the columns of report_appeal),
    and as `plea status` sees them (its own rules: plea.status.statuses)."""

    first_sent: date
    letters: int  # sendings
    bounced: bool
    answered_on: date | None = None  # the first answer on or after the first sending
    days: int | None = None
    outcome: str | None = None  # the latest such answer's
    last_sent: date | None = None  # the latest sending
    replied: bool = False  # an answer from the state, on any date (status's "answered")
    replied_positive: bool = False  # one of them positive
    closed: bool = False  # every letter sent to the state is closed
    returned: bool = False  # one of them is bounced and none is sent

    @property
    def waiting(self) -> bool:
        """Silent, not closed, not returned: it falls due for a follow-up."""
        return not self.replied and not self.closed and not self.returned


@dataclass(frozen=True)
class Counted:
    """One case as counted: its status and its appeals by state."""

    status: str
    appeals: dict[str, Appeal]

    def row(self, case_id: int) -> dict[str, Any]:
        days = [a.days for a in self.appeals.values() if a.days is not None]
        waiting = [a.last_sent for a in self.appeals.values() if a.waiting]
        return {
            "case_id": case_id,
            "status": self.status,
            "appeals": len(self.appeals),
            "letters": sum(a.letters for a in self.appeals.values()),
            "answered": len(days),
            "positive": sum(
                1 for a in self.appeals.values() if a.days is not None and a.outcome == "positive"
            ),
            "median_days": float(statistics.median(days)) if days else None,
            "replied": sum(a.replied for a in self.appeals.values()),
            "replied_positive": sum(a.replied_positive for a in self.appeals.values()),
            "silent": sum(not a.replied and not a.closed for a in self.appeals.values()),
            "returned": sum(a.returned for a in self.appeals.values()),
            "waiting": len(waiting),
            "waiting_first": min(waiting) if waiting else None,  # type: ignore[type-var]
            "waiting_last": max(waiting) if waiting else None,  # type: ignore[type-var]
            "un_members": sum(1 for state in self.appeals if state in un_members()),
        }

    def totals(self) -> Counter[Key]:
        """What this case adds to report_total."""
        out: dict[Key, int] = {}
        for state, a in self.appeals.items():
            _count(out, self.status, state, a, 1)
        return Counter(out)


def _count(out: dict[Key, int], s: str, state: str, a: Appeal, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one appeal's part of report_total."""
    month = str(a.first_sent)[:7]
    for k, n in (
        ((s, "state", state, "appeals"), 1),
        ((s, "state", state, "letters"), a.letters),
        ((s, "month", month, "appeals"), 1),
        ((s, "month", month, "letters"), a.letters),
    ):
        out[k] = out.get(k, 0) + sign * n
    if a.bounced:
        k = (s, "state", state, "bounced")
        out[k] = out.get(k, 0) + sign
    if a.answered_on is not None:
        # an answer counts in the month of the first letter it answers (the month's appeals and
        # its answers are then the same appeals), not in the month it came
        keys = [
            (s, "outcome", state, a.outcome or ""),
            (s, "days", state, str(a.days)),
            (s, "month", month, "answers"),
        ]
        if a.outcome == "positive":
            keys.append((s, "month", month, "positive"))
        for k in keys:
            out[k] = out.get(k, 0) + sign


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def recount(conn: Any, case_ids: Iterable[int]) -> dict[int, Counted]:
    """The cases (those that exist) counted from their letters, letter events and responses."""
    ids = list(case_ids)
    ct, lt, mt, et = Case.__table__.c, Letter.__table__.c, Mission.__table__.c, LetterEvent.__table__.c  # type: ignore[attr-defined]
    rt = Response.__table__.c  # type: ignore[attr-defined]
    status = dict(conn.execute(select(ct.id, ct.status).where(ct.id.in_(ids))).all())
    sent: dict[tuple[int, str], list[date]] = {}
    bounced: set[tuple[int, str]] = set()
    kinds: dict[tuple[int, str], dict[int, str]] = {}  # the letters sent: id → their status now
    letters = select(lt.id).where(lt.case_id.in_(ids)).scalar_subquery()
    for cid, state, lid, now, kind, on in conn.execute(
        select(lt.case_id, mt.sending, lt.id, lt.status, et.status, et.on)
        .select_from(
            LetterEvent.__table__.join(Letter.__table__, lt.id == et.letter_id).join(  # type: ignore[attr-defined]
                Mission.__table__,
                mt.id == lt.mission_id,  # type: ignore[attr-defined]
            )
        )
        .where(et.letter_id.in_(letters), et.status.in_(("sent", "bounced")))
    ).all():
        if kind == "sent":
            sent.setdefault((cid, state), []).append(on)
            kinds.setdefault((cid, state), {})[lid] = now
        else:
            bounced.add((cid, state))
    answers: dict[tuple[int, str], list[tuple[date, int, str]]] = {}
    for cid, state, on, rid, outcome in conn.execute(
        select(rt.case_id, rt.state, rt.on, rt.id, rt.outcome).where(rt.case_id.in_(ids))
    ).all():
        answers.setdefault((cid, state), []).append((on, rid, outcome))
    out = {cid: Counted(st, {}) for cid, st in status.items()}
    for (cid, state), dates in sent.items():
        if cid not in out:
            continue
        first, replies, now = min(dates), answers.get((cid, state), []), set(kinds[(cid, state)].values())
        after = [a for a in replies if a[0] >= first]
        answered_on = min(a[0] for a in after) if after else None
        out[cid].appeals[state] = Appeal(
            first, len(dates), (cid, state) in bounced, answered_on,
            (answered_on - first).days if answered_on else None,
            max(after)[2] if after else None,  # the latest answer: by date, then by id
            max(dates), bool(replies), any(a[2] == "positive" for a in replies),
            now <= {"closed"}, "bounced" in now and "sent" not in now,
        )
    return out


def stored(conn: Any, case_ids: Iterable[int]) -> dict[int, Counted]:
    """The cases as report_appeal and report_case hold them."""
    ids = list(case_ids)
    out = {
        cid: Counted(st, {})
        for cid, st in conn.execute(select(CASE.c.case_id, CASE.c.status).where(CASE.c.case_id.in_(ids)))
    }
    a = APPEAL.c
    for cid, state, *rest in conn.execute(
        select(*(a[name] for name in APPEAL_COLUMNS)).where(a.case_id.in_(ids))
    ).all():
        flags = (None if f is None else bool(f) for f in rest[7:])  # None: not counted since 0011
        out[cid].appeals[state] = Appeal(rest[0], rest[1], bool(rest[2]), *rest[3:7], *flags)  # type: ignore[arg-type]
    return out


def dirty(conn: Any) -> list[int]:
    return [cid for (cid,) in conn.execute(select(DIRTY.c.case_id).order_by(DIRTY.c.case_id))]


def refresh(conn: Any) -> int:
    """Recount the cases noted in report_dirty and store them; returns how many there were."""
    ids = dirty(conn)
    for chunk in _chunks(ids):
        _store(conn, stored(conn, chunk), recount(conn, chunk))
        conn.execute(delete(DIRTY).where(DIRTY.c.case_id.in_(chunk)))
    return len(ids)


APPEAL_COLUMNS = ("case_id", "state", *Appeal._fields)


def _store(conn: Any, old: dict[int, Counted], new: dict[int, Counted]) -> None:
    change: dict[Key, int] = {}
    gone: list[tuple[int, str]] = []
    fresh: list[dict[str, Any]] = []
    for cid in sorted(old.keys() | new.keys()):
        before = old.get(cid, Counted("", {}))
        after = new.get(cid, Counted("", {}))
        moved = before.status != after.status  # archived or reopened: every appeal changes scope
        for state, appeal in before.appeals.items():
            if moved or after.appeals.get(state) != appeal:
                _count(change, before.status, state, appeal, -1)
                if after.appeals.get(state) != appeal:
                    gone.append((cid, state))
        for state, appeal in after.appeals.items():
            if moved or before.appeals.get(state) != appeal:
                _count(change, after.status, state, appeal, 1)
                if before.appeals.get(state) != appeal:
                    fresh.append(dict(zip(APPEAL_COLUMNS, (cid, state, *appeal), strict=True)))
    for start in range(0, len(gone), 200):
        conn.execute(
            delete(APPEAL).where(tuple_(APPEAL.c.case_id, APPEAL.c.state).in_(gone[start : start + 200]))
        )
    if fresh:
        conn.execute(insert(APPEAL), fresh)
    conn.execute(delete(CASE).where(CASE.c.case_id.in_(list(old.keys() | new.keys()))))
    rows = [c.row(cid) for cid, c in sorted(new.items()) if c.appeals]
    if rows:
        conn.execute(insert(CASE), rows)
    _add(conn, {k: n for k, n in change.items() if n})


def _add(conn: Any, change: dict[Key, int]) -> None:
    """report_total += change; rows that reach zero are removed."""
    if not change:
        return
    t = TOTAL.c
    keys = list(change)
    current: dict[Key, int] = {}
    for start in range(0, len(keys), 200):
        part = keys[start : start + 200]
        for scope, dim, key, sub, n in conn.execute(
            select(t.scope, t.dim, t.key, t.sub, t.n).where(tuple_(t.scope, t.dim, t.key, t.sub).in_(part))
        ):
            current[(scope, dim, key, sub)] = n
    inserts, updates, removed = [], [], []
    for k, d in change.items():
        n = current.get(k, 0) + d
        if n < 0:
            raise AssertionError(f"report_total {k} would fall below zero")  # a counting bug: never expected
        if k not in current:
            inserts.append(dict(zip(("scope", "dim", "key", "sub", "n"), (*k, n), strict=True)))
        elif n == 0:
            removed.append(k)
        else:
            updates.append({"b_scope": k[0], "b_dim": k[1], "b_key": k[2], "b_sub": k[3], "n": n})
    if removed:
        for start in range(0, len(removed), 200):
            conn.execute(
                delete(TOTAL).where(tuple_(t.scope, t.dim, t.key, t.sub).in_(removed[start : start + 200]))
            )
    if updates:
        conn.execute(
            update(TOTAL)
            .where(
                and_(
                    t.scope == bindparam("b_scope"),
                    t.dim == bindparam("b_dim"),
                    t.key == bindparam("b_key"),
                    t.sub == bindparam("b_sub"),
                )
            )
            .values(n=bindparam("n")),
            updates,
        )
    if inserts:
        conn.execute(insert(TOTAL), inserts)
