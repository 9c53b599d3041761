"""Importing CSV files of missions into the embassy directory (`plea embassies import`, the
shipped data/embassies.csv): the whole file checked (plea.directory.validation) before anything is
written, then an upsert by id that keeps what a person edited. Refreshing from Wikidata is
plea.directory.refresh; verified corrections that travel between caseworkers,
plea.directory.pooling; where each fact came from, plea.directory.provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from plea.csvio import read_sheet
from plea.db.models import Mission
from plea.directory.queries import COLUMNS, EDITABLE, EDITED, authorities, unnamed_authority
from plea.directory.validation import REQUIRED, normalise, validate_fields
from plea.errors import InvalidInput
from plea.history import record
from plea.resources import data_dir


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_edits: int = 0  # rows where a person's edits were kept over the file's values
    older: int = 0  # rows retrieved from their source before what the directory has (e.g. by a refresh)
    changes: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, changed fields)
    unnamed: list[str] = field(default_factory=list)  # the file's authorities without a name of their own

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
    return [(line, normalise(raw)) for line, raw in rows]



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
    column) is merged instead: see plea.directory.pooling."""
    rows = parse_file(path, encoding=encoding)
    if rows and EDITED in rows[0][1]:
        raise InvalidInput(f"{path}: a file of verified corrections (it has an edited_fields column)",
                           hint="merge it with plea.directory.pooling.merge_file, "
                                "as `plea embassies import` does")
    result = import_rows(session, [r for _, r in rows])
    ids = {r["id"] for _, r in rows}
    result.unnamed = [a.id for a in authorities(session.connection()) if a.id in ids and unnamed_authority(a)]
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
