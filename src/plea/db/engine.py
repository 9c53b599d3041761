"""Opening the database: the engine with its pragmas, migrations on open, transactions.

Every command runs in one transaction (`with db.transaction() as s:`). On SQLite a
writing transaction starts with BEGIN IMMEDIATE, so a reader never has to upgrade to a
writer (that fails at once with SQLITE_BUSY) and concurrent commands queue on the busy
timeout instead of losing updates.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session, create_engine

from plea.db import HEAD
from plea.db.location import display_url, ensure_home, home, sqlite_path
from plea.errors import DatabaseProblem

def busy_timeout_ms() -> int:
    """How long a command waits for another one holding the write lock."""
    return int(os.environ.get("PLEA_BUSY_TIMEOUT_MS", "10000"))


def _create_private_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use 0644); -wal and
    -shm inherit the mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_hooks(engine: Engine, state: dict[str, bool]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if state["write"] else "BEGIN")


class Database:
    """An open plea database."""

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self.display = display_url(url)
        self._state = {"write": False}
        if self.path is not None:
            if not self.path.exists() and not create:
                raise DatabaseProblem(
                    f"no plea database at {self.path}",
                    hint="create it with `plea init` (or point --db / PLEA_HOME at the right one)",
                )
            if create:
                if self.path.parent == home():
                    ensure_home()
                _create_private_file(self.path)
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            _sqlite_hooks(self.engine, self._state)
        self._migrate()

    # -- schema -----------------------------------------------------------------
    def schema_version(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            if "no such table" in str(exc) or "does not exist" in str(exc):
                return None
            raise self._problem(exc) from exc
        except DatabaseError as exc:
            raise self._problem(exc) from exc

    def _migrate(self) -> None:
        version = self.schema_version()
        if version == HEAD:
            return
        from plea.db.migrate import upgrade

        self._state["write"] = True
        try:
            upgrade(self.engine, version)
        except DatabaseError as exc:
            raise self._problem(exc) from exc
        finally:
            self._state["write"] = False

    def _problem(self, exc: Exception) -> DatabaseProblem:
        msg = str(getattr(exc, "orig", exc))
        if "locked" in msg or "busy" in msg:
            return DatabaseProblem(
                f"the database is locked by another program: {self.display}",
                hint="wait for the other plea command to finish, then try again",
            )
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return DatabaseProblem(
                f"the database file is damaged or not a plea database: {self.display}",
                hint="restore it from a backup (`plea db backup` makes one); `plea db check` tells more",
            )
        return DatabaseProblem(f"database error on {self.display}: {msg}")

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction for one command: committed at the end, rolled back on error."""
        self._state["write"] = write
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except OperationalError as exc:
            raise self._problem(exc) from exc
        except DatabaseError as exc:
            raise self._problem(exc) from exc
        finally:
            self._state["write"] = False

    def read(self) -> Any:
        return self.transaction(write=False)

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, create: bool = False) -> Database:
    return Database(url, create=create)
