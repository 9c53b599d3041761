"""Reading the embassy directory: the columns, what a person edited, closed missions, and the
list of missions, on Core rows (plea.db.tables) without the ORM or the model classes, so
`plea embassies list` starts fast. The rest of plea.directory does the writing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from plea import states
from plea.db import tables as T
from plea.errors import InvalidInput

MISSION_KINDS = (
    "embassy",
    "high-commission",
    "nunciature",
    "consulate-general",
    "consulate",
    "honorary-consulate",
    "permanent-mission",
    "foreign-ministry",
    "interior-ministry",
    "migration-authority",
    "other",
)
#: authorities of a state in that state (host = sending): they decide, they are not embassies, so they never
#: count as a resident mission (pick_missions, coverage); letters reach them by a route or a referral
AUTHORITY_KINDS = ("foreign-ministry", "interior-ministry", "migration-authority")
RESIDENT_KINDS = ("embassy", "high-commission", "nunciature")

#: the columns of data/embassies.csv and of `plea embassies export --csv`
COLUMNS = [
    "id", "sending", "host", "city", "kind", "name", "street_address", "postcode", "area", "email", "phone",
    "website", "web_form", "latitude", "longitude", "accredited_to", "languages", "source", "source_ref",
    "licence", "retrieved", "verified_on", "verified_by", "notes",
]
EDITABLE = ("city", "kind", "name", "street_address", "postcode", "area", "email", "phone", "website",
            "web_form", "languages", "notes")
#: the extra column of `plea embassies export --verified-only`: the fields a person edited or verified
EDITED = "edited_fields"


# -- what a person said; closed missions -------------------------------------------------------
# Mission.user_fields holds the names of the fields a person edited or verified, and, for a mission
# that Wikidata says has closed (P576/P3999), one token "closed:YYYY-MM-DD" (the closing date, or
# the day a refresh first saw it closed when Wikidata gives none). Imports keep both.

CLOSED = "closed:"


def person_fields(m: Any) -> set[str]:
    """The fields whose values a person gave or checked: no import or refresh overwrites them."""
    return {t for t in m.user_fields.split() if t in EDITABLE}


def closed_on(m: Any) -> date | None:
    for token in m.user_fields.split():
        if token.startswith(CLOSED):
            try:
                return date.fromisoformat(token[len(CLOSED):])
            except ValueError:
                return date.min
    return None


# -- queries -----------------------------------------------------------------------------------

HAS = {"email": "email", "address": "street_address", "website": "website", "phone": "phone"}


def list_missions(conn: Any, *, host: str | None = None, sending: str | None = None,
                  kind: str | None = None, has: list[str] | None = None,
                  verified_only: bool = False) -> list[Any]:
    """Missions as rows of plea.db.tables.mission, by host, sending state's name, kind, city.
    `conn` is a Connection (Database.read_rows) or a Session: anything with .execute."""
    c = T.mission.c
    q = select(T.mission)
    if verified_only:  # rows a person edited or verified; person_fields() below drops the closed: token
        q = q.where(c.verified_on.is_not(None) | (c.user_fields != ""))
    if host:
        q = q.where(c.host == host)
    if sending:
        q = q.where(c.sending == sending)
    if kind:
        if kind not in MISSION_KINDS:
            raise InvalidInput(f"--kind: unknown kind {kind!r}; one of {', '.join(MISSION_KINDS)}")
        q = q.where(c.kind == kind)
    for h in has or []:
        if h not in HAS:
            raise InvalidInput(f"--has: unknown {h!r}; one of {', '.join(HAS)}")
        q = q.where(c[HAS[h]] != "")
    missions = list(conn.execute(q))
    if verified_only:
        missions = [m for m in missions if m.verified_on or person_fields(m)]
    order = {k: i for i, k in enumerate(MISSION_KINDS)}
    missions.sort(key=lambda m: (m.host, states.name(m.sending), order.get(m.kind, 99), m.city, m.id))
    return missions


def unnamed_authority(m: Any) -> bool:
    """An authority (a ministry, a migration office) without a name of its own: its letters would name it
    after its kind and state ("Mission diplomatique de France" for France's Ministry of the Interior)."""
    return m.kind in AUTHORITY_KINDS and not (getattr(m, "name", "") or "").strip()


def authorities(conn: Any) -> list[Any]:
    """The directory's authorities (id, kind, name), by id: a few rows, whatever the directory's size."""
    m = T.mission
    return list(conn.execute(select(m.c.id, m.c.kind, m.c.name).where(m.c.kind.in_(AUTHORITY_KINDS))
                             .order_by(m.c.id)))


def mission_row(m: Any) -> dict[str, Any]:
    row = {c: getattr(m, c) for c in COLUMNS}
    for c in ("latitude", "longitude"):
        row[c] = "" if row[c] is None else repr(row[c])
    row["verified_on"] = m.verified_on.isoformat() if m.verified_on else ""
    closed = closed_on(m)
    row["closed_on"] = closed.isoformat() if closed and closed != date.min else ("?" if closed else "")
    return row
