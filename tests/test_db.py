"""The database layer: migrations equal the models and old databases upgrade intact (on SQLite
and PostgreSQL), file permissions, pragmas, and clear errors for missing, corrupt and locked
databases."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from plea.db import HEAD, models  # noqa: F401
from plea.db.engine import open_database
from plea.db.migrate import alembic_config, head_revision, upgrade
from plea.errors import DatabaseProblem
from tests.dbcheck import PleaDB, rows


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_head_constant_matches_alembic() -> None:
    assert HEAD == head_revision()


def test_migrated_schema_equals_models(empty_db: PleaDB) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = open_database(empty_db.url, create=True)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    db.close()
    assert diff == []


#: the mission columns of the first migration (later ones add columns with defaults)
OLD_MISSION = ("id, sending, host, city, kind, street_address, postcode, email, phone, website, latitude, longitude, "
               "accredited_to, languages, source, source_ref, licence, retrieved, verified_on, verified_by, notes, "
               "user_fields")


def test_database_from_first_migration_upgrades_with_rows_intact(empty_db: PleaDB) -> None:
    if empty_db.path is not None:
        empty_db.path.parent.mkdir(mode=0o700)
    engine = create_engine(empty_db.url)
    upgrade(engine, None, target="0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO mission (id, sending, host, city, kind, street_address, postcode, email, phone, website,"
            " latitude, longitude, accredited_to, languages, source, source_ref, licence, retrieved, verified_on,"
            " verified_by, notes, user_fields) VALUES ('Q1','FR','US','Washington','embassy','1 Main St','','a@b.fr',"
            "'','', 1.5, -2.5, 'CA', 'fr', 's', 'r', 'CC0-1.0', '2022-11-16', '2024-01-02', 'me', 'n', 'email')"
        )
        conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('followup_days', '30')")
        before = conn.exec_driver_sql(f"SELECT {OLD_MISSION} FROM mission").fetchall()
    assert rows(empty_db, "SELECT version_num FROM alembic_version") == [("0001",)]
    engine.dispose()

    db = open_database(empty_db.url)  # opening applies the remaining migrations
    assert db.schema_version() == HEAD
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT {OLD_MISSION} FROM mission").fetchall() == before
        assert conn.exec_driver_sql("SELECT web_form FROM mission").fetchall() == [("",)]  # added by 0013
        assert conn.exec_driver_sql("SELECT area FROM mission").fetchall() == [("",)]  # added by 0015
        assert conn.exec_driver_sql("SELECT value FROM setting").fetchall() == [("30",)]
        assert conn.exec_driver_sql("SELECT count(*) FROM \"case\"").scalar() == 0
    db.close()


@pytest.mark.sqlite_only
def test_new_database_is_private_and_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "p.sqlite3"
    db = open_database(url(path), create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with db.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


@pytest.mark.sqlite_only
def test_missing_database_names_path_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DatabaseProblem) as info:
        open_database(url(tmp_path / "none.sqlite3"))
    assert str(tmp_path / "none.sqlite3") in str(info.value)
    assert "plea init" in str(info.value)


@pytest.mark.sqlite_only
def test_corrupt_database_is_reported_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(DatabaseProblem) as info:
        open_database(url(path))
    assert "damaged or not a plea database" in str(info.value)
    assert str(path) in str(info.value)


def test_locked_database_is_reported(empty_db: PleaDB) -> None:
    """Another program holds the write lock past the busy timeout: a clear error, nothing written."""
    db = open_database(empty_db.url, create=True)
    if empty_db.path is not None:
        holder = sqlite3.connect(empty_db.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:  # the lock every writing plea transaction takes first
        from sqlalchemy.pool import NullPool

        from plea.history import PG_LOCK

        holder = create_engine(empty_db.url, poolclass=NullPool).raw_connection()
        holder.cursor().execute(f"SELECT pg_advisory_xact_lock({PG_LOCK})")
    try:
        with pytest.raises(DatabaseProblem) as info:
            with db.transaction() as s:
                s.connection().exec_driver_sql("INSERT INTO setting (key, value) VALUES ('a', 'b')")
        assert ("locked" if empty_db.is_sqlite else "busy with another plea command") in str(info.value)
    finally:
        holder.rollback()
        holder.close()
    with db.read() as s:  # nothing was written
        assert s.connection().exec_driver_sql("SELECT count(*) FROM setting").scalar() == 0
    db.close()


def test_alembic_config_points_inside_the_package() -> None:
    cfg = alembic_config()
    assert Path(cfg.get_main_option("script_location")).joinpath("env.py").is_file()
