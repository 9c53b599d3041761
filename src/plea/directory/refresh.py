"""Merging what Wikidata says now (plea.directory.wikidata) into the embassy directory.

Rules, per mission of the host, matched by Wikidata id (Mission.id is the QID):
- a mission the directory lacks is added (unless Wikidata says it has closed);
- a value Wikidata gives replaces the stored one, except a value a person edited or verified
  (Mission.user_fields): that one is kept, and the diff says so;
- a contact value (address, postcode, email, phone, website) that Wikidata no longer has is
  removed if it came from Wikidata; city, coordinates and kind are never emptied, and a known kind
  is never replaced by "other";
- values Wikidata gives that plea would refuse on import (a malformed email or web address) are
  left out and reported;
- a mission Wikidata marks dissolved (P576) or closed (P3999) is marked closed (no letter is
  addressed to it); one that is open again is reopened;
- a mission missing from the answer is left as it is (it may just be of a kind the query does
  not ask for); an empty answer changes nothing;
- every mission in the answer gets source "Wikidata" and retrieved = the day of the refresh, so a
  later import of an older file (the shipped 2022 snapshot) does not bring back older values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from plea import states
from plea.db.models import MISSION_KINDS, Mission
from plea.directory.missions import set_closed
from plea.directory.queries import COLUMNS, closed_on, person_fields
from plea.directory.validation import check_email, check_url
from plea.directory.wikidata import LICENCE, SOURCE, Answer, Found
from plea.history import record
from plea.i18n import N_

CONTACTS = ("street_address", "postcode", "email", "phone", "website")
REFRESHED = ("city", "kind", *CONTACTS, "latitude", "longitude")
_QID = re.compile(r"^Q\d+$")


@dataclass
class Change:
    id: str
    sending: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (before, after)


@dataclass
class Kept:
    id: str
    sending: str
    field: str
    yours: Any
    wikidata: Any


@dataclass
class HostDiff:
    host: str
    rows: int = 0
    added: list[dict[str, Any]] = field(default_factory=list)  # whole new rows
    changed: list[Change] = field(default_factory=list)
    closed: list[tuple[str, str, date]] = field(default_factory=list)  # (id, sending, closed on)
    reopened: list[tuple[str, str]] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    invalid: list[tuple[str, str, str]] = field(default_factory=list)  # (id, field, value) left out
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, why) not added
    absent: list[str] = field(default_factory=list)  # in the directory, not in the answer: left alone
    checked: list[str] = field(default_factory=list)  # ids in the answer (get source/retrieved)
    unchanged: int = 0
    sha256: str = ""

    @property
    def empty(self) -> bool:
        return not self.checked and not self.added

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "closed": len(self.closed),
                "reopened": len(self.reopened), "unchanged": self.unchanged, "kept_yours": len(self.kept),
                "left_out_invalid": len(self.invalid), "skipped": len(self.skipped),
                "not_in_answer": len(self.absent)}

    def summary_parts(self) -> list[str]:
        """What the refresh found, a message of the catalog each (the command joins them with "; ")."""
        c = self.counts()
        parts = [N_(f"{self.host}: {c['added']} added, {c['changed']} changed, {c['closed']} closed, "
                    f"{c['unchanged']} unchanged")]
        if c["reopened"]:
            parts.append(N_(f"{c['reopened']} reopened"))
        if c["kept_yours"]:
            parts.append(N_(f"{c['kept_yours']} of your values kept"))
        return parts

    def summary(self) -> str:
        return "; ".join(self.summary_parts())

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "counts": self.counts(),
            "added": [{k: r[k] for k in ("id", "sending", "kind", "city", *CONTACTS)} for r in self.added],
            "changed": [{"id": c.id, "sending": c.sending,
                         "fields": {f: {"before": b, "after": a} for f, (b, a) in c.fields.items()}}
                        for c in self.changed],
            "closed": [{"id": i, "sending": s, "closed_on": d.isoformat()} for i, s, d in self.closed],
            "reopened": [{"id": i, "sending": s} for i, s in self.reopened],
            "kept_yours": [{"id": k.id, "sending": k.sending, "field": k.field, "yours": k.yours,
                            "wikidata": k.wikidata} for k in self.kept],
            "left_out_invalid": [{"id": i, "field": f, "value": v} for i, f, v in self.invalid],
            "skipped": [{"id": i, "why": w} for i, w in self.skipped],
            "not_in_answer": self.absent,
        }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 5e-7
    return bool(a == b)


def _usable(found: Found, diff: HostDiff) -> dict[str, Any]:
    """Wikidata's values, without those plea would refuse on import."""
    values = found.values()
    for column, check in (("email", check_email), ("website", check_url)):
        if values[column] and check(values[column]):
            diff.invalid.append((found.id, column, values[column]))
            values[column] = None  # None: not usable, leave the stored value alone
    return values


def plan(session: Session, answer: Answer, *, today: date) -> HostDiff:
    """What a refresh from this answer would change. Writes nothing."""
    diff = HostDiff(host=answer.host, rows=answer.rows, sha256=answer.sha256,
                    skipped=list(answer.skipped))
    ids = [f.id for f in answer.missions]
    stored = {m.id: m for m in session.exec(select(Mission).where(col(Mission.id).in_(ids)))} if ids else {}
    for found in answer.missions:
        current = stored.get(found.id)
        values = _usable(found, diff)
        if current is None:
            if found.closed:
                continue
            if not states.is_code(found.sending):
                diff.skipped.append((found.id, f"sending state {found.sending!r} has no ISO 3166-1 code"))
            elif found.sending == found.host:
                diff.skipped.append((found.id, "sent by the host state itself"))
            else:
                diff.added.append(_new_row(found, values, today))
            continue
        if current.host != found.host:
            diff.skipped.append((found.id, f"in the directory for host {current.host}, not {found.host}"))
            continue
        diff.checked.append(found.id)
        was_closed = closed_on(current)
        if found.closed:
            if not was_closed:
                diff.closed.append((found.id, current.sending, found.closed_on or today))
            else:
                diff.unchanged += 1
            continue
        if was_closed:
            diff.reopened.append((found.id, current.sending))
        change = _compare(current, values, diff)
        if change.fields:
            diff.changed.append(change)
        elif not was_closed:
            diff.unchanged += 1
    seen = set(ids)
    q = select(Mission.id).where(Mission.host == answer.host)
    diff.absent = sorted(i for i in session.exec(q) if _QID.match(i) and i not in seen)
    return diff


def _compare(current: Mission, values: dict[str, Any], diff: HostDiff) -> Change:
    person = person_fields(current)
    from_wikidata = current.source.startswith(SOURCE)
    change = Change(current.id, current.sending)
    for column in REFRESHED:
        new, old = values[column], getattr(current, column)
        if new is None and column not in ("latitude", "longitude"):
            continue  # left out as invalid
        if new in ("", None):
            if column in CONTACTS and old and from_wikidata and column not in person:
                change.fields[column] = (old, "")
            continue
        if column == "kind" and (new == "other" or new not in MISSION_KINDS) and old != "other":
            continue
        if _same(old, new):
            continue
        if column in person:
            diff.kept.append(Kept(current.id, current.sending, column, old, new))
            continue
        change.fields[column] = (old, new)
    return change


def _new_row(found: Found, values: dict[str, Any], today: date) -> dict[str, Any]:
    row: dict[str, Any] = {c: "" for c in COLUMNS}
    row.update({c: (v if v is not None else ("" if c not in ("latitude", "longitude") else None))
                for c, v in values.items()})
    row.update(id=found.id, sending=found.sending, host=found.host, verified_on=None, source=SOURCE,
               source_ref=f"https://www.wikidata.org/wiki/{found.id}", licence=LICENCE,
               retrieved=today.isoformat(), user_fields="")
    if row["kind"] not in MISSION_KINDS:
        row["kind"] = "other"
    return row


def apply(session: Session, diff: HostDiff, *, actor: str, today: date, endpoint: str) -> None:
    """Write a planned refresh, with its history event, in the caller's transaction."""
    if diff.empty:
        return
    if diff.added:
        session.execute(insert(Mission), diff.added)
    changes = {c.id: c for c in diff.changed}
    closed = {i: d for i, _, d in diff.closed}
    reopened = {i for i, _ in diff.reopened}
    for mid in diff.checked:
        m = session.get(Mission, mid)
        assert m is not None
        if mid in changes:
            for column, (_, after) in changes[mid].fields.items():
                setattr(m, column, after)
        if mid in closed:
            set_closed(m, closed[mid])
        elif mid in reopened:
            set_closed(m, None)
        m.source, m.source_ref, m.licence = SOURCE, f"https://www.wikidata.org/wiki/{mid}", LICENCE
        m.retrieved = today.isoformat()
        session.add(m)
    session.flush()
    record(session, "embassies.refreshed", actor=actor, subject=f"host:{diff.host}", data={
        "endpoint": endpoint, "sha256": diff.sha256, **diff.counts(),
        "added_ids": [r["id"] for r in diff.added],
        "changed_fields": {c.id: sorted(c.fields) for c in diff.changed},
        "closed_ids": sorted(closed), "reopened_ids": sorted(reopened),
        "kept_fields": {k.id: sorted(x.field for x in diff.kept if x.id == k.id) for k in diff.kept},
    })
