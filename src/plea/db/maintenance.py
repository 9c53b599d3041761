"""Finding, checking and saving the database: `plea db status|backup|check`."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

from plea.db import models  # noqa: F401  (registers the tables)
from plea.db.engine import Database
from plea.errors import Conflict, DatabaseProblem, InvalidInput


def status(db: Database) -> dict[str, Any]:
    counts: dict[str, int] = {}
    with db.read() as s:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            counts[name] = int(s.exec(select(func.count()).select_from(table)).one()[0])  # type: ignore[call-overload]
    info: dict[str, Any] = {"database": db.display, "schema_version": db.schema_version(),
                            "encrypted": db.encrypted, "rows": counts}
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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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


def check(db: Database) -> list[str]:
    """Problems found by integrity_check and foreign_key_check (empty: all good)."""
    if db.path is None:
        return []
    problems: list[str] = []
    with db.read() as s:
        conn = s.connection()
        for (row,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
            if row != "ok":
                problems.append(f"integrity: {row}")
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
            problems.append(f"foreign key: table {row[0]} row {row[1]} points to a missing {row[2]}")
    return problems
