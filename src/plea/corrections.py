"""A CSV of corrections to the directory (`plea embassies edit --from-csv FILE`): many
`embassies edit` calls in one file, all checked before any is applied.

Columns: `id` (the mission), and any of the edit options' names (address, postcode, area, city,
email, phone, website, web_form, languages, notes, kind) or the directory's own column names
(street_address). `name` is the state's name, as `embassies gaps --csv` writes it, and changes
nothing: a mission's own name is set with `embassies edit ID --name` or `embassies import`. An
empty cell changes nothing. A `verified` column says, per row, what was checked today: `yes` (the
fields this row gives), a list of fields (`email,address`), or empty. Every problem is reported
as FILE:LINE: column: problem, and then nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from pathlib import Path

from sqlmodel import Session

from plea.db.models import Mission
from plea.errors import InvalidInput

YES = {"yes", "y", "true", "1", "x", "✓"}
#: columns `embassies gaps --csv` writes for the person filling them in, which change nothing
INFORMATIVE = ("state", "name", "lacks", "look_it_up_on")
#: what each need of `embassies gaps` asks to fill in
NEED_FIELDS = {"email": ["email"], "phone": ["phone"], "address": ["address", "postcode", "area", "city"]}
NO = {"", "no", "n", "false", "0"}


@dataclass
class Corrected:
    changed: list[str] = field(default_factory=list)  # mission ids edited or verified
    unchanged: int = 0


def _columns() -> dict[str, str]:
    """Header name → the mission's column: the edit options' names and the columns themselves."""
    from plea.directory.editing import OPTION_FIELDS
    from plea.directory.queries import EDITABLE

    names = {name: column for name, column in OPTION_FIELDS.items()}
    names.update({column: column for column in EDITABLE})
    names["web-form"] = "web_form"
    # the sheet's `name` is the state's (INFORMATIVE); a mission's own name is given with `embassies edit ID
    # --name` or `embassies import`
    return {k: v for k, v in names.items() if k not in INFORMATIVE}


def _verified(value: str, given: list[str]) -> bool | list[str] | str:
    """The row's `verified` cell: True/False, a list of columns, or a problem (str)."""
    from plea.directory.editing import verified_fields

    v = value.strip().lower()
    if v in YES:
        return True if given else "yes, but this row gives no value to verify"
    if v in NO:
        return False
    try:
        return verified_fields(value)
    except InvalidInput as exc:
        return exc.message.removeprefix("--verified-fields: ")


def read(session: Session, path: Path) -> list[tuple[int, str, dict[str, str], bool | list[str]]]:
    """The file's rows as (line, mission id, changes, verified); InvalidInput listing every problem."""
    from plea.csvio import read_sheet
    from plea.directory.validation import validate_fields

    sheet = read_sheet(path)
    names = _columns()
    header = [h.strip().lower() for h in sheet.header]
    unknown = [h for h in header if h not in names and h not in ("id", "verified", *INFORMATIVE)]
    if "id" not in header or unknown:
        hints = []
        for h in unknown:
            close = get_close_matches(h, list(names), n=1)
            hints.append(f"{h!r}" + (f" (did you mean {close[0]}?)" if close else ""))
        what = f"unknown column(s) {', '.join(hints)}" if unknown else "no id column"
        raise InvalidInput(
            f"{path}:1: header: {what}; the columns are id, verified and any of {', '.join(sorted(names))}",
            hint="nothing was changed",
        )
    problems: list[str] = []
    out = []
    seen: dict[str, int] = {}
    for line, raw in sheet.rows:
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        mid = row.get("id", "")
        mission = session.get(Mission, mid) if mid else None
        if mission is None:
            problems.append(f"{path}:{line}: id: " + (f"no mission {mid!r}" if mid else "empty"))
            continue
        if mid in seen:
            problems.append(f"{path}:{line}: id: {mid} is corrected twice (also on line {seen[mid]})")
            continue
        seen[mid] = line
        changes = {names[k]: v for k, v in row.items() if k in names and v}
        for column, problem in validate_fields(changes | {"host": mission.host}):
            problems.append(f"{path}:{line}: {column}: {problem}")
        verified = _verified(row.get("verified", ""), list(changes))
        if isinstance(verified, str):
            problems.append(f"{path}:{line}: verified: {verified}")
            continue
        out.append((line, mid, changes, verified))
    if problems:
        raise InvalidInput(
            f"{path}: {len(problems)} problem(s); nothing was changed",
            problems=problems,
            hint="fix these lines and run the command again",
        )
    return out


def template(session: Session, report: dict) -> str:
    """`embassies gaps --csv`: a row per mission that lacks a channel, with its current values of the
    fields to give (address, postcode, area, city for an address), to fill in and read back."""
    from plea.csvio import write_csv
    from plea.directory.editing import OPTION_FIELDS

    fields = list(dict.fromkeys(f for need in report["need"] for f in NEED_FIELDS[need]))
    rows = []
    for r in report["rows"]:
        mission = session.get(Mission, r["mission_id"]) if r["mission_id"] else None
        if mission is None:
            continue
        row = {
            "id": mission.id,
            "state": r["state"],
            "name": r["name"],
            "lacks": " ".join(r["lacks"]),
            "look_it_up_on": r["website"] or r["source_ref"],
            "verified": "",
        }
        row.update({f: getattr(mission, OPTION_FIELDS[f]) for f in fields})
        rows.append(row)
    return write_csv(["id", "state", "name", "lacks", "look_it_up_on", *fields, "verified"], rows)


def apply(session: Session, path: Path, *, verified: bool, actor: str, today: date) -> Corrected:
    """Every row of the file as an `embassies edit`, in the caller's transaction (all or nothing)."""
    from plea.directory.editing import edit_mission

    result = Corrected()
    problems = []
    for line, mid, changes, row_verified in read(session, path):
        checked = row_verified if row_verified is not False else verified
        mission = session.get(Mission, mid)
        assert mission is not None
        differs = any(getattr(mission, k) != v for k, v in changes.items())
        if not differs and not checked:
            result.unchanged += 1
            continue
        try:
            edit_mission(session, mid, changes, verified=checked, actor=actor, today=today)
        except InvalidInput as exc:
            if exc.message == "nothing to change":  # the same value, written differently (DC, d.c.)
                result.unchanged += 1
            else:
                problems.append(f"{path}:{line}: {exc.message}")
            continue
        result.changed.append(mid)
    if problems:
        raise InvalidInput(f"{path}: {len(problems)} problem(s); nothing was changed", problems=problems)
    return result
