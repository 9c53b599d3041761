"""Gaps: the UN member states whose mission in a host state lacks a channel, those the user's open
cases wrote to first, with the website to look the missing details up on."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from plea import states
from plea.db.models import Mission
from plea.directory.missions import pick_missions
from plea.errors import InvalidInput

NEEDS = {"email": "email", "address": "street_address", "phone": "phone"}


def reaches(mission: Any, channel: str) -> bool:
    """Whether a mission can be reached by a channel: "address" is a postal address in the host's
    format (street, and the city, postcode and region it requires: plea.postal), the others a value."""
    if channel == "address":
        from plea.postal import has_postal_address

        return has_postal_address(mission)
    from plea.directory.queries import HAS

    return bool(getattr(mission, HAS.get(channel) or NEEDS[channel]))


def written_to(session: Session) -> dict[str, int]:
    """Sending state → how many open cases have a letter marked sent to one of its missions."""
    from sqlalchemy import distinct, func

    from plea.db.models import Case, Letter, LetterEvent

    q = (select(Mission.sending, func.count(distinct(Letter.case_id)))
         .join(Letter, col(Letter.mission_id) == Mission.id)
         .join(LetterEvent, col(LetterEvent.letter_id) == Letter.id)
         .join(Case, col(Case.id) == Letter.case_id)
         .where(LetterEvent.status == "sent", Case.status == "open")
         .group_by(Mission.sending))
    return {state: n for state, n in session.exec(q)}


def gaps(session: Session, host: str, need: list[str] | None = None) -> dict[str, Any]:
    """Every UN member state whose mission for `host` lacks a needed channel (all of email,
    address, phone unless `need` names some), with the website to look it up on. States the
    user's open cases wrote to come first (most cases first), then by name."""
    need = list(dict.fromkeys(need or NEEDS))
    for n in need:
        if n not in NEEDS:
            raise InvalidInput(f"--need: unknown {n!r}; one of {', '.join(NEEDS)}")
    picked = pick_missions(session, host)
    written = written_to(session)
    rows = []
    for code, nm in states.un_members().items():
        if code == host:
            continue
        mission, how = picked.get(code, (None, "none"))
        lacks = [n for n in need if not (mission and reaches(mission, n))]
        if not lacks:
            continue
        rows.append({"state": code, "name": nm, "written_to": written.get(code, 0), "lacks": lacks,
                     "mission": how, "mission_id": mission.id if mission else None,
                     "city": mission.city if mission else "", "website": mission.website if mission else "",
                     "source_ref": mission.source_ref if mission else ""})
    rows.sort(key=lambda r: (-r["written_to"], r["name"]))
    return {"host": host, "need": need, "states": len(rows),
            "written_to": sum(1 for r in rows if r["written_to"]), "rows": rows}
