"""Cautions: states that may hand a person to the state that persecutes them.

The shipped table is data/cautions.csv: one row per (threat state, state), each with the plain reason, the
kind of fact (a treaty, an extradition record, other) and the public source that states it. The user's own
rows live in the database (table `caution`): `add` rows of their own, and `remove` rows that set a shipped
row aside. The shipped file is read as it is, so the user's rows survive `plea init` and every new version
of the file. plea.recipients holds a cautioned state back unless the user names it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from plea.errors import InvalidInput, NotFound
from plea.resources import data_dir

COLUMNS = ("threat_state", "state", "reason", "kind", "source_url", "source_title", "retrieved")
KINDS = ("treaty", "extradition record", "other")


@dataclass(frozen=True)
class Caution:
    threat_state: str
    state: str
    reason: str
    kind: str
    source_url: str
    source_title: str
    retrieved: str
    origin: str = "shipped"  # shipped | user

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def check_row(row: dict[str, str]) -> list[tuple[str, str]]:
    """(column, problem) for every bad value of one row."""
    from plea import states

    problems = []
    for column in ("threat_state", "state"):
        value = (row.get(column) or "").strip()
        if not value:
            problems.append((column, "empty; give an ISO 3166 alpha-2 code such as RU"))
        elif value.upper() not in states.un_members() and not states.is_code(value):  # (Babel only if needed)
            problems.append((column, f"{value!r} is not an ISO 3166 alpha-2 code"))
    if (row.get("state") or "").strip().upper() == (row.get("threat_state") or "").strip().upper() != "":
        problems.append(("state", "is the threat state itself (a threat state is never written to by default)"))
    if not (row.get("reason") or "").strip():
        problems.append(("reason", "empty; say in one sentence why this state may hand a person over"))
    if (row.get("kind") or "").strip() not in KINDS:
        problems.append(("kind", f"{row.get('kind')!r} is not one of {', '.join(KINDS)}"))
    url = (row.get("source_url") or "").strip()
    if not url.startswith(("https://", "http://")):
        problems.append(("source_url", "missing: every caution needs the public source that states it (a URL)"))
    retrieved = (row.get("retrieved") or "").strip()
    try:
        date.fromisoformat(retrieved)
    except ValueError:
        problems.append(("retrieved", f"{retrieved!r} is not the date the source was read (YYYY-MM-DD)"))
    return problems


def _caution(row: dict[str, str], origin: str) -> Caution:
    return Caution(row["threat_state"].strip().upper(), row["state"].strip().upper(), row["reason"].strip(),
                   row["kind"].strip(), row["source_url"].strip(), (row.get("source_title") or "").strip(),
                   row["retrieved"].strip(), origin)


def check_rows(header: list[str], rows: list[tuple[int, dict[str, str]]], name: str,
               origin: str = "user") -> list[Caution]:
    """Cautions from (line, row) pairs; InvalidInput listing every problem as FILE:LINE: column: problem."""
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"{name}:1: missing column(s) {', '.join(missing)}; the columns are {','.join(COLUMNS)}")
    out, problems = [], []
    for line, row in rows:
        row = {(k or "").strip(): (v or "") for k, v in row.items()}
        bad = check_row(row)
        problems += [f"{name}:{line}: {column}: {what}" for column, what in bad]
        if not bad:
            out.append(_caution(row, origin))
    if problems:
        raise InvalidInput(f"{name}: {len(problems)} problem(s); nothing was imported", problems=problems[:20]
                           + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else []))
    return out


def parse(text: str, name: str, origin: str = "user") -> list[Caution]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        rows.append((reader.line_num, row))
    return check_rows(list(reader.fieldnames or []), rows, name, origin)


@lru_cache(maxsize=1)
def shipped() -> tuple[Caution, ...]:
    path = data_dir() / "cautions.csv"
    return tuple(parse(path.read_text(encoding="utf-8"), str(path), origin="shipped"))


def _user_rows(conn: Any) -> list[Any]:
    from sqlalchemy import select

    from plea.db import tables as T

    c = T.caution.c
    return list(conn.execute(select(c.threat_state, c.state, c.action, c.reason, c.kind, c.source_url,
                                    c.source_title, c.retrieved).order_by(c.threat_state, c.state)))


def effective(conn: Any) -> list[Caution]:
    """The cautions in force: the shipped rows less those the user set aside, and the user's own."""
    user = _user_rows(conn)
    removed = {(r.threat_state, r.state) for r in user if r.action == "remove"}
    added = {(r.threat_state, r.state): Caution(r.threat_state, r.state, r.reason, r.kind, r.source_url,
                                                 r.source_title, r.retrieved, "user")
             for r in user if r.action == "add"}
    out = [c for c in shipped() if (c.threat_state, c.state) not in removed and (c.threat_state, c.state) not in added]
    out += added.values()
    return sorted(out, key=lambda c: (c.threat_state, c.state))


def by_threats(cautions: list[Caution], threats: list[str] | tuple[str, ...]) -> dict[str, Caution]:
    """state → the caution that holds it back, for a case with these threat states."""
    wanted = set(threats)
    out: dict[str, Caution] = {}
    for c in cautions:
        if c.threat_state in wanted and c.state not in wanted:
            out.setdefault(c.state, c)
    return out


def for_threats(conn: Any, threats: list[str] | tuple[str, ...]) -> dict[str, Caution]:
    return by_threats(effective(conn), threats) if threats else {}


# -- the user's rows (one transaction per command, each change with its history event) ----------

def _set(session: Any, threat: str, state: str, action: str, values: dict[str, str], actor: str) -> None:
    from sqlmodel import select

    from plea.db.models import Caution as Row
    from plea.history import record

    row = session.exec(select(Row).where(Row.threat_state == threat, Row.state == state)).first()
    if row is None:
        row = Row(threat_state=threat, state=state, added_at=datetime.now(UTC))
    row.action, row.added_by, row.added_at = action, actor, datetime.now(UTC)
    for key in ("reason", "kind", "source_url", "source_title", "retrieved"):
        setattr(row, key, values.get(key, ""))
    session.add(row)
    record(session, f"caution.{'added' if action == 'add' else 'set-aside'}", actor=actor,
           subject=f"caution:{threat}:{state}", data={"threat_state": threat, "state": state,
                                                      "source_url": values.get("source_url", "")})


def add(session: Any, values: dict[str, str], *, actor: str, where: str = "--") -> Caution:
    """Add (or replace) the user's own caution; InvalidInput naming each bad option."""
    bad = check_row(values)
    if bad:
        raise InvalidInput("the caution was not added:",
                           problems=[f"{where}{column.replace('_', '-')}: {what}" for column, what in bad])
    c = _caution(values, "user")
    _set(session, c.threat_state, c.state, "add", c.as_dict(), actor)
    return c


def remove(session: Any, threat: str, state: str, *, actor: str) -> str:
    """Remove the user's own row, or set a shipped row aside; what was done ("removed" / "set aside")."""
    from sqlmodel import select

    from plea.db.models import Caution as Row
    from plea.history import record

    threat, state = threat.upper(), state.upper()
    row = session.exec(select(Row).where(Row.threat_state == threat, Row.state == state)).first()
    is_shipped = any(c.threat_state == threat and c.state == state for c in shipped())
    if row is not None and row.action == "add" and not is_shipped:
        session.delete(row)
        record(session, "caution.removed", actor=actor, subject=f"caution:{threat}:{state}",
               data={"threat_state": threat, "state": state})
        return "removed"
    if is_shipped and (row is None or row.action == "add"):
        _set(session, threat, state, "remove", {}, actor)
        return "set aside"
    raise NotFound(f"no caution for {state} under threat state {threat}",
                   hint="list them with `plea cautions list`")


def import_file(session: Any, path: Path, *, actor: str) -> list[Caution]:
    """The user's own cautions from a CSV (the columns of data/cautions.csv); any bad row imports nothing."""
    from plea.csvio import read_sheet

    sheet = read_sheet(path)
    rows = check_rows(sheet.header, sheet.rows, str(path))
    for c in rows:
        _set(session, c.threat_state, c.state, "add", c.as_dict(), actor)
    return rows


def export_csv(cautions: list[Caution]) -> str:
    from plea.csvio import write_csv

    return write_csv(list(COLUMNS), [c.as_dict() for c in cautions])
