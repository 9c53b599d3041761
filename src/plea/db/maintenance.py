"""Finding, checking and saving the database: `plea db status|backup|check`."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlmodel import SQLModel

from plea.db import models  # (importing it registers the tables)
from plea.db.engine import Database
from plea.errors import Conflict, DatabaseProblem, InvalidInput


def status(db: Database) -> dict[str, Any]:
    counts: dict[str, int] = {}
    with db.read() as s:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            counts[name] = int(s.exec(select(func.count()).select_from(table)).one()[0])  # type: ignore[call-overload]
    info: dict[str, Any] = {
        "database": db.display,
        "schema_version": db.schema_version(),
        "encrypted": db.encrypted,
        "rows": counts,
    }
    if db.path is not None and db.path.exists():
        info["size_bytes"] = db.path.stat().st_size
    return info


def backup(db: Database, target: Path, *, force: bool = False) -> Path:
    """SQLite's online backup into a temp file beside target, then renamed into place."""
    if db.path is None:
        raise DatabaseProblem("`plea db backup` backs up SQLite databases; use pg_dump for PostgreSQL")
    target = target.expanduser()
    if target.exists() and not force:
        raise Conflict(f"{target} exists", hint="choose another name, or pass --force to replace it")
    if target.resolve() == db.path.resolve():
        raise InvalidInput("the backup cannot be the database itself")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        from plea.fileio import location_problem

        raise location_problem(exc, target) from None
    os.close(fd)
    try:
        if db.encrypted:
            _encrypted_backup(db, Path(tmp))
        else:
            src = sqlite3.connect(str(db.path))
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
                src.close()
        os.chmod(tmp, 0o600)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _encrypted_backup(db: Database, tmp: Path) -> None:
    """An encrypted copy, with the same passphrase: sqlcipher_export into an attached,
    keyed database (the plain backup API would write it unencrypted)."""
    tmp.unlink(missing_ok=True)
    with db.transaction(write=True) as s:
        conn = s.connection()
        key = (db._passphrase or "").replace("'", "''")
        target = str(tmp).replace("'", "''")
        conn.exec_driver_sql(f"ATTACH DATABASE '{target}' AS plea_backup KEY '{key}'")
        conn.exec_driver_sql("SELECT sqlcipher_export('plea_backup')")
        version = conn.exec_driver_sql("PRAGMA main.user_version").scalar()
        conn.exec_driver_sql(f"PRAGMA plea_backup.user_version = {int(version or 0)}")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("DETACH DATABASE plea_backup")


class Checked(NamedTuple):
    problems: list[str]  # empty: all good
    checked: list[str]  # what was checked, for the user to see


def check(db: Database) -> Checked:
    """Check the database. SQLite: its integrity_check and foreign_key_check. PostgreSQL (which
    enforces keys as rows are written, unless a restore or an administrator turned that off):
    rows whose foreign key points to no row, constraints left unvalidated, indexes left invalid,
    and amcheck's B-tree check where that extension is installed. Both: the report totals kept
    up to date (plea.report.summary) against a recount from the letters."""
    problems: list[str] = []
    checked: list[str] = []
    with db.read() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            for (row,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
                if row != "ok":
                    problems.append(f"integrity: {row}")
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                problems.append(f"foreign key: table {row[0]} row {row[1]} points to a missing {row[2]}")
            checked += ["SQLite integrity check", "foreign keys"]
        else:
            checked += _check_postgresql(conn, problems)
        checked.append(_check_totals(conn, problems))
    return Checked(problems, checked)


def _check_postgresql(conn: Any, problems: list[str]) -> list[str]:
    from sqlalchemy import and_, exists, text

    tables = SQLModel.metadata.tables
    keys = 0
    for table in tables.values():
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table
            other = parent.alias("parent")  # its own name: a key into its own table (document.translation_of)
            pairs = [(e.parent, other.c[e.column.name]) for e in fk.elements]
            orphans = conn.execute(
                select(func.count())
                .select_from(table)
                .where(
                    and_(*[child.isnot(None) for child, _ in pairs]),
                    ~exists().where(and_(*[col == child for child, col in pairs])),
                )
            ).scalar_one()
            keys += 1
            if orphans:
                problems.append(
                    f"foreign key: {orphans} row(s) of table {table.name} point to a missing {parent.name} "
                    f"({', '.join(child.name for child, _ in pairs)})"
                )
    in_schema = "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()"
    for table_name, name in conn.execute(
        text(
            "SELECT t.relname, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            f"{in_schema} AND NOT c.convalidated ORDER BY 1, 2"
        )
    ):
        problems.append(f"constraint {name} on table {table_name} was never validated")
    for table_name, name in conn.execute(
        text(
            "SELECT t.relname, x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
            f"JOIN pg_class t ON t.oid = i.indrelid {in_schema} AND NOT (i.indisvalid AND i.indisready) "
            "ORDER BY 1, 2"
        )
    ):
        problems.append(f"index {name} on table {table_name} is invalid (rebuild it with REINDEX)")
    done = [f"foreign keys ({keys}: no row points nowhere)", "constraints validated", "indexes valid"]
    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")).first() is None:
        return done + ["index structure not checked: the amcheck extension is not installed"]
    indexes = [
        (oid, name)
        for oid, name in conn.execute(
            text(
                "SELECT x.oid, x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = x.relam JOIN pg_class t ON t.oid = i.indrelid "
                f"{in_schema} AND am.amname = 'btree' AND i.indisvalid ORDER BY 2"
            )
        )
    ]
    for oid, name in indexes:
        try:
            with conn.begin_nested():  # a corrupt index raises; the check goes on with the next
                conn.execute(text("SELECT bt_index_check(:oid)"), {"oid": oid})
        except Exception as exc:  # noqa: BLE001 - any error here is the finding
            problems.append(f"index {name} is damaged: {str(exc).splitlines()[0]}")
    return done + [f"index structure ({len(indexes)} B-tree indexes, amcheck)"]


def _check_totals(conn: Any, problems: list[str]) -> str:
    """The report rows kept for each case, and report_total, against a recount."""
    from plea.db.models import report_total
    from plea.report import summary

    noted = set(
        summary.dirty(conn)
    )  # written from outside plea, not recounted yet: the report counts them itself
    ids = [
        cid for (cid,) in conn.execute(select(models.Case.id).order_by(models.Case.id)) if cid not in noted
    ]
    wrong: list[int] = []
    expected: Counter[Any] = Counter()
    for start in range(0, len(ids), summary.CHUNK):
        chunk = ids[start : start + summary.CHUNK]
        fresh = {cid: c for cid, c in summary.recount(conn, chunk).items() if c.appeals}
        kept = summary.stored(conn, chunk)
        wrong += sorted(cid for cid in fresh.keys() | kept.keys() if fresh.get(cid) != kept.get(cid))
        for counted in fresh.values():
            expected.update(counted.totals())
    if wrong:
        refs = [r for (r,) in conn.execute(select(models.Case.ref).where(models.Case.id.in_(wrong[:5])))]
        problems.append(
            f"report totals: the figures kept for {len(wrong)} case(s) differ from a recount "
            f"(e.g. {', '.join(sorted(refs))})"
        )
    if noted:
        return f"report totals of {len(ids)} case(s) ({len(noted)} noted for recounting by the next write)"
    kept_total = Counter({(r.scope, r.dim, r.key, r.sub): r.n for r in conn.execute(select(report_total))})
    if kept_total != +expected:
        differ = sorted(
            set(kept_total) ^ set(+expected) | {k for k in kept_total if kept_total[k] != expected[k]}
        )
        problems.append(
            f"report totals: {len(differ)} overall figure(s) differ from a recount, e.g. {differ[0]}"
        )
    return f"report totals ({len(ids)} cases recounted)"
