"""The embassy directory: validate and import CSV files, edit, pick the mission that
receives a letter, measure coverage against the 193 UN member states, and list what is
missing (gaps). Refreshing from Wikidata is plea.refresh; verified corrections that travel
between caseworkers, plea.pooling; where each fact came from, plea.provenance."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from plea import states
from plea.csvio import read_sheet, write_csv
from plea.db.models import Mission
from plea.directory import (  # noqa: F401  (re-exported: plea.embassies is where callers look)
    AUTHORITY_KINDS,
    CLOSED,
    COLUMNS,
    EDITABLE,
    EDITED,
    HAS,
    MISSION_KINDS,
    RESIDENT_KINDS,
    closed_on,
    list_missions,
    mission_row,
    person_fields,
)
from plea.errors import InvalidInput, NotFound
from plea.history import record
from plea.resources import data_dir

REQUIRED = ("id", "sending", "host")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_edits: int = 0  # rows where a person's edits were kept over the file's values
    older: int = 0  # rows retrieved from their source before what the directory has (e.g. by a refresh)
    changes: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, changed fields)

    def summary(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        if self.kept_edits:
            text += f", {self.kept_edits} with your edits kept"
        if self.older:
            text += f", {self.older} older than yours (kept yours)"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "kept_edits": self.kept_edits}
        if self.older:
            data["older"] = self.older
        return data


# -- validation -------------------------------------------------------------------------------

def _state_problem(value: str) -> str | None:
    if states.is_code(value):
        return None
    close = states.suggest(value)
    return f"unknown ISO 3166 code {value!r}" + (f" (did you mean {' or '.join(close)}?)" if close else "")


def _valid_language(code: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code)
        return True
    except (UnknownLocaleError, ValueError):
        return False


def check_email(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
        return None
    except EmailNotValidError as exc:
        return f"not a valid email address {value!r}: {exc}"


def check_url(value: str) -> str | None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        return f"not a valid web address {value!r} (it should start with https:// or http://)"
    return None


def validate_fields(row: dict[str, str]) -> list[tuple[str, str]]:
    """(column, problem) for every bad value in one mission row; empty values are fine
    except the required ones."""
    problems: list[tuple[str, str]] = []
    for column in REQUIRED:
        if column in row and not row[column]:
            problems.append((column, "missing value"))
    if row.get("id") and not _ID.match(row["id"]):
        problems.append(("id", f"not a usable id {row['id']!r} (letters, digits, . _ : - ; at most 64)"))
    for column in ("sending", "host"):
        if row.get(column) and (p := _state_problem(row[column])):
            problems.append((column, p))
    if row.get("kind") and row["kind"] not in MISSION_KINDS:
        close = get_close_matches(row["kind"].lower().replace(" ", "-"), MISSION_KINDS, n=1)
        problems.append(("kind", f"unknown kind {row['kind']!r}"
                         + (f" (did you mean {close[0]}?)" if close
                            else f"; one of {', '.join(MISSION_KINDS)}")))
    if row.get("kind") in AUTHORITY_KINDS and row.get("sending") and row.get("host") \
            and row["sending"].upper() != row["host"].upper():
        problems.append(("host", f"a {row['kind']} is in its own state: host should be {row['sending'].upper()}"))
    if row.get("email") and (p := check_email(row["email"])):
        problems.append(("email", p))
    if row.get("area") and row.get("host") and (p := _area_problem(row["host"], row["area"])):
        problems.append(("area", p))
    for column in ("website", "web_form"):
        if row.get(column) and (p := check_url(row[column])):
            problems.append((column, p))
    for column, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if row.get(column):
            try:
                if abs(float(row[column])) > bound:
                    raise ValueError
            except ValueError:
                problems.append((column, f"not a {column} {row[column]!r} "
                                         f"(a number from -{bound:g} to {bound:g})"))
    for code in (row.get("accredited_to") or "").split():
        if p := _state_problem(code):
            problems.append(("accredited_to", p))
    for code in (row.get("languages") or "").replace(",", " ").split():
        if not _valid_language(code):
            problems.append(("languages", f"unknown language code {code!r} (use codes such as fr, en, ar)"))
    if row.get("verified_on"):
        try:
            date.fromisoformat(row["verified_on"])
        except ValueError:
            problems.append(("verified_on", f"not a date {row['verified_on']!r} (use YYYY-MM-DD)"))
    for name in (row.get(EDITED) or "").split():
        if name not in EDITABLE:
            problems.append((EDITED, f"not an editable field {name!r}; one of {', '.join(EDITABLE)}"))
    return problems


def _area_problem(host: str, area: str) -> str | None:
    """An area the host's postal format does not know (where it lists its areas): a typo to catch."""
    from plea.postal import area_key, rules

    choices = rules(host.upper()).areas
    if not choices or area_key(host.upper(), area):
        return None
    close = get_close_matches(area, [name for _, name in choices] + [key for key, _ in choices], n=1)
    return f"unknown area {area!r} for {host.upper()}" + (f" (did you mean {close[0]}?)" if close else "")


def _normalise(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if EDITED in row:
        values[EDITED] = " ".join(sorted(set(row[EDITED].split())))
    for column in COLUMNS:
        if column not in row:
            continue
        v = row[column]
        if column in ("sending", "host"):
            v = v.upper()
        elif column == "accredited_to":
            v = " ".join(dict.fromkeys(c.upper() for c in v.split()))
        elif column == "languages":
            v = " ".join(dict.fromkeys(c.lower() for c in v.replace(",", " ").split()))
        elif column == "email":
            v = v.removeprefix("mailto:")
        elif column == "area" and row.get("host"):
            from plea.postal import area_key

            v = area_key(row["host"].upper(), v) or v  # "District of Columbia", "d.c." → DC
        if column in ("latitude", "longitude"):
            values[column] = float(v) if v else None
        elif column == "verified_on":
            values[column] = date.fromisoformat(v) if v else None
        else:
            values[column] = v
    return values


def parse_file(path: Path, *, encoding: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Read and validate a whole file; InvalidInput listing every problem, or the rows."""
    sheet = read_sheet(path, encoding=encoding)
    problems: list[str] = []
    unknown = [h for h in sheet.header if h not in COLUMNS and h != EDITED]
    missing = [c for c in REQUIRED if c not in sheet.header]
    if unknown:
        hints = []
        for h in unknown:
            close = get_close_matches(h, COLUMNS, n=1)
            hints.append(f"{h!r}" + (f" (did you mean {close[0]}?)" if close else ""))
        problems.append(f"{path}:1: header: unknown column(s) {', '.join(hints)}; "
                        f"columns are: {', '.join(COLUMNS)}")
    if missing:
        problems.append(f"{path}:1: header: missing column(s) {', '.join(missing)}")
    if problems:
        raise InvalidInput(f"{path}: the header is wrong; nothing was imported", problems=problems)
    seen: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, raw in sheet.rows:
        for column, problem in validate_fields(raw):
            problems.append(f"{path}:{line}: {column}: {problem}")
        mid = raw.get("id", "")
        if mid in seen:
            problems.append(f"{path}:{line}: id: duplicate id {mid!r} (first on line {seen[mid]})")
        elif mid:
            seen[mid] = line
        rows.append((line, raw))
    if problems:
        raise InvalidInput(f"{path}: {len(problems)} problem(s); nothing was imported", problems=problems,
                           hint="fix these lines and import again")
    return [(line, _normalise(raw)) for line, raw in rows]


# -- import ------------------------------------------------------------------------------------

def import_rows(session: Session, rows: list[dict[str, Any]]) -> ImportResult:
    """Upsert by id. A field a person edited is kept unless the incoming row carries a
    newer verification."""
    result = ImportResult()
    existing = {m.id: m for m in session.exec(select(Mission))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for values in rows:
        current = existing.get(values["id"])
        if current is None:
            inserts.append({c: values.get(c, None if c in ("latitude", "longitude", "verified_on") else "")
                            for c in COLUMNS} | {"user_fields": ""})
            result.added += 1
            continue
        protected = set(current.user_fields.split())
        newer = values.get("verified_on") is not None and (
            current.verified_on is None or values["verified_on"] > current.verified_on)
        if not newer and _older(values, current):
            # e.g. the shipped 2022 snapshot after `plea embassies refresh`: keep the newer copy
            result.older += 1
            continue
        changed: dict[str, Any] = {}
        kept = False
        for column, value in values.items():
            if column == "id" or getattr(current, column) == value:
                continue
            if (column in protected or column in ("verified_on", "verified_by")) and not newer:
                kept = kept or column in protected
                continue
            changed[column] = value
        if kept:
            result.kept_edits += 1
        if changed:
            if newer:
                changed["user_fields"] = " ".join(sorted(protected | set(changed) & set(EDITABLE)))
            updates.append({"b_id": current.id, **changed})
            result.updated += 1
            result.changes.append((current.id, sorted(changed)))
        else:
            result.unchanged += 1
    if inserts:
        session.execute(insert(Mission), inserts)
    for row in updates:
        mid = row.pop("b_id")
        # Core table, not the ORM entity: no synchronisation with the thousands of loaded objects
        table = Mission.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.id == mid).values(**row))
    return result


def _older(values: dict[str, Any], current: Mission) -> bool:
    """Whether an incoming row is an older copy from Wikidata than the stored one: both from
    Wikidata, the incoming one retrieved before (ISO dates)."""
    incoming_source = values.get("source", current.source)
    if not (incoming_source.startswith("Wikidata") and current.source.startswith("Wikidata")):
        return False
    try:
        return date.fromisoformat(values.get("retrieved") or "") < date.fromisoformat(current.retrieved)
    except ValueError:
        return False


def import_file(session: Session, path: Path, *, actor: str, dry_run: bool = False,
                event: str = "embassies.imported", encoding: str | None = None) -> ImportResult:
    """Import a CSV file. A file written by `export --verified-only` (it has an edited_fields
    column) is merged instead: see plea.pooling."""
    rows = parse_file(path, encoding=encoding)
    if rows and EDITED in rows[0][1]:
        raise InvalidInput(f"{path}: a file of verified corrections (it has an edited_fields column)",
                           hint="merge it with plea.pooling.merge_file, as `plea embassies import` does")
    result = import_rows(session, [r for _, r in rows])
    if dry_run:
        session.rollback()
        return result
    if result.added or result.updated:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        record(session, event, actor=actor, subject=f"file:{Path(path).name}",
               data={"sha256": digest, **result.as_dict()})
    return result


def shipped_csv() -> Path:
    return data_dir() / "embassies.csv"


def load_shipped(session: Session, *, actor: str) -> ImportResult:
    return import_file(session, shipped_csv(), actor=actor, event="embassies.loaded")


# -- closed missions (what a person said, and closed_on: plea.directory) -----------------------

def set_closed(m: Mission, on: date | None) -> None:
    """Mark a mission closed on `on`, or open again with None."""
    tokens = [t for t in m.user_fields.split() if not t.startswith(CLOSED)]
    if on is not None:
        tokens.append(CLOSED + on.isoformat())
    m.user_fields = " ".join(sorted(tokens))


def _open() -> Any:
    """SQL condition: the mission is not marked closed."""
    return col(Mission.user_fields).not_like(f"%{CLOSED}%")


# -- queries (list_missions: plea.directory) ---------------------------------------------------

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


# -- gaps --------------------------------------------------------------------------------------

NEEDS = {"email": "email", "address": "street_address", "phone": "phone"}


def reaches(mission: Any, channel: str) -> bool:
    """Whether a mission can be reached by a channel: "address" is a postal address in the host's
    format (street, and the city, postcode and region it requires: plea.postal), the others a value."""
    if channel == "address":
        from plea.postal import has_postal_address

        return has_postal_address(mission)
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


# -- edit and export ---------------------------------------------------------------------------

#: how `embassies edit` options name the mission's fields (--verified-fields takes these names)
OPTION_FIELDS = {"email": "email", "phone": "phone", "address": "street_address", "postcode": "postcode",
                 "area": "area", "city": "city", "website": "website", "languages": "languages",
                 "kind": "kind"}


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
    values = {k: v for k, v in _normalise(checked_row).items() if k in changes}
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


def export_csv(missions: list[Mission], *, verified: bool = False, organisation: str = "") -> str:
    """The directory as CSV; with verified=True, the columns of `export --verified-only`: the
    edited_fields column says which values a person gave or checked, and verified_by names the
    organisation (the `organisation` setting), never the person's login."""
    if not verified:
        return write_csv(COLUMNS, [mission_row(m) for m in missions])
    rows = [mission_row(m) | {EDITED: " ".join(sorted(person_fields(m))),
                              "verified_by": organisation if m.verified_on else ""} for m in missions]
    return write_csv([*COLUMNS, EDITED], rows)
