"""Where each fact about a mission came from, and when it was last checked.

A field a person edited or verified (Mission.user_fields) comes from that person: the mission's
verification (verified_on, verified_by) if it is not older than the last edit of the field, else
the last edit (`plea embassies edit`, or a merged file of verified corrections), from the history.
Any other field comes from the mission's source (the shipped Wikidata snapshot, or Wikidata itself
after `plea embassies refresh`), checked on its `retrieved` date: a refresh sets it for every
mission Wikidata answered for, and removes contact values Wikidata no longer has.

`stale_contacts` lists the recipients whose contact details (those a letter prints) were last
checked longer ago than `contact_max_age_days` (a setting; 365 by default): `plea letters plan`
warns about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from plea.db.models import Event, Mission
from plea.directory.queries import person_fields
from plea.settings import get_setting

FACTS = ("city", "kind", "name", "street_address", "postcode", "email", "phone", "website", "latitude",
         "longitude", "accredited_to", "languages")
#: the mission fields a letter prints (plea.render.context.MISSION_FIELDS, less ids and codes)
CONTACTS = ("street_address", "postcode", "email", "phone", "website")
MAX_AGE_SETTING = "contact_max_age_days"
DEFAULT_MAX_AGE_DAYS = 365


@dataclass
class Fact:
    field: str
    value: Any
    origin: str  # person | source
    source: str  # for people to read
    checked: date | None  # when it was last checked (None: unknown)
    by: str = ""
    verified: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "origin": self.origin, "source": self.source,
                "checked": self.checked.isoformat() if self.checked else None, "by": self.by,
                "verified": self.verified}


def _retrieved(m: Mission) -> date | None:
    try:
        return date.fromisoformat(m.retrieved[:10])
    except ValueError:
        return None


#: (mission id, field) → (day, actor, how): a person's last edit, or (with how "verified") the
#: last verification of that field in `plea embassies edit`
Edits = dict[tuple[str, str], tuple[date, str, str]]


def _last_edits(session: Session, missions: list[Mission]) -> Edits:
    """(mission id, field) → (day, actor, how) of the last edit by a person, from the history;
    (mission id, "verified:" + field) → the last time `embassies edit` verified that field."""
    wanted = {m.id for m in missions if person_fields(m)}
    out: Edits = {}
    if not wanted:
        return out
    subjects = [f"mission:{i}" for i in wanted]
    q = (select(Event).where(((Event.kind == "mission.edited") & col(Event.subject).in_(subjects))
                             | (Event.kind == "embassies.merged"))
         .order_by(col(Event.id)))
    for e in session.exec(q):
        day = e.at.date()
        if e.kind == "mission.edited":
            mid = e.subject.removeprefix("mission:")
            for name in e.data.get("fields", []):
                out[(mid, name)] = (day, e.actor, "edited")
                out.pop((mid, "verified:" + name), None)  # a later edit undoes an earlier check
            for name in e.data.get("verified_fields", []):
                out[(mid, "verified:" + name)] = out[(mid, "verified:+")] = (day, e.actor, "verified")
        else:
            source = e.subject.removeprefix("file:")
            for mid, info in (e.data.get("missions") or {}).items():
                if mid in wanted:
                    for name in info.get("fields", []):
                        out[(mid, name)] = (day, e.actor, f"merged from {source}")
    return out


def facts(session: Session, m: Mission, *, edits: dict[tuple[str, str], tuple[date, str, str]] | None = None
          ) -> list[Fact]:
    """Every non-empty fact of a mission, with where it came from."""
    edits = _last_edits(session, [m]) if edits is None else edits
    person = person_fields(m)
    source = m.source or "unknown source"
    checked = _retrieved(m)
    out = []
    for name in FACTS:
        value = getattr(m, name)
        if value in ("", None):
            continue
        if name in person:
            edit = edits.get((m.id, name))
            check = _verification(m, name, edits)
            if check and (edit is None or check[0] >= edit[0]):
                out.append(Fact(name, value, "person", f"verified by {check[1] or 'a person'}", check[0],
                                check[1], True))
            elif edit:
                day, who, how = edit
                out.append(Fact(name, value, "person", f"{how} by {who}, not verified since", day, who))
            else:
                out.append(Fact(name, value, "person", "edited by a person (when is not recorded)", None))
        else:
            out.append(Fact(name, value, "source", source + (f" ({m.source_ref})" if m.source_ref else ""),
                            checked))
    return out


def _verification(m: Mission, name: str, edits: Edits) -> tuple[date, str] | None:
    """When and by whom a person field was last verified. `embassies edit` records which fields it
    verified; a verification that came without that list (a merged file of verified corrections,
    an import's verified_on column, or an edit from before fields were listed) covers the mission's
    fields, as the mission's verified_on says."""
    own = edits.get((m.id, "verified:" + name))
    if own:
        return own[0], own[1]
    listed = edits.get((m.id, "verified:+"))  # the last verification that named its fields
    if m.verified_on and (listed is None or m.verified_on > listed[0]):
        return m.verified_on, m.verified_by
    return None


def max_age_days(session: Session) -> int:
    value = get_setting(session, MAX_AGE_SETTING)
    try:
        return int(value) if value else DEFAULT_MAX_AGE_DAYS
    except ValueError:
        return DEFAULT_MAX_AGE_DAYS


def stale_contacts(session: Session, missions: list[Mission], *, today: date,
                   max_age: int | None = None) -> list[dict[str, Any]]:
    """The missions whose printed contact details were last checked more than `max_age` days
    ago (or when is unknown): {mission, sending, fields, checked (the oldest), days}."""
    max_age = max_age_days(session) if max_age is None else max_age
    edits = _last_edits(session, missions)
    out = []
    for m in missions:
        old = [f for f in facts(session, m, edits=edits)
               if f.field in CONTACTS and (f.checked is None or (today - f.checked).days > max_age)]
        if old:
            oldest = min((f.checked for f in old if f.checked), default=None)
            out.append({"mission": m.id, "sending": m.sending, "fields": [f.field for f in old],
                        "checked": oldest.isoformat() if oldest else None,
                        "days": (today - oldest).days if oldest else None})
    return out


def stale_report(session: Session, missions: list[Mission], *, today: date | None = None
                 ) -> tuple[list[dict[str, Any]], int]:
    """(stale_contacts for these missions, the age limit used) for `plea letters plan`."""
    days = max_age_days(session)
    return stale_contacts(session, missions, today=today or date.today(), max_age=days), days


def stale_warning(
    stale: list[dict[str, Any]], max_age: int, *, host: str, recipients: int
) -> tuple[str, str]:
    """The warning about old contact details, as two sentences, each a message of the catalog (the
    caller translates and joins them): what is old, and what to do."""
    from plea import states
    from plea.i18n import N_

    known = [s["checked"] for s in stale if s["checked"]]
    oldest = min(known) if known else None
    # "France (FR): phone, website; Germany (DE): website; +3": the states shown in the interface language
    shown = "; ".join(f"{states.name(s['sending'])} ({s['sending']}): {', '.join(s['fields'])}"
                      for s in stale[:8])
    if len(stale) > 8:
        shown += f"; +{len(stale) - 8}"
    n = len(stale)
    what = (N_(f"warning: {n} of {recipients} recipient(s) have contact details last checked more than "
               f"{max_age} days ago (oldest: {oldest}): {shown}.") if oldest
            else N_(f"warning: {n} of {recipients} recipient(s) have contact details last checked more than "
                    f"{max_age} days ago: {shown}."))
    todo = N_(f"A letter may go to an old address. Check them with `plea embassies show ID` and mark what "
              f"you checked with `plea embassies edit ID … --verified`, or update them with "
              f"`plea embassies refresh --host {host}`. `plea config set contact_max_age_days N` changes the "
              f"limit.")
    return what, todo
