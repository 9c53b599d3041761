"""Verified corrections that travel between caseworkers and NGOs.

`plea embassies export --verified-only FILE` writes the missions a person edited or verified: the
directory's columns (with verified_on and verified_by) plus `edited_fields`, the fields whose values
a person gave or checked. `plea embassies import` of such a file merges it, field by field, over
those fields only (the other columns are the sender's copy of the shipped data and are ignored):

- a field you never edited takes their value, and becomes one of yours (imports keep it);
- a field you edited too, with the same value: nothing to do;
- with different values, the verified one wins over the unverified one ("newer verification":
  an unverified edit counts as older than any verification);
- both verified, or both unverified, with different values: a conflict. Nothing is imported; every
  conflict is listed (exit 6) until you choose with --prefer theirs, --prefer ours, or --prefer
  newer (the more recent verification; a tie stays a conflict).
A mission you do not have is added as they have it. Their verification date and name are adopted
when it is newer than yours and none of their values were refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from plea import states
from plea.csvio import for_excel
from plea.db.models import Mission
from plea.directory.export import export_csv
from plea.directory.importing import parse_file
from plea.directory.queries import COLUMNS, EDITED, list_missions, person_fields
from plea.errors import Conflict
from plea.fileio import atomic_write_bytes
from plea.history import record

PREFER = ("theirs", "ours", "newer")


@dataclass
class FieldConflict:
    id: str
    sending: str
    host: str
    field: str
    ours: str
    theirs: str
    our_check: date | None
    our_by: str
    their_check: date | None
    their_by: str

    def line(self) -> str:
        def side(value: str, on: date | None, by: str) -> str:
            check = f"verified {on.isoformat()}" + (f" by {by}" if by else "") if on else "not verified"
            return f"{value or '(empty)'!r} ({check})"

        return (f"{self.id} {states.name(self.sending)} ({self.sending}) in {self.host}, {self.field}: "
                f"yours {side(self.ours, self.our_check, self.our_by)}, "
                f"theirs {side(self.theirs, self.their_check, self.their_by)}")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sending": self.sending, "host": self.host, "field": self.field,
                "ours": self.ours, "ours_verified_on": self.our_check, "ours_verified_by": self.our_by,
                "theirs": self.theirs, "theirs_verified_on": self.their_check,
                "theirs_verified_by": self.their_by}


@dataclass
class MergeResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_ours: int = 0  # fields where your value was kept over theirs (yours verified, or --prefer)
    resolved: int = 0  # conflicts settled by --prefer
    prefer: str | None = None
    conflicts: list[FieldConflict] = field(default_factory=list)  # unresolved
    taken: dict[str, list[str]] = field(default_factory=dict)  # mission id → fields taken from the file

    def summary(self) -> str:
        text = (f"merged verified corrections: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged")
        if self.kept_ours:
            text += f"; {self.kept_ours} of your values kept"
        if self.resolved:
            text += f"; {self.resolved} conflict(s) settled with --prefer {self.prefer}"
        return text

    def counts(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "kept_ours": self.kept_ours, "resolved": self.resolved, "conflicts": len(self.conflicts)}

    def as_dict(self) -> dict[str, Any]:
        return {"merged": True, **self.counts(), "prefer": self.prefer, "taken": self.taken,
                "conflicts_list": [c.as_dict() for c in self.conflicts]}


class MergeConflict(Conflict):
    def __init__(self, path: Path, result: MergeResult) -> None:
        lines = [c.line() for c in result.conflicts]
        super().__init__(
            f"{path}: {len(lines)} conflict(s) between your values and theirs; nothing was imported:\n  "
            + "\n  ".join(lines),
            hint="choose with --prefer theirs, --prefer ours or --prefer newer (the more recent "
                 "verification), or correct one side with `plea embassies edit … --verified` and "
                 "import again")
        self.result = result


# -- export ------------------------------------------------------------------------------------

#: the setting naming who vouches for shared corrections (their verified_by column)
ORGANISATION = "organisation"

def organisation_name(session: Session) -> str:
    """The organisation that vouches for shared corrections (a setting), or ""."""
    from plea.settings import get_setting

    return (get_setting(session, ORGANISATION) or "").strip()


def export_verified(session: Session, path: Path, *, host: str | None = None, force: bool = False) -> int:
    """Write the rows a person edited or verified to `path` (atomically); the number of rows."""
    path = Path(path)
    if path.exists() and not force:
        raise Conflict(f"{path} exists", hint="pass --force to replace it, or choose another name")
    if path.is_dir():
        raise Conflict(f"{path} is a folder", hint="give a file name, e.g. verified-embassies.csv")
    missions = list_missions(session, host=host, verified_only=True)
    organisation = organisation_name(session)
    atomic_write_bytes(path, for_excel(export_csv(missions, verified=True, organisation=organisation)))
    return len(missions)


# -- merge -------------------------------------------------------------------------------------

def _decide(ours_verified: date | None, theirs_verified: date | None, prefer: str | None) -> str:
    """'theirs', 'ours' or 'conflict' for one field both sides edited with different values."""
    if bool(theirs_verified) != bool(ours_verified):
        return "theirs" if theirs_verified else "ours"
    if prefer in ("theirs", "ours"):
        return prefer
    if prefer == "newer" and theirs_verified and ours_verified and theirs_verified != ours_verified:
        return "theirs" if theirs_verified > ours_verified else "ours"
    return "conflict"


Plan = tuple[MergeResult, list[dict[str, Any]], dict[str, dict[str, Any]]]


def merge_rows(session: Session, rows: list[dict[str, Any]], *, prefer: str | None = None) -> Plan:
    """Work out a merge: (result, rows to add, id → values to set). Writes nothing."""
    result = MergeResult(prefer=prefer)
    existing = {m.id: m for m in session.exec(select(Mission))}
    inserts: list[dict[str, Any]] = []
    updates: dict[str, dict[str, Any]] = {}
    for row in rows:
        theirs_fields = set(row.get(EDITED, "").split())
        tv, tby = row.get("verified_on"), row.get("verified_by", "")
        current = existing.get(row["id"])
        if current is None:
            new = {c: row.get(c, None if c in ("latitude", "longitude", "verified_on") else "")
                   for c in COLUMNS}
            inserts.append(new | {"user_fields": " ".join(sorted(theirs_fields))})
            result.added += 1
            result.taken[row["id"]] = sorted(theirs_fields)
            continue
        ours_fields, ov = person_fields(current), current.verified_on
        take: dict[str, Any] = {}
        refused = False
        for name in sorted(theirs_fields & set(row)):
            theirs, ours = row[name], getattr(current, name)
            if theirs == ours:
                continue
            if name not in ours_fields:
                take[name] = theirs
                continue
            decision = _decide(ov, tv, prefer)
            if decision == "conflict":
                result.conflicts.append(FieldConflict(current.id, current.sending, current.host, name, ours,
                                                      theirs, ov, current.verified_by, tv, tby))
                continue
            if bool(tv) == bool(ov):
                result.resolved += 1
            if decision == "theirs":
                take[name] = theirs
            else:
                refused = True
                result.kept_ours += 1
        values: dict[str, Any] = dict(take)
        # what they vouched for is vouched for here too (taken, or the same as yours): imports keep it
        vouched = " ".join(sorted(set(current.user_fields.split()) | (theirs_fields & set(row))))
        if vouched != current.user_fields:
            values["user_fields"] = vouched
        if tv and (ov is None or tv > ov) and not refused and theirs_fields >= ours_fields:
            values.update(verified_on=tv, verified_by=tby)
        if values:
            updates[current.id] = values
            result.updated += 1
            result.taken[current.id] = sorted(take)
        else:
            result.unchanged += 1
    return result, inserts, updates


def merge_file(session: Session, path: Path, *, actor: str, prefer: str | None = None,
               dry_run: bool = False, encoding: str | None = None) -> MergeResult:
    """Merge a file written by `export --verified-only`; MergeConflict (exit 6) lists the
    conflicts and changes nothing."""
    if prefer is not None and prefer not in PREFER:
        from plea.errors import InvalidInput

        raise InvalidInput(f"--prefer: {prefer!r} is not one of {', '.join(PREFER)}")
    rows = [r for _, r in parse_file(path, encoding=encoding)]
    result, inserts, updates = merge_rows(session, rows, prefer=prefer)
    if result.conflicts:
        raise MergeConflict(path, result)
    if dry_run or not (inserts or updates):
        return result
    if inserts:
        session.execute(insert(Mission), inserts)
    for mid, values in updates.items():
        m = session.get(Mission, mid)
        assert m is not None
        for name, value in values.items():
            setattr(m, name, value)
        session.add(m)
    session.flush()
    record(session, "embassies.merged", actor=actor, subject=f"file:{Path(path).name}", data={
        "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(), **result.counts(), "prefer": prefer,
        "missions": {mid: {"fields": fields, "verified_on": _iso(updates.get(mid, {}).get("verified_on"))}
                     for mid, fields in result.taken.items()},
    })
    return result


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def is_verified_file(path: Path, *, encoding: str | None = None) -> bool:
    """Whether a CSV was written by `export --verified-only` (its header has edited_fields)."""
    from plea.csvio import read_sheet

    return EDITED in read_sheet(path, encoding=encoding).header
