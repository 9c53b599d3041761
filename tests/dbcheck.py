"""Reading (and, for tampering tests, writing) a test's database directly, the same on SQLite
and PostgreSQL, so a test checks the same facts on both backends.

`rows(db, sql, *args)` takes a `PleaDB` (what the `db_file` and `empty_db` fixtures give), a
SQLite file's path, or a database URL. SQL uses `?` placeholders on both backends. Values come
back as SQLite would give them — dates and datetimes as ISO text (datetimes with microseconds,
as SQLAlchemy stores them in SQLite), booleans as 0/1, JSON columns as JSON text — so an
assertion written once holds on both."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PleaDB:
    """The database a test runs on: its backend, its URL and, on SQLite, its file."""

    backend: str  # "sqlite" | "postgresql"
    url: str
    path: Path | None = None  # the SQLite file (None on PostgreSQL)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def env(self, home: Path) -> dict[str, str]:
        """The environment for a plea subprocess with PLEA_HOME=home on this database (on SQLite
        the database is then home's plea.sqlite3)."""
        env = {**os.environ, "PLEA_HOME": str(home)}
        env.pop("PLEA_DATABASE_URL", None)
        if not self.is_sqlite:
            env["PLEA_DATABASE_URL"] = self.url
        return env


Target = PleaDB | Path | str


def url_of(db: Target) -> str:
    if isinstance(db, PleaDB):
        return db.url
    if isinstance(db, Path) or "://" not in str(db):
        return f"sqlite:///{Path(db)}"
    return str(db)


_ENGINES: dict[str, Any] = {}


def _connect(db: Target) -> Any:
    """A raw DB-API connection (sqlite3 or psycopg) to the database, nothing pooled."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    url = url_of(db)
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = create_engine(url, poolclass=NullPool)
    return engine.raw_connection()


def is_postgres(db: Target) -> bool:
    return url_of(db).startswith("postgresql")


def _sql(db: Target, sql: str) -> str:
    if is_postgres(db):  # psycopg: %s placeholders, literal % doubled
        return sql.replace("%", "%%").replace("?", "%s")
    return sql


def _value(v: Any) -> Any:
    """A PostgreSQL value as SQLite gives it back."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict | list):
        return json.dumps(v)
    return v


def rows(db: Target, sql: str, *args: object) -> list[tuple]:
    """The rows of a query, as tuples."""
    conn = _connect(db)
    try:
        cur = conn.cursor()
        cur.execute(_sql(db, sql), args)
        got = [tuple(_value(v) for v in r) for r in cur.fetchall()]
        conn.rollback()
        return got
    finally:
        conn.close()


def dicts(db: Target, sql: str, *args: object) -> list[dict[str, Any]]:
    """The rows of a query, as dicts by column name."""
    conn = _connect(db)
    try:
        cur = conn.cursor()
        cur.execute(_sql(db, sql), args)
        names = [d[0] for d in cur.description]
        got = [dict(zip(names, (_value(v) for v in r), strict=True)) for r in cur.fetchall()]
        conn.rollback()
        return got
    finally:
        conn.close()


def scalar(db: Target, sql: str, *args: object) -> Any:
    found = rows(db, sql, *args)
    return found[0][0] if found else None


def count(db: Target, table: str) -> int:
    return int(rows(db, f"SELECT count(*) FROM {table}")[0][0])


def execute(db: Target, *statements: str | tuple[str, tuple]) -> None:
    """Run statements in one committed transaction (tampering with the data behind plea's back).
    A statement is SQL, or (SQL, args)."""
    conn = _connect(db)
    try:
        cur = conn.cursor()
        for st in statements:
            sql, args = st if isinstance(st, tuple) else (st, ())
            cur.execute(_sql(db, sql), args) if args else cur.execute(sql)
        conn.commit()
    finally:
        conn.close()


def tables(db: Target) -> list[str]:
    """plea's tables (not alembic_version), sorted."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url_of(db), poolclass=NullPool)
    try:
        return sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
    finally:
        engine.dispose()


def dispose() -> None:
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


def dump(db: Target) -> dict[str, list[tuple]]:
    """Every row of every plea table (and alembic_version), sorted: the whole content, to compare."""
    return {t: sorted(rows(db, f'SELECT * FROM "{t}"'), key=repr) for t in [*tables(db), "alembic_version"]}
