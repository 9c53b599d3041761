"""Editing a mission by hand (`plea embassies edit`): the changed values, the fields a person
verified, with its history event."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from plea.db.models import Mission
from plea.directory.missions import get_mission
from plea.directory.validation import normalise, validate_fields
from plea.errors import InvalidInput
from plea.history import record

#: how `embassies edit` options name the mission's fields (--verified-fields takes these names)
OPTION_FIELDS = {"email": "email", "phone": "phone", "address": "street_address", "postcode": "postcode",
                 "area": "area", "name": "name",
                 "city": "city", "website": "website", "languages": "languages", "kind": "kind"}


def verified_fields(text: str) -> list[str]:
    """The fields `--verified-fields email,address` names (the options' names), as columns."""
    names = [n.strip().lower().removeprefix("--") for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPTION_FIELDS and n not in OPTION_FIELDS.values()]
    if unknown or not names:
        raise InvalidInput(f"--verified-fields: {', '.join(map(repr, unknown)) or 'no field'} is not a field "
                           f"of a mission; name some of: {', '.join(OPTION_FIELDS)}")
    return sorted({OPTION_FIELDS.get(n, n) for n in names})


def edit_mission(session: Session, mission_id: str, changes: dict[str, str], *, verified: bool | list[str],
                 actor: str, today: date) -> Mission:
    """Change a mission's fields; `verified` marks as checked today the fields changed in this
    edit (True) or the fields named (a list of columns), and no other."""
    from plea.text import clean

    mission = get_mission(session, mission_id)
    changes = {k: clean(v).strip() for k, v in changes.items()}
    checked_row = changes | _host_of(mission, changes)
    problems = [f"--{c.replace('_', '-')}: {p}" for c, p in validate_fields(checked_row)]
    if problems:
        raise InvalidInput("nothing was changed:", problems=problems)
    values = {k: v for k, v in normalise(checked_row).items() if k in changes}
    changed = [k for k, v in values.items() if getattr(mission, k) != v]
    checked = sorted(set(verified)) if isinstance(verified, list) else sorted(values) if verified else []
    checked = [c for c in checked if c != "notes"]
    empty = [c for c in checked if not getattr(mission, c) and not values.get(c)]
    if empty:
        raise InvalidInput(f"--verified-fields: {mission.id} has no {', '.join(empty)} to verify",
                           hint="give the value with its option (e.g. --email …) and --verified")
    if verified is True and not checked:
        raise InvalidInput("--verified marks the fields this command edits, and it edits none",
                           hint="name the fields you checked: --verified-fields email,address")
    for k in changed:
        setattr(mission, k, values[k])
    if not changed and not checked:
        raise InvalidInput("nothing to change", hint="give at least one of --email --phone --address "
                                                     "--website --languages --verified-fields")
    mission.user_fields = " ".join(sorted(set(mission.user_fields.split()) | set(changed) | set(checked)))
    if checked:
        mission.verified_on = today
        mission.verified_by = actor
    session.add(mission)
    record(session, "mission.edited", actor=actor, subject=f"mission:{mission.id}",
           data={"fields": sorted(changed), "verified": bool(checked), "verified_fields": checked})
    return mission


def _host_of(mission: Mission, changes: dict[str, str]) -> dict[str, str]:
    """The mission's host, for checking an area edited without it (the area list is the host's)."""
    return {"host": mission.host} if "area" in changes else {}
