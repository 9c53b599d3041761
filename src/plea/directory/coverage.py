"""Coverage: for every UN member state, whether a mission receives letters in a host state, and
which channels (email, address, website, phone) it has."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from plea import states
from plea.directory.missions import pick_missions
from plea.directory.gaps import reaches
from plea.directory.queries import HAS


def coverage(session: Session, host: str) -> dict[str, Any]:
    picked = pick_missions(session, host)
    rows = []
    totals = {"resident": 0, "accredited": 0, "none": 0, "email": 0, "address": 0, "website": 0, "phone": 0}
    for code, nm in sorted(states.un_members().items(), key=lambda kv: kv[1]):
        if code == host:
            continue
        mission, how = picked.get(code, (None, "none"))
        totals[how] += 1
        row: dict[str, Any] = {"state": code, "name": nm, "mission": how,
                               "mission_id": mission.id if mission else None,
                               "city": mission.city if mission else ""}
        for key in HAS:
            has = bool(mission and reaches(mission, key))
            row[key] = has
            totals[key] += has
        rows.append(row)
    return {"host": host, "states": len(rows), "totals": totals, "rows": rows}
