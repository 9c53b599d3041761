"""Clients from a spreadsheet and back: `plea cases import FILE` and `plea cases export`.

Import reads CSV as Excel and LibreOffice save it (plea.csvio: UTF-8, UTF-16 or a code page
such as cp1251 told apart by what the names look like; `,` `;` or tab; dates such as 30.11.1985
where day and month are plain) and is all or nothing: every problem of every row is listed as
`FILE:LINE: column: problem`, and then nothing is imported.

- A row with a `ref` of an existing case updates that case; with a new ref (PLEA-YYYY-NNNN),
  creates the case under it (moving clients between databases keeps their references).
- A row without a ref updates the one case with the same name and date of birth (or the same
  name and no date of birth on both) if there is one, so importing the same sheet twice adds
  no one; else it creates a case.
- Only the columns in the file are touched; an empty cell clears its field (the name stays
  required).
- Lists in one cell: authority_ids as `LABEL=NUMBER | LABEL=NUMBER`, family as
  `NAME;RELATION;BIRTH-DATE | …` (the format of `plea cases add --id/--family`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea.cases import (
    FIELDS,
    REF_PREFIX,
    STATUSES,
    case_dict,
    edit_case,
    family_item,
    id_item,
    list_cases,
    next_ref,
    normalise,
    set_status,
)
from plea.cases_sheet_extras import CONSENT_COLUMNS, ConsentCells, is_extra
from plea.csvio import SheetOptions, iso_date, read_sheet, write_csv
from plea.db.models import Case
from plea.errors import InvalidInput
from plea.history import Change, record_many

#: the columns of `plea cases export --csv` and `plea cases import`; besides these, persecution_<lang>
#: (a translation of the story) and the consent columns (plea.cases_sheet_extras)
COLUMNS = ["ref", "status", *FIELDS]
#: other headings people use for the same columns
ALIASES = {
    "name": "name_latin",
    "full_name": "name_latin",
    "native_name": "name_native",
    "born": "birth_date",
    "date_of_birth": "birth_date",
    "country": "current_country",
    "rep_org": "rep_organisation",
    "ids": "authority_ids",
    "story": "persecution",
    "reference": "ref",
    "email": "applicant_email",
    "phone": "applicant_phone",
    "address": "applicant_address",
}
#: columns holding names, for telling code pages apart (plea.csvio.Roles)
_NAME_ROLES = {"name_latin": "latin", "name_native": "name", "rep_name": "name"}
_REF = re.compile(r"^PLEA-\d{4}-\d{4,}$")
LIST_SEP = "|"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


# -- cells ⇄ values -----------------------------------------------------------------------------------


def _items(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEP) if part.strip()]


def parse_ids(cell: str) -> list[dict[str, str]]:
    if cell.lstrip().startswith("["):
        return _json_list(cell, ("label", "number"))
    out = []
    for item in _items(cell):
        parsed = id_item(item)
        if parsed is None:
            raise ValueError(f"{item!r} should be LABEL=NUMBER (several separated by |)")
        out.append(parsed)
    return out


def parse_family(cell: str) -> list[dict[str, str]]:
    if cell.lstrip().startswith("["):
        return _json_list(cell, ("name", "relation", "birth_date"))
    out = []
    for item in _items(cell):
        parsed = family_item(item)
        if parsed is None:
            raise ValueError(f"{item!r} should be NAME;RELATION;BIRTH-DATE (several separated by |)")
        out.append(parsed)
    return out


def _json_list(cell: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        data = json.loads(cell)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError("JSON here must be a list of objects")
    return [{k: str(d.get(k, "") or "") for k in keys} for d in data]


def format_ids(ids: list[dict[str, str]]) -> str:
    return f" {LIST_SEP} ".join(f"{d.get('label', '')}={d.get('number', '')}" for d in ids or [])


def format_family(family: list[dict[str, str]]) -> str:
    return f" {LIST_SEP} ".join(
        ";".join([m.get("name", ""), m.get("relation", ""), m.get("birth_date", "")]).rstrip(";")
        for m in family or []
    )


# -- import ------------------------------------------------------------------------------------------------


def _column(heading: str) -> str | None:
    key = heading.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in COLUMNS or is_extra(key) else ALIASES.get(key)


def _header(path: Path, header: list[str]) -> dict[str, str]:
    """Heading in the file → column; InvalidInput naming every unknown or repeated heading."""
    mapping: dict[str, str] = {}
    problems = []
    for h in header:
        key = h.strip().lower().replace(" ", "_").replace("-", "_")
        column = _column(h)
        if column is None:
            close = get_close_matches(key, COLUMNS, n=1)
            problems.append(
                f"{path}:1: header: unknown column {h!r}"
                + (f" (did you mean {close[0]}?)" if close else "")
                + f"; columns are: {', '.join(COLUMNS)}, persecution_<lang>, {', '.join(CONSENT_COLUMNS)}"
            )
        elif column in mapping.values():
            problems.append(f"{path}:1: header: column {column} appears twice")
        else:
            mapping[h] = column
    if "name_latin" not in mapping.values() and "ref" not in mapping.values():
        problems.append(
            f"{path}:1: header: a name_latin column (new clients) or a ref column (updates) is needed"
        )
    if problems:
        raise InvalidInput(f"{path}: the header is wrong; nothing was imported", problems=problems)
    return mapping


@dataclass
class _Row:
    line: int
    ref: str
    status: str | None
    values: dict[str, Any]
    case: Case | None = None
    stories: dict[str, str] = field(default_factory=dict)  # lang → a translation ("": remove it)
    consent: ConsentCells | None = None


def _dates(values: dict[str, Any], order: str | None) -> list[str]:
    """Dates as Excel rewrites them (30.11.1985, 11/30/1985) → ISO, in place; the problems."""
    problems = []
    try:
        if values.get("birth_date"):
            values["birth_date"] = iso_date(values["birth_date"], order)
    except ValueError as exc:
        problems.append(f"birth_date: {exc}")
        values.pop("birth_date")
    for member in values.get("family") or []:
        try:
            if member.get("birth_date"):
                member["birth_date"] = iso_date(member["birth_date"], order)
        except ValueError as exc:
            problems.append(f"family: birth date {exc}")
            member["birth_date"] = ""
    return problems


def _read(session: Session, path: Path, today: date, options: SheetOptions) -> list[_Row]:  # noqa: C901
    from plea.cases_sheet_extras import check_stories, pop_stories, take_consent

    sheet = read_sheet(path, encoding=options.encoding, roles=lambda h: _NAME_ROLES.get(_column(h) or ""))
    mapping = _header(path, sheet.header)
    problems: list[str] = []
    rows: list[_Row] = []
    existing = {c.ref: c for c in list_cases(session, status=None)}
    by_person: dict[tuple[str, date | None], list[Case]] = {}
    for c in existing.values():
        by_person.setdefault((c.name_latin.casefold(), c.birth_date), []).append(c)
    seen_refs: dict[str, int] = {}
    seen_people: dict[tuple[str, date | None], int] = {}
    for line, raw in sheet.rows:
        cells = {mapping[h]: v for h, v in raw.items() if h in mapping}
        where = f"{path}:{line}"
        ref = cells.pop("ref", "").strip().upper()
        status = cells.pop("status", "").strip().lower() or None
        if status is not None and status not in STATUSES:
            problems.append(f"{where}: status: {status!r} is not one of {', '.join(STATUSES)}")
        if ref:
            if not _REF.match(ref):
                problems.append(f"{where}: ref: {ref!r} is not a case reference (PLEA-YYYY-NNNN)")
            elif ref in seen_refs:
                problems.append(f"{where}: ref: {ref} appears twice (first on line {seen_refs[ref]})")
            seen_refs.setdefault(ref, line)
        values: dict[str, Any] = dict(cells)
        stories = pop_stories(values)
        consent, consent_problems = take_consent(values, options.date_order, today)
        problems += [f"{where}: {p}" for p in consent_problems]
        if not values.get("threat_states", "x").strip():
            values.pop("threat_states")  # an empty cell says nothing: a new case gets its nationality
        for column, parse in (("authority_ids", parse_ids), ("family", parse_family)):
            if column in values:
                try:
                    values[column] = parse(values[column])
                except ValueError as exc:
                    problems.append(f"{where}: {column}: {exc}")
                    values.pop(column)
        problems += [f"{where}: {p}" for p in _dates(values, options.date_order)]
        try:
            clean = normalise(values, today=today)
        except InvalidInput as exc:
            problems += [f"{where}: {p}" for p in exc.problems] or [f"{where}: {exc.message}"]
            continue
        case = existing.get(ref) if ref else None
        if case is None and not clean.get("name_latin"):
            problems.append(
                f"{where}: name_latin: the applicant's name (Latin script) is required"
                + (f" (no case {ref} yet)" if ref else "")
            )
            continue
        if not ref:
            person = (clean["name_latin"].casefold(), clean.get("birth_date"))
            if person in seen_people:
                problems.append(
                    f"{where}: name_latin: the same person as on line {seen_people[person]} "
                    "(same name and date of birth): give each row its ref, or merge the rows"
                )
            seen_people[person] = line
            matches = by_person.get(person, [])
            if len(matches) == 1:
                case = matches[0]
        original = clean.get("persecution_lang") or (case.persecution_lang if case is not None else "en")
        problems += [f"{where}: {p}" for p in check_stories(stories, original)]
        rows.append(_Row(line, ref, status, clean, case, stories, consent))
    if problems:
        raise InvalidInput(
            f"{path}: {len(problems)} problem(s); nothing was imported",
            problems=problems,
            hint="fix these lines and import again",
        )
    return rows


def import_cases(
    session: Session, path: Path, *, actor: str, today: date, dry_run: bool = False,
    options: SheetOptions | None = None, no_threat_ok: bool = False,
) -> ImportResult:
    """Validate the whole file, then create and update the cases (each change with its history
    event), all in the caller's one transaction. With dry_run, only say what would happen.
    A row whose threat_states is `none` needs `no_threat_ok` (the user's confirmation)."""
    from plea.cases import threats_emptied

    rows = _read(session, path, today, options or SheetOptions())
    emptied = [f"{path}:{r.line}: threat_states: none" for r in rows if threats_emptied(r.case, r.values)]
    if emptied and not no_threat_ok:
        raise InvalidInput(
            f"{path}: {len(emptied)} row(s) leave a client without any threat state, so `all` would include "
            "the state that persecutes them; nothing was imported", problems=emptied,
            hint="if that is what you mean, import again with --yes")
    result = ImportResult()
    new = [row for row in rows if row.case is None]
    from plea.cases_sheet_extras import apply, consent_differs, stories_differ

    if dry_run:
        result.created += [row.ref or f"(new, line {row.line})" for row in new]
    else:
        refs = _NewRefs(session, today.year, taken={row.ref for row in new if row.ref})
        for row, case in zip(new, _create(session, new, refs, actor=actor), strict=True):
            if row.status == "archived":
                set_status(session, case.ref, "archived", actor=actor)
            apply(session, case, row.stories, row.consent, actor=actor, today=today)
            result.created.append(case.ref)
    for row in rows:
        if row.case is None:
            continue
        case = row.case
        changed = [k for k, v in row.values.items() if getattr(case, k) != v]
        status_change = row.status is not None and row.status != case.status
        if dry_run:
            extra = stories_differ(case, row.stories) or consent_differs(session, case, row.consent)
            (result.updated if changed or status_change or extra else result.unchanged).append(case.ref)
            continue
        if changed:
            edit_case(session, case.ref, {k: row.values[k] for k in changed}, actor=actor, today=today)
        if status_change:
            set_status(session, case.ref, row.status or "open", actor=actor)
        extra = apply(session, case, row.stories, row.consent, actor=actor, today=today)
        (result.updated if changed or status_change or extra else result.unchanged).append(case.ref)
    return result


class _NewRefs:
    """References for new cases: the database's next one is asked once, then counted on here
    (asking per case scanned every reference of the year each time: 6,000 rows took 10 s in
    it). A reference the sheet itself gives a new case is skipped."""

    def __init__(self, session: Session, year: int, *, taken: set[str]) -> None:
        self.prefix = f"{REF_PREFIX}-{year}-"
        self.n = int(next_ref(session, year).rsplit("-", 1)[1])
        self.taken = taken

    def next(self) -> str:
        while (ref := f"{self.prefix}{self.n:04d}") in self.taken:
            self.n += 1
        self.n += 1
        return ref


def _create(session: Session, rows: list[_Row], refs: _NewRefs, *, actor: str) -> list[Case]:
    """The new cases, in one flush, and their case.created events, in one more (a flush per case
    made a 24,000-row import take 16× as long as 2,400 rows)."""
    now = datetime.now(UTC)
    from plea.cases import with_threat_default

    cases = [Case(ref=row.ref or refs.next(), created_at=now, updated_at=now,
                  **with_threat_default(dict(row.values))) for row in rows]
    session.add_all(cases)
    session.flush()
    record_many(session, "case.created", [
        Change(case.id, f"case:{case.ref}",
               {"fields": sorted(k for k, v in row.values.items() if v not in (None, "", [])), "via": "import"})
        for row, case in zip(rows, cases, strict=True)
    ], actor=actor)
    return cases


# -- export ------------------------------------------------------------------------------------------------


def export_rows(session: Session, *, status: str | None = "open") -> tuple[list[str], list[dict[str, Any]]]:
    """The columns (COLUMNS, a persecution_<lang> column for each language some case has a translation
    in, the consent columns) and every case as a row of them (lists in one cell each, as import reads them)."""
    from plea.cases_sheet_extras import export_cells

    cases = list(session.exec(
        select(Case)
        .order_by(col(Case.ref))
        .where(Case.status == status if status else col(Case.id).is_not(None))
    ))
    langs = sorted({lang for case in cases for lang in (case.stories or {})})
    columns = [*COLUMNS, *(f"persecution_{lang}" for lang in langs), *CONSENT_COLUMNS]
    out = []
    for case in cases:
        row = case_dict(case)
        row["authority_ids"] = format_ids(case.authority_ids)
        row["family"] = format_family(case.family)
        row["threat_states"] = case.threat_states or "none"  # empty means none, deliberately: keep it so
        row |= export_cells(session, case, langs)
        out.append({c: row.get(c) for c in columns})
    return columns, out


def export_csv(session: Session, *, status: str | None = "open") -> str:
    columns, rows = export_rows(session, status=status)
    return write_csv(columns, rows)


def export_json(session: Session, *, status: str | None = "open") -> list[dict[str, Any]]:
    return [case_dict(c) for c in list_cases(session, status=status)]
