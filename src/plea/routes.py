"""Routes: which authority of a state decides a kind of protection, through which channel, with its source.

A route is a public fact read from an official page (a foreign ministry's page on humanitarian visas): every
row carries the page it was read from (`source_url`) and the day it was read (`checked_on`). plea ships only
rows whose source was read (data/routes.csv, see data/README.md); users add, edit, import and export their
own (`plea routes …`). `plea letters plan` explains the route for each recipient (plea.recipients) and warns
when it was checked longer ago than `contact_max_age_days`.

Referrals live here too: a response with outcome `referred` may name the authority the case was referred to
(`responses log … --to-authority ID`); that authority then receives the next letter to that state.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from plea.errors import InvalidInput, NotFound

COLUMNS = (
    "state",
    "protection",
    "authority",
    "channel",
    "url",
    "documents",
    "deadline",
    "notes",
    "source_url",
    "checked_on",
)
CHANNELS = ("post", "email", "web-form", "in-person")
#: channels that reach the authority itself: a route with one sends the letter there (plea.recipients)
DIRECT = ("post", "email", "web-form")
REQUIRED = ("state", "protection", "source_url", "checked_on")


def _url_problem(value: str) -> str | None:
    from plea.directory.validation import check_url

    return check_url(value)


def check_row(row: dict[str, str], *, today: date, directory: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, problem) for every bad value of one route; `directory`: mission id → row (id, sending)."""
    from plea import states
    from plea.cases import PROTECTIONS

    problems: list[tuple[str, str]] = []
    for column in REQUIRED:
        if not row.get(column):
            problems.append(
                (
                    column,
                    "missing value"
                    + (
                        ": every route needs the official page it was read from"
                        if column == "source_url"
                        else ": the day the source was read (YYYY-MM-DD)"
                        if column == "checked_on"
                        else ""
                    ),
                )
            )
    state = row.get("state", "")
    if state and not states.is_code(state):
        problems.append(("state", f"{state!r} is not an ISO 3166 alpha-2 code"))
    if row.get("protection") and row["protection"] not in PROTECTIONS:
        problems.append(("protection", f"{row['protection']!r} is not one of {', '.join(PROTECTIONS)}"))
    if row.get("channel") and row["channel"] not in CHANNELS:
        problems.append(("channel", f"{row['channel']!r} is not one of {', '.join(CHANNELS)}"))
    for column in ("url", "source_url"):
        if row.get(column) and (p := _url_problem(row[column])):
            problems.append((column, p))
    if row.get("checked_on"):
        try:
            if date.fromisoformat(row["checked_on"]) > today:
                problems.append(("checked_on", f"{row['checked_on']} is in the future"))
        except ValueError:
            problems.append(("checked_on", f"not a date {row['checked_on']!r} (use YYYY-MM-DD)"))
    authority = row.get("authority", "")
    if authority:
        m = directory.get(authority)
        if m is None:
            problems.append(
                (
                    "authority",
                    f"no mission with id {authority!r} in the directory "
                    "(add it with `plea embassies import`)",
                )
            )
        elif state and m.sending != state:
            problems.append(("authority", f"{authority!r} is a mission of {m.sending}, not of {state}"))
    return problems


def normalise(row: dict[str, str]) -> dict[str, str]:
    from plea.text import clean

    values = {c: clean(row.get(c) or "").strip() for c in COLUMNS}
    values["state"] = values["state"].upper()
    values["protection"] = values["protection"].lower()
    values["channel"] = values["channel"].lower()
    return values


def _directory(session: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from plea.db import tables as T

    return {r.id: r for r in session.connection().execute(select(T.mission.c.id, T.mission.c.sending))}


def parse_rows(
    session: Any, header: list[str], rows: list[tuple[int, dict[str, str]]], name: str, *, today: date
) -> list[dict[str, str]]:
    """Routes from (line, row) pairs; InvalidInput listing every problem as FILE:LINE: column: problem."""
    header = [h.strip() for h in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        what = (
            (f"unknown column(s) {', '.join(unknown)}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing column(s) {', '.join(missing)}" if missing else "")
        )
        raise InvalidInput(
            f"{name}:1: header: {what}; the columns are {','.join(COLUMNS)}; nothing was imported"
        )
    directory = _directory(session)
    out: list[dict[str, str]] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        row = normalise(raw)
        bad = check_row(row, today=today, directory=directory)
        key = (row["state"], row["protection"])
        if key in seen:
            bad.append(
                (
                    "protection",
                    f"a second route for {row['state']} {row['protection']} (first on line {seen[key]})",
                )
            )
        seen.setdefault(key, line)
        problems += [f"{name}:{line}: {column}: {what}" for column, what in bad]
        out.append(row)
    if problems:
        raise InvalidInput(f"{name}: {len(problems)} problem(s); nothing was imported", problems=problems)
    return out


def _find(session: Any, state: str, protection: str) -> Any:
    from sqlmodel import select

    from plea.db.models import Route

    return session.exec(select(Route).where(Route.state == state, Route.protection == protection)).first()


def upsert(
    session: Any, values: dict[str, str], *, actor: str, kind: str = "route.added"
) -> tuple[Any, bool]:
    """Add the route, or replace the one for the same state and protection; (route, added)."""
    from plea.db.models import Route
    from plea.history import record

    row = _find(session, values["state"], values["protection"])
    added = row is None
    if row is None:
        row = Route(
            state=values["state"],
            protection=values["protection"],
            source_url="",
            checked_on=date.fromisoformat(values["checked_on"]),
        )
    for column in COLUMNS:
        setattr(row, column, date.fromisoformat(values[column]) if column == "checked_on" else values[column])
    session.add(row)
    session.flush()
    record(
        session,
        kind if added else "route.edited",
        actor=actor,
        subject=f"route:{row.id}",
        data={
            "state": row.state,
            "protection": row.protection,
            "authority": row.authority,
            "source": row.source_url,
        },
    )
    return row, added


def add(session: Any, values: dict[str, str], *, actor: str, today: date, replace: bool = False) -> Any:
    """One route from options; InvalidInput naming each bad option; Conflict if one exists (unless
    replace)."""
    from plea.errors import Conflict

    values = normalise(values)
    bad = check_row(values, today=today, directory=_directory(session))
    if bad:
        raise InvalidInput(
            "the route was not added:",
            problems=[f"--{column.replace('_', '-')}: {what}" for column, what in bad],
        )
    if not replace and _find(session, values["state"], values["protection"]) is not None:
        raise Conflict(
            f"a route for {values['state']} {values['protection']} exists",
            hint="change it with `plea routes edit`",
        )
    return upsert(session, values, actor=actor)[0]


def edit(
    session: Any, state: str, protection: str, changes: dict[str, str], *, actor: str, today: date
) -> Any:
    row = get(session, state, protection)
    if not changes:
        raise InvalidInput(
            "nothing to change", hint="give at least one option, e.g. --channel or --checked-on"
        )
    values = route_dict(row) | changes
    return add(session, values, actor=actor, today=today, replace=True)


def get(session: Any, state: str, protection: str) -> Any:
    row = _find(session, state, protection)
    if row is None:
        raise NotFound(f"no route for {state} {protection}", hint="list them with `plea routes list`")
    return row


def remove(session: Any, state: str, protection: str, *, actor: str) -> None:
    from plea.history import record

    row = get(session, state, protection)
    record(
        session,
        "route.removed",
        actor=actor,
        subject=f"route:{row.id}",
        data={"state": row.state, "protection": row.protection},
    )
    session.delete(row)


def import_file(session: Any, path: Path, *, actor: str, today: date) -> tuple[int, int]:
    """Routes from a CSV (the columns of data/routes.csv); any bad row imports nothing. (added, replaced)."""
    from plea.csvio import read_sheet

    sheet = read_sheet(path)
    rows = parse_rows(session, sheet.header, sheet.rows, str(path), today=today)
    added = sum(upsert(session, r, actor=actor)[1] for r in rows)
    return added, len(rows) - added


def shipped_csv() -> Path:
    from plea.resources import data_dir

    return data_dir() / "routes.csv"


def route_dict(r: Any) -> dict[str, str]:
    return {c: (getattr(r, c).isoformat() if c == "checked_on" else getattr(r, c)) for c in COLUMNS}


def list_routes(conn: Any, state: str | None = None) -> list[Any]:
    from sqlalchemy import select

    from plea.db import tables as T

    q = select(T.route).order_by(T.route.c.state, T.route.c.protection)
    if state:
        q = q.where(T.route.c.state == state)
    return list(conn.execute(q))


def export_csv(rows: list[Any]) -> str:
    from plea.csvio import write_csv

    return write_csv(list(COLUMNS), [route_dict(r) for r in rows])


# -- what letters plan shows ---------------------------------------------------------------------


def for_recipients(
    session: Any, states_: list[str], protection: str, *, today: date, max_age: int
) -> dict[str, dict[str, Any]]:
    """state → the route for the case's protection, as shown by `letters plan` (with `stale`)."""
    from sqlalchemy import select

    from plea.db import tables as T

    c = T.route.c
    rows = session.connection().execute(
        select(T.route).where(c.protection == protection, c.state.in_(states_))
    )
    out = {}
    for r in rows:
        d: dict[str, Any] = route_dict(r)
        d["stale"] = (today - r.checked_on).days > max_age
        out[r.state] = d
    return out


def explain(route: dict[str, Any]) -> str:
    """The route in the words of the "why" column."""
    who = route["authority"] or "an authority not in the directory"
    via = f" by {route['channel']}" if route["channel"] else ""
    page = f", {route['url']}" if route["url"] else ""
    source = "" if route["source_url"] == route["url"] else f"source {route['source_url']}, "
    return (
        f"route: {route['protection']} is decided by {who}{via}{page} ({source}checked {route['checked_on']})"
    )


def referrals(session: Any, case: Any) -> dict[str, tuple[Any, Any]]:
    """state → (authority mission, response) where the state's latest answer referred the case to it."""
    return referrals_of(session, [case.id]).get(case.id, {})


def referrals_of(session: Any, case_ids: list[int]) -> dict[int, dict[str, tuple[Any, Any]]]:
    """referrals() for many cases, in a query per 500 of them: case id → state → (authority, response)."""
    from sqlmodel import col, select

    from plea.db.models import Mission, Response

    latest: dict[tuple[int, str], Any] = {}
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 500):
        for r in session.exec(
            select(Response).where(col(Response.case_id).in_(ids[start : start + 500]))
            .order_by(col(Response.on), col(Response.id))
        ):
            latest[(r.case_id, r.state)] = r
    out: dict[int, dict[str, tuple[Any, Any]]] = {}
    for (case_id, state), r in latest.items():
        if r.outcome == "referred" and r.referred_to:
            m = session.get(Mission, r.referred_to)
            if m is not None:
                out.setdefault(case_id, {})[state] = (m, r)
    return out


def check_referral(session: Any, state: str, outcome: str, authority: str | None) -> str | None:
    """The authority id for `responses log --to-authority`, checked: outcome referred, a mission of
    that state."""
    if authority is None:
        return None
    from plea.db.models import Mission

    if outcome != "referred":
        raise InvalidInput("--to-authority goes with --outcome referred")
    m = session.get(Mission, authority)
    if m is None:
        raise NotFound(
            f"--to-authority: no mission with id {authority!r}",
            hint="add the authority with `plea embassies import` (kind foreign-ministry, "
            "interior-ministry or migration-authority); find ids with `plea embassies list`",
        )
    if m.sending != state:
        raise InvalidInput(f"--to-authority: {authority!r} is a mission of {m.sending}, not of {state}")
    return str(m.id)
