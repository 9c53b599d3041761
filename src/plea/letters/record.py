"""The one recorder of written letters: the letters (new ones drafted), one rendition per file,
one history event per file (plea.history.record_many: the chain extended in one go), in bulk,
inside the caller's transaction (a chunk of a batch, or the whole of `letters render`). And the
renaming of files written under an earlier name rule (rename_old)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from plea.db.models import Letter, LetterEvent, Rendition
from plea.fileio import fsync_path, sha256_file
from plea.history import Change, record_many
from plea.letters.plan import Item, Plan
from plea.letters.work import Done

# Core tables, not the ORM: bulk statements without loading or synchronising objects
LETTER, LETTER_EVENT, RENDITION = (
    Letter.__table__,  # type: ignore[attr-defined]
    LetterEvent.__table__,  # type: ignore[attr-defined]
    Rendition.__table__,  # type: ignore[attr-defined]
)


def old_names(plan: Plan) -> list[tuple[Any, str, dict[str, Any], str]]:
    """Files of the plan's letters recorded under another name in the same folder (an earlier
    name rule: REF_STATE_letter_lang), still whole (the recorded sha256), where the new name is
    free and recorded for none: (item, format, rendition row, new path)."""
    out = str(plan.out_dir)
    found = []
    for item in plan.todo:
        lid = plan.letters.get(item.key)
        rows = plan.renditions.get(lid, []) if lid is not None else []
        for fmt in item.todo:
            target = item.path(out, fmt)
            if any(r["path"] == target for r in rows) or os.path.lexists(target):
                continue
            for row in rows:
                old = row["path"]
                if (
                    row["format"] == fmt
                    and os.path.dirname(old) == os.path.dirname(target)
                    and os.path.isfile(old)
                    and sha256_file(Path(old)) == row["sha256"]
                ):
                    found.append((item, fmt, row, target))
                    break
    return found


def rename_old(session: Session, plan: Plan, *, actor: str) -> int:
    """Rename the files old_names() finds (one atomic rename each, in their folder), update their
    rendition rows, and record one history event each ("letter.renamed"). A renamed file is then
    done (same inputs), or rendered again like any other. How many."""
    changes: list[Change] = []
    for item, fmt, row, target in old_names(plan):
        os.rename(row["path"], target)
        fsync_path(os.path.dirname(target))
        session.execute(update(RENDITION).where(RENDITION.c.id == row["id"]).values(path=target))
        row["path"] = target
        changes.append(
            Change(
                item.case_id,
                f"letter:{plan.letters[item.key]}",
                {
                    "letter": plan.spec.name,
                    "mission": item.mission_id,
                    "lang": item.lang,
                    "format": fmt,
                    "sha256": row["sha256"],
                    "renamed_to": os.path.basename(target),
                },
            )
        )
        if row["inputs_hash"] == item.digests[fmt]:
            item.todo.remove(fmt)
    plan.already_done = sum(1 for i in plan.items if not i.todo)
    return record_many(session, "letter.renamed", changes, actor=actor)


def _insert_letters(session: Session, rows: list[dict[str, Any]]) -> None:
    """New letters; one another transaction made meanwhile is kept (case, mission, letter)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(LETTER).on_conflict_do_nothing(index_elements=["case_id", "mission_id", "letter"])
    session.connection().execute(stmt, rows)


def record_done(session: Session, plan: Plan, done: list[Done], *, actor: str, today: date) -> None:
    """Record one chunk's files: the letters (new ones drafted), one rendition per file (the row
    for that path updated, never a second one), one history event per file."""
    if not done:
        return
    now = datetime.now(UTC)
    items = {k: plan.item(k) for k in {(d.case_id, d.mission_id) for d in done}}
    _record_letters(session, plan, items, actor=actor, today=today, now=now)
    writes = _Writes()
    for d in done:
        _plan_rendition(writes, plan, items[(d.case_id, d.mission_id)], d, now)
    _write_renditions(session, writes)
    record_many(session, "letter.rendered", writes.events, actor=actor)


def _record_letters(session: Session, plan: Plan, items: dict[tuple[int, str], Item], *, actor: str,
                    today: date, now: datetime) -> None:
    """The chunk's letters: new ones inserted as drafted (with their first event), the language of
    existing ones brought up to date; plan.letters learns every letter's id."""
    keys = sorted(items)
    new_keys = [k for k in keys if k not in plan.letters]
    if new_keys:
        _insert_letters(
            session,
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
        )
    ids = _letter_ids(session, plan, keys)
    created = [ids[k][0] for k in new_keys]
    if created:
        session.connection().execute(
            LETTER_EVENT.insert(),
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
                    "tracking": "",
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


def _letter_ids(
    session: Session, plan: Plan, keys: list[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, str]]:
    """(case id, mission id) → (letter id, its language) for the plan's letter, case by case."""
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
    return ids


@dataclass
class _Writes:
    """A chunk's rendition rows to insert, update and delete, and its history events."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    fresh: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (letter id, the plan's new row)
    events: list[Change] = field(default_factory=list)


def _plan_rendition(writes: _Writes, plan: Plan, item: Item, d: Done, now: datetime) -> None:
    """One file's rendition row (the row for its path, or for its inputs, updated; else a new one)
    and history event, kept in plan.renditions as they will be in the database."""
    lid = plan.letters[(d.case_id, d.mission_id)]
    digest = item.digests[d.fmt]
    rows = plan.renditions.setdefault(lid, [])
    same_path = next((r for r in rows if r["format"] == d.fmt and r["path"] == d.path), None)
    same_hash = next((r for r in rows if r["format"] == d.fmt and r["inputs_hash"] == digest), None)
    if same_hash is not None and same_path is not None and same_hash is not same_path:
        # two rows would claim one file: keep the one for these inputs
        writes.deletes.append(same_path["id"])
        rows.remove(same_path)
        same_path = None
    row = same_path or same_hash
    if row is None:
        row = {"id": None, "format": d.fmt, "path": d.path, "sha256": d.sha256, "inputs_hash": digest}
        rows.append(row)
        writes.fresh.append((lid, row))
        writes.inserts.append(
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
        writes.updates.append(
            {
                "rid": row["id"],
                "path": d.path,
                "sha": d.sha256,
                "digest": digest,
                "lang": item.lang,
                "now": now,
            }
        )
    writes.events.append(
        Change(
            d.case_id,
            f"letter:{lid}",
            {
                "letter": plan.spec.name,
                "mission": d.mission_id,
                "lang": item.lang,
                "format": d.fmt,
                "sha256": d.sha256,
                # the documents it lists (and a PDF packet carries): ids and sha256, never titles
                **({"annexes": [{"document": a.id, "sha256": a.sha256} for a in item.annexes]}
                   if item.annexes else {}),
            },
        )
    )


def _write_renditions(session: Session, writes: _Writes) -> None:
    """The rendition rows, in bulk; the new rows' ids go back into the plan's rows."""
    if writes.deletes:
        session.execute(delete(RENDITION).where(RENDITION.c.id.in_(writes.deletes)))
    if writes.updates:
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
            writes.updates,
        )
    if writes.inserts:
        session.connection().execute(RENDITION.insert(), writes.inserts)
        # the new rows' ids, for later chunks that may meet the same files again
        found = {
            (lid, fmt, path): rid
            for rid, lid, fmt, path in session.exec(
                select(Rendition.id, Rendition.letter_id, Rendition.format, Rendition.path).where(
                    col(Rendition.letter_id).in_(sorted({lid for lid, _ in writes.fresh}))
                )
            )
        }
        for lid, r in writes.fresh:
            r["id"] = found.get((lid, r["format"], r["path"]))
