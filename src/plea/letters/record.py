"""What a batch records: letters, their renditions and history events, in short transactions
a chunk at a time (bulk inserts, the history chain extended in one go); the manifest; the
per-client zip archives."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, col, select

from plea.letters.plan import Plan
from plea.letters.work import Done
from plea.db.models import Case, Event, Letter, LetterEvent, Rendition
from plea.fileio import atomic_write, atomic_write_text
from plea.history import GENESIS, chain_hash, event_body, record

# Core tables, not the ORM: bulk statements without loading or synchronising objects
LETTER, LETTER_EVENT, RENDITION, EVENT = (
    Letter.__table__,
    LetterEvent.__table__,  # type: ignore[attr-defined]
    Rendition.__table__,
    Event.__table__,
)  # type: ignore[attr-defined]
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ["case", "recipient", "letter", "language", "file", "sha256"]


def _insert_many(
    session: Session, table: Any, rows: list[dict[str, Any]], *, ignore_on: list[str] | None = None
) -> None:
    """Insert many rows into a Core table (`ignore_on`: skip a row whose key exists).

    On SQLite the rows go to the driver's executemany directly, each value converted by the
    column type's own bind processor (exactly what SQLAlchemy stores; equal values converted
    once): SQLAlchemy's per-row parameter handling otherwise costs more than the inserts. On
    PostgreSQL, SQLAlchemy's executemany (its batched insert) as usual."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
    else:  # pragma: no cover - plea supports SQLite and PostgreSQL
        dialect_insert = insert  # type: ignore[assignment]
    stmt = dialect_insert(table)
    if ignore_on:
        stmt = stmt.on_conflict_do_nothing(index_elements=ignore_on)
    if dialect.name != "sqlite":
        session.execute(stmt, rows)
        return
    keys = list(rows[0])
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    order = [compiled.binds[name].key for name in compiled.positiontup]  # type: ignore[union-attr]
    converters = []
    for key in order:
        process = table.c[key].type._cached_bind_processor(dialect)
        converters.append(_remembered(process) if process is not None else None)
    params = [
        tuple(v if c is None else c(v) for c, v in zip(converters, (row[k] for k in order), strict=True))
        for row in rows
    ]
    session.connection().exec_driver_sql(compiled.string, params)


def _remembered(process: Any) -> Any:
    """A bind processor that converts each distinct hashable value once (the same timestamp
    on every row of a chunk); others (JSON documents) every time."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = process(value)
            return out
        except TypeError:
            return process(value)

    return convert


def record_done(session: Session, plan: Plan, done: list[Done], *, actor: str, today: date) -> None:
    """Record one chunk's files: the letters (new ones drafted), one rendition per file (the row
    for that path updated, never a second one), one history event per file."""
    if not done:
        return
    now = datetime.now(UTC)
    items = {k: plan.item(k) for k in {(d.case_id, d.mission_id) for d in done}}
    keys = sorted({(d.case_id, d.mission_id) for d in done})
    new_keys = [k for k in keys if k not in plan.letters]
    if new_keys:
        _insert_many(
            session,
            LETTER,
            [
                {
                    "case_id": c,
                    "mission_id": m,
                    "letter": plan.spec.name,
                    "lang": items[(c, m)].lang,
                    "status": "drafted",
                    "created_at": now,
                    "updated_at": now,
                }
                for c, m in new_keys
            ],
            ignore_on=["case_id", "mission_id", "letter"],
        )
    ids: dict[tuple[int, str], tuple[int, str]] = {}
    for case_id in sorted({c for c, _ in keys}):
        missions = [m for c, m in keys if c == case_id]
        for lid, mid, lang in session.exec(
            select(Letter.id, Letter.mission_id, Letter.lang).where(
                Letter.case_id == case_id,
                Letter.letter == plan.spec.name,
                col(Letter.mission_id).in_(missions),
            )
        ):
            ids[(case_id, mid)] = (lid, lang)  # type: ignore[assignment]
    created = [ids[k][0] for k in new_keys]
    if created:
        _insert_many(
            session,
            LETTER_EVENT,
            [
                {
                    "letter_id": lid,
                    "status": "drafted",
                    "on": today,
                    "recorded_at": now,
                    "actor": actor,
                    "via": "",
                    "proof_path": "",
                    "proof_sha256": "",
                }
                for lid in created
            ],
        )
    relang = [
        {"lid": ids[k][0], "lang": items[k].lang, "now": now} for k in keys if ids[k][1] != items[k].lang
    ]
    if relang:
        session.execute(
            update(LETTER)
            .where(LETTER.c.id == bindparam("lid"))
            .values(lang=bindparam("lang"), updated_at=bindparam("now")),
            relang,
        )
    for k in keys:
        plan.letters[k] = ids[k][0]

    inserts, updates, deletes = [], [], []
    fresh: list[tuple[int, dict[str, Any]]] = []
    events = []
    for d in done:
        item = items[(d.case_id, d.mission_id)]
        lid = plan.letters[(d.case_id, d.mission_id)]
        digest = item.digests[d.fmt]
        rows = plan.renditions.setdefault(lid, [])
        same_path = next((r for r in rows if r["format"] == d.fmt and r["path"] == d.path), None)
        same_hash = next((r for r in rows if r["format"] == d.fmt and r["inputs_hash"] == digest), None)
        if same_hash is not None and same_path is not None and same_hash is not same_path:
            deletes.append(same_path["id"])  # two rows would claim one file: keep the one for these inputs
            rows.remove(same_path)
            same_path = None
        row = same_path or same_hash
        if row is None:
            row = {"id": None, "format": d.fmt, "path": d.path, "sha256": d.sha256, "inputs_hash": digest}
            rows.append(row)
            fresh.append((lid, row))
            inserts.append(
                {
                    "letter_id": lid,
                    "format": d.fmt,
                    "lang": item.lang,
                    "path": d.path,
                    "sha256": d.sha256,
                    "inputs_hash": digest,
                    "rendered_at": now,
                }
            )
        else:
            row.update(path=d.path, sha256=d.sha256, inputs_hash=digest)
            updates.append(
                {
                    "rid": row["id"],
                    "path": d.path,
                    "sha": d.sha256,
                    "digest": digest,
                    "lang": item.lang,
                    "now": now,
                }
            )
        events.append(
            (
                d.case_id,
                f"letter:{lid}",
                {
                    "letter": plan.spec.name,
                    "mission": d.mission_id,
                    "lang": item.lang,
                    "format": d.fmt,
                    "sha256": d.sha256,
                },
            )
        )
    if deletes:
        session.execute(delete(RENDITION).where(RENDITION.c.id.in_(deletes)))
    if updates:
        session.execute(
            update(RENDITION)
            .where(RENDITION.c.id == bindparam("rid"))
            .values(
                path=bindparam("path"),
                sha256=bindparam("sha"),
                inputs_hash=bindparam("digest"),
                lang=bindparam("lang"),
                rendered_at=bindparam("now"),
            ),
            updates,
        )
    if inserts:
        _insert_many(session, RENDITION, inserts)
        # the new rows' ids, for later chunks that may meet the same files again
        found = {
            (lid, fmt, path): rid
            for rid, lid, fmt, path in session.exec(
                select(Rendition.id, Rendition.letter_id, Rendition.format, Rendition.path).where(
                    col(Rendition.letter_id).in_(sorted({lid for lid, _ in fresh}))
                )
            )
        }
        for lid, r in fresh:
            r["id"] = found.get((lid, r["format"], r["path"]))
    _append_events(session, "letter.rendered", events, actor=actor)


def _append_events(
    session: Session, kind: str, events: list[tuple[int, str, dict[str, Any]]], *, actor: str
) -> None:
    """Extend the history chain by many events at once (the same events record() writes one by one)."""
    if session.get_bind().dialect.name != "sqlite":
        for case_id, subject, data in events:  # PostgreSQL: record() takes the chain's lock
            record(session, kind, actor=actor, case_id=case_id, subject=subject, data=data)
        return
    prev = session.exec(select(Event.hash).order_by(col(Event.id).desc()).limit(1)).first() or GENESIS
    at = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for case_id, subject, data in events:
        # event_body reads these attributes of an Event; a plain namespace spares building 5,000 models
        event = SimpleNamespace(at=at, actor=actor, kind=kind, case_id=case_id, subject=subject, data=data)
        h = chain_hash(prev, event_body(event))  # type: ignore[arg-type]
        rows.append(
            {
                "at": at,
                "actor": actor,
                "kind": kind,
                "case_id": case_id,
                "subject": subject,
                "data": data,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    _insert_many(session, EVENT, rows)


# -- manifest -----------------------------------------------------------------------------------------


def _under(prefix: str) -> Any:
    """Rendition paths that start with prefix, exactly: SQLite's LIKE ignores case, and
    /x/Out and /x/out are different folders."""
    from sqlalchemy import func

    path = col(Rendition.path)
    return path.startswith(prefix, autoescape=True) & (func.substr(path, 1, len(prefix)) == prefix)


def recorded_paths(session: Session, out_dir: Path) -> set[str]:
    """The paths of every file the database records under out_dir."""
    prefix = str(out_dir) + "/"
    return set(session.exec(select(Rendition.path).where(_under(prefix))))


def manifest_rows(session: Session, out_dir: Path) -> list[dict[str, str]]:
    """Every file plea recorded under out_dir that is still there: case, recipient (the
    mission's id), letter, language, file (relative to out_dir), sha256."""
    prefix = str(out_dir) + "/"
    latest: dict[str, tuple[Any, dict[str, str]]] = {}
    q = (
        select(
            Rendition.path,
            Rendition.sha256,
            Rendition.lang,
            Rendition.rendered_at,
            Rendition.id,
            Letter.letter,
            Letter.mission_id,
            Case.ref,
        )
        .join(Letter, col(Letter.id) == Rendition.letter_id)
        .join(Case, col(Case.id) == Letter.case_id)
        .where(_under(prefix))
    )
    for path, sha, lang, at, rid, letter, mission, ref in session.exec(q):
        key = (at, rid)
        if path in latest and latest[path][0] >= key:
            continue
        latest[path] = (
            key,
            {
                "case": ref,
                "recipient": mission,
                "letter": letter,
                "language": lang,
                "file": path[len(prefix) :],
                "sha256": sha,
            },
        )
    rows = [row for path, (_, row) in latest.items() if Path(path).is_file()]
    return sorted(rows, key=lambda r: (r["case"], r["file"]))


def manifest_text(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_manifest(out_dir: Path, rows: list[dict[str, str]]) -> Path:
    path = out_dir / MANIFEST
    atomic_write_text(path, manifest_text(rows))
    return path


# -- zip archives -------------------------------------------------------------------------------------


def write_zips(out_dir: Path, rows: list[dict[str, str]], refs: list[str]) -> list[Path]:
    """One archive per client, DIR/<REF>.zip: the client's files and its part of the manifest.
    Rebuilt only when its content changed (the archive's comment holds a hash of it)."""
    from plea.fileio import safe_name

    by_case: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_case[row["case"]].append(row)
    written = []
    for ref in refs:
        mine = by_case.get(ref, [])
        if not mine:
            continue
        target = out_dir / f"{safe_name(ref)}.zip"
        digest = hashlib.sha256("\n".join(f"{r['file']}:{r['sha256']}" for r in mine).encode()).hexdigest()
        comment = f"plea batch {digest}".encode()
        if target.is_file():
            try:
                with zipfile.ZipFile(target) as z:
                    if z.comment == comment:
                        written.append(target)
                        continue
            except (zipfile.BadZipFile, OSError):
                pass

        def write(fh: Any, mine: list[dict[str, str]] = mine, comment: bytes = comment) -> None:
            with zipfile.ZipFile(fh, "w") as z:
                z.comment = comment
                for r in mine:
                    info = zipfile.ZipInfo(r["file"], date_time=(1980, 1, 1, 0, 0, 0))
                    stored = r["file"].endswith((".docx", ".pdf"))  # already compressed
                    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    info.external_attr = 0o600 << 16
                    with open(out_dir / r["file"], "rb") as src, z.open(info, "w") as dst:
                        while chunk := src.read(1 << 16):
                            dst.write(chunk)
                info = zipfile.ZipInfo(MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                z.writestr(info, manifest_text(mine))

        atomic_write(target, write)
        written.append(target)
    return written


__all__ = ["record_done", "recorded_paths", "manifest_rows", "write_manifest", "write_zips"]
