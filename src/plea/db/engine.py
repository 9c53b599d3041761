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
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError

if TYPE_CHECKING:
    from sqlmodel import Session

from plea.db import HEAD, PG_LOCK
from plea.db.location import display_url, ensure_home, home, is_encrypted_file, sqlite_path
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


def _sqlite_hooks(engine: Engine, state: dict[str, bool], *, encrypted: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        if encrypted:
            cur.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher would print its own errors
            cur.execute("SELECT count(*) FROM sqlite_schema")  # check the key at once
        cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if state["write"] else "BEGIN")


def _postgres_hooks(engine: Engine, state: dict[str, bool]) -> None:
    """PostgreSQL: normal transactions, in UTC. A writing transaction first takes one advisory
    lock, so writers queue as they do on SQLite (BEGIN IMMEDIATE): read-then-write logic (the
    next case reference, the history chain's head) never races. A reading transaction sees one
    snapshot (REPEATABLE READ), as a SQLite read transaction does."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(f"SET lock_timeout = {busy_timeout_ms()}")
        dbapi_conn.autocommit = autocommit

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if state["write"]:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK})")
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


class Database:
    """An open plea database."""

    def __init__(self, url: str, *, create: bool = False, passphrase: str | None = None) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self.display = display_url(url)
        self._state = {"write": False}
        self.encrypted = False
        self._passphrase = passphrase
        self._file_key: bytes | None = None
        engine_url: Any = url
        if self.path is not None:
            if not self.path.exists() and not create:
                raise DatabaseProblem(
                    f"no plea database at {self.path}",
                    hint="create it with `plea init` (or point --db / PLEA_HOME at the right one)",
                )
            new = not self.path.exists() or self.path.stat().st_size == 0
            if create:
                if self.path.parent == home():
                    ensure_home()
                _create_private_file(self.path)
            self.encrypted = is_encrypted_file(self.path) or (new and passphrase is not None)
            if self.encrypted:
                if not passphrase:
                    raise DatabaseProblem(
                        f"{self.path} is encrypted, or damaged or not a plea database",
                        hint="if it is encrypted, give its passphrase: PLEA_PASSPHRASE, the system keyring, or run "
                             "plea in a terminal to be asked; if not, restore a backup")
                engine_url = _cipher_url(self.path, passphrase)
        self.engine = _create_engine(engine_url)
        if self.engine.dialect.name == "sqlite":
            _sqlite_hooks(self.engine, self._state, encrypted=self.encrypted)
        elif self.engine.dialect.name == "postgresql":
            _postgres_hooks(self.engine, self._state)
        try:
            self._migrate()
        except BaseException:
            self.engine.dispose()  # a database plea cannot use (newer, damaged): its connection closed
            raise

    # -- schema -----------------------------------------------------------------
    def schema_version(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError) as exc:
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
        # the first line only: PostgreSQL adds LINE and HINT lines
        msg = (str(getattr(exc, "orig", exc)).strip().splitlines() or [""])[0]
        if self.path is None and ("connection" in msg and ("refused" in msg or "failed" in msg)):
            return DatabaseProblem(f"cannot connect to {self.display}: {msg.split(': ')[-1]}",
                                   hint="check that the server is running and PLEA_DATABASE_URL is right")
        if "lock timeout" in msg or "canceling statement due to lock" in msg:
            return DatabaseProblem(f"the database is busy with another plea command: {self.display}",
                                   hint="wait for the other plea command to finish, then try again")
        if "locked" in msg or "busy" in msg:
            return DatabaseProblem(
                f"the database is locked by another program: {self.display}",
                hint="wait for the other plea command to finish, then try again",
            )
        if self.encrypted and "not a database" in msg:
            return DatabaseProblem(f"wrong passphrase, or not a plea database: {self.display}")
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return DatabaseProblem(
                f"the database file is damaged or not a plea database: {self.display}",
                hint="restore it from a backup (`plea db backup` makes one); `plea db check` tells more",
            )
        return DatabaseProblem(f"database error on {self.display}: {msg}")

    # -- encryption -------------------------------------------------------------
    def file_key(self) -> bytes | None:
        """The key that encrypts files stored beside an encrypted database (kept inside it)."""
        if not self.encrypted:
            return None
        if self._file_key is None:
            with self.engine.connect() as conn:
                value = conn.execute(text("SELECT value FROM setting WHERE key = 'files_key'")).scalar()
            if value is None:
                import secrets

                self._state["write"] = True
                try:
                    with self.engine.begin() as conn:
                        value = secrets.token_hex(32)
                        conn.execute(text("INSERT INTO setting (key, value) VALUES ('files_key', :v)"), {"v": value})
                finally:
                    self._state["write"] = False
            self._file_key = bytes.fromhex(value)
        return self._file_key

    def rekey(self, new_passphrase: str) -> None:
        if not self.encrypted or self.path is None:
            raise DatabaseProblem("this database is not encrypted", hint="create an encrypted one with `plea init --encrypt`")
        self.engine.dispose()
        from sqlcipher3 import dbapi2 as sqlcipher

        conn = sqlcipher.connect(str(self.path), isolation_level=None)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = {_quote(self._passphrase or '')}")
            conn.execute("SELECT count(*) FROM sqlite_schema")
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute(f"PRAGMA rekey = {_quote(new_passphrase)}")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        self.engine = create_engine(_cipher_url(self.path, new_passphrase))
        _sqlite_hooks(self.engine, self._state, encrypted=True)
        self._passphrase = new_passphrase

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction for one command: committed at the end, rolled back on error."""
        from sqlmodel import Session  # the ORM only for commands that use it (start-up speed)

        self._state["write"] = write
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                session.info["plea_file_key"] = self.file_key() if self.encrypted else None
                try:
                    yield session
                    if write:
                        self._recount(session)
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

    @staticmethod
    def _recount(session: Session) -> None:
        """Recount the cases this transaction changed for reports (plea.report.summary; triggers
        noted them in report_dirty), in the same transaction."""
        session.flush()
        conn = session.connection()
        if conn.execute(text("SELECT 1 FROM report_dirty LIMIT 1")).first() is not None:
            from plea.report.summary import refresh

            refresh(conn)

    def read(self) -> Any:
        return self.transaction(write=False)

    @contextmanager
    def read_rows(self) -> Iterator[Connection]:
        """A reading transaction on a Core connection, for queries on plea.db.tables: no ORM
        session, no model classes (start-up speed). Same transaction and errors as read()."""
        self._state["write"] = False
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise self._problem(exc) from exc
        except DatabaseError as exc:
            raise self._problem(exc) from exc

    def close(self) -> None:
        self.engine.dispose()


def _create_engine(url: Any) -> Engine:
    try:
        return create_engine(url)
    except ModuleNotFoundError as exc:  # e.g. postgresql+psycopg without psycopg installed
        from plea.errors import ExternalProblem

        extra = " (pip install 'plea[postgres]')" if "psycopg" in str(exc) else ""
        raise ExternalProblem(f"the database driver is not installed: {exc.name}{extra}") from None


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cipher_url(path: Path, passphrase: str) -> Any:
    from sqlalchemy import URL

    try:
        import sqlcipher3  # noqa: F401
    except ImportError:
        from plea.errors import ExternalProblem

        raise ExternalProblem("encrypted databases need SQLCipher",
                              hint="install it: pip install 'plea[encryption]'") from None
    return URL.create("sqlite+pysqlcipher", password=passphrase, database=str(path))


def open_database(url: str, *, create: bool = False, passphrase: str | None = None) -> Database:
    db = Database(url, create=create, passphrase=passphrase)
    db._passphrase_for_rekey = passphrase or ""
    return db
