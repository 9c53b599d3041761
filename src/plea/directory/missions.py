"""One mission: find it by id, mark it closed, and pick, for every sending state, the mission
that receives letters in a host state."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from plea.db.models import Mission
from plea.directory.queries import CLOSED, RESIDENT_KINDS
from plea.errors import NotFound

# -- closed missions (what a person said, and closed_on: plea.directory.queries) ---------------

def set_closed(m: Mission, on: date | None) -> None:
    """Mark a mission closed on `on`, or open again with None."""
    tokens = [t for t in m.user_fields.split() if not t.startswith(CLOSED)]
    if on is not None:
        tokens.append(CLOSED + on.isoformat())
    m.user_fields = " ".join(sorted(tokens))


def _open() -> Any:
    """SQL condition: the mission is not marked closed."""
    return col(Mission.user_fields).not_like(f"%{CLOSED}%")


# -- which mission receives letters (listing missions: plea.directory.queries) ------------------

def get_mission(session: Session, mission_id: str) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(f"no mission with id {mission_id!r}", hint="find ids with `plea embassies list`")
    return mission


def _contact_score(m: Mission) -> int:
    return sum(bool(v) for v in (m.email, m.street_address, m.website, m.phone))


def pick_missions(session: Session, host: str) -> dict[str, tuple[Mission, str]]:
    """For every sending state, the mission that receives letters for `host`: its resident
    mission there (embassy, high commission, nunciature), else a mission elsewhere
    accredited to the host. Value: (mission, "resident" | "accredited")."""
    chosen: dict[str, tuple[Mission, str]] = {}
    resident = session.exec(select(Mission).where(Mission.host == host, col(Mission.kind).in_(RESIDENT_KINDS),
                                                  _open()))
    for m in sorted(resident, key=lambda m: (RESIDENT_KINDS.index(m.kind), -_contact_score(m), m.id)):
        if m.sending != host:
            chosen.setdefault(m.sending, (m, "resident"))
    elsewhere = session.exec(select(Mission).where(col(Mission.accredited_to).contains(host),
                                                   col(Mission.kind).in_(RESIDENT_KINDS), _open()))
    for m in sorted(elsewhere, key=lambda m: (RESIDENT_KINDS.index(m.kind), -_contact_score(m), m.id)):
        if host in m.accredited_to.split() and m.sending != host:
            chosen.setdefault(m.sending, (m, "accredited"))
    return chosen
