"""What a batch leaves beside its letters: the manifest (every recorded file still there) and
one zip archive per client."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea.db.models import Case, Letter, Rendition
from plea.fileio import atomic_write, atomic_write_text

MANIFEST = "manifest.csv"
#: annexes: the documents a letter lists and its PDF packet carries, "ID:SHA256" each, space-separated
MANIFEST_COLUMNS = ["case", "recipient", "letter", "language", "file", "sha256", "annexes"]


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


def rendered_before(session: Session, plan: Any, paths: list[str]) -> set[str]:
    """Of these files, each named as one of the plan's letters but not recorded under its path, those
    whose bytes plea wrote before for that letter and format: their sha256 is in one of the letter's
    `letter.rendered` events. A rendition keeps one row per inputs, so the same letter rendered into
    a second folder moved its row there, and the first folder's file lost its record; it is still
    plea's (a file plea did not write never matches). A link is never followed."""
    import json

    from plea.db.models import Event

    spots: dict[str, tuple[int, str, str]] = {}
    for item in plan.items:
        lid = plan.letters.get(item.key)
        if lid is not None:
            for fmt in plan.formats:
                spots[item.path(plan.out_dir, fmt)] = (item.case_id, f"letter:{lid}", fmt)
    wanted = {p: spots[p] for p in paths if p in spots}
    if not wanted:
        return set()
    q = select(Event.subject, Event.data).where(
        Event.kind == "letter.rendered",
        col(Event.case_id).in_(sorted({c for c, _, _ in wanted.values()})),
        col(Event.subject).in_(sorted({s for _, s, _ in wanted.values()})),
    )
    known: dict[tuple[str, str], set[str]] = defaultdict(set)
    for subject, data in session.exec(q):
        data = json.loads(data) if isinstance(data, str) else data
        known[(subject, data.get("format", ""))].add(data.get("sha256", ""))
    return {p for p, (_, subject, fmt) in wanted.items() if _sha256_of(p) in known[(subject, fmt)]}


def _sha256_of(path: str) -> str | None:
    """A regular file's sha256, read without following a link; None for anything else."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


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


def with_annexes(rows: list[dict[str, str]], plan: Any) -> list[dict[str, str]]:
    """The rows with the annexes of the plan's letters (a file of another plan keeps an empty cell)."""
    import os

    cells = {}
    for item in plan.items:
        if item.annexes:
            cell = " ".join(f"{a.id}:{a.sha256}" for a in item.annexes)
            for fmt in plan.formats:
                cells[os.path.relpath(item.path(plan.out_dir, fmt), plan.out_dir)] = cell
    return [{**row, "annexes": cells.get(row["file"], "")} for row in rows]


def manifest_text(rows: list[dict[str, str]]) -> str:
    from plea.csvio import SafeWriter

    buf = io.StringIO(newline="")
    writer = SafeWriter(buf)
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows([row.get(c) for c in MANIFEST_COLUMNS] for row in rows)
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


__all__ = ["recorded_paths", "manifest_rows", "write_manifest", "write_zips"]
