"""`plea init` and `plea db …` through the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from plea.db import HEAD
from plea.db.location import display_url
from tests.dbcheck import PleaDB, dump, execute, rows


def count(db: PleaDB | Path, table: str) -> int:
    return rows(db, f'SELECT count(*) FROM "{table}"')[0][0]


def test_init_creates_private_database_and_loads_embassies(plea, empty_db: PleaDB, plea_home: Path) -> None:
    result = plea("init")
    assert result.stdout.strip() == display_url(empty_db.url)
    if empty_db.path is not None:  # the SQLite file is private
        assert result.stdout.strip() == str(plea_home / "plea.sqlite3")
        assert stat.S_IMODE(empty_db.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(plea_home.stat().st_mode) == 0o700
    shipped = (Path(__file__).parents[2] / "data" / "embassies.csv").read_text(encoding="utf-8")
    shipped_rows = shipped.count("\n") - 1
    assert count(empty_db, "mission") == shipped_rows
    assert "added" in result.stderr


def test_init_again_changes_nothing(plea, db_file: PleaDB) -> None:
    missions, events = count(db_file, "mission"), count(db_file, "event")
    dump_before = dump(db_file)
    result = plea("init")
    assert "0 added, 0 updated" in result.stderr
    assert count(db_file, "mission") == missions and count(db_file, "event") == events
    assert dump(db_file) == dump_before


def test_db_path_follows_plea_home_then_db_option(plea, plea_home: Path, tmp_path: Path) -> None:
    assert plea("db", "path").stdout.strip() == str(plea_home / "plea.sqlite3")
    other = tmp_path / "x.sqlite3"
    assert plea("--db", str(other), "db", "path").stdout.strip() == str(other)


def test_database_url_env_is_used(plea, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "via-url.sqlite3"
    monkeypatch.setenv("PLEA_DATABASE_URL", f"sqlite:///{target}")
    assert plea("db", "path").stdout.strip() == str(target)


def test_db_status_json_counts_rows(plea, db_file: PleaDB) -> None:
    info = json.loads(plea("db", "status", "--json").stdout)
    assert info["schema_version"] == HEAD
    assert info["rows"]["mission"] == count(db_file, "mission")
    assert info["rows"]["case"] == 0


@pytest.mark.sqlite_only  # on PostgreSQL: pg_dump (test below)
def test_db_backup_is_a_consistent_private_copy(plea, db_file: PleaDB, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "b.sqlite3"
    assert plea("db", "backup", str(target)).stdout.strip() == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert count(target, "mission") == count(db_file, "mission")
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    # refuses to overwrite without --force
    r = plea("db", "backup", str(target), code=6)
    assert "exists" in r.stderr and "--force" in r.stderr
    plea("db", "backup", str(target), "--force")


def test_db_backup_of_postgresql_points_to_pg_dump(plea, pg_url: str, tmp_path: Path) -> None:
    r = plea("db", "backup", str(tmp_path / "b.sqlite3"), code=5)
    assert "use pg_dump for PostgreSQL" in r.stderr and not (tmp_path / "b.sqlite3").exists()


def test_db_check_ok_and_damaged(plea, db_file: PleaDB) -> None:
    """A row pointing to no case (written with the keys' checks off: on SQLite foreign_keys=OFF,
    on PostgreSQL a restore's session_replication_role=replica) is found on both backends."""
    r = plea("db", "check")
    assert r.stdout.strip() == "ok" and "checked: " in r.stderr and "foreign keys" in r.stderr
    off = "PRAGMA foreign_keys=OFF" if db_file.is_sqlite else "SET session_replication_role = replica"
    execute(
        db_file,
        off,
        "INSERT INTO letter (case_id, mission_id, letter, lang, status, created_at, updated_at)"
        " VALUES (99, 'Qnone', 'x', 'en', 'drafted', '2026-01-01', '2026-01-01')",
    )
    r = plea("db", "check", code=5)
    assert "foreign key" in r.stderr and "letter" in r.stderr
    doc = json.loads(plea("db", "check", "--json", code=5).stdout)
    assert doc["ok"] is False and any("foreign key" in p for p in doc["problems"])


def test_db_check_recounts_the_report_totals(plea, db_file: PleaDB) -> None:
    """The report figures kept up to date are checked against a recount from the letters: a kept
    row or an overall figure changed behind plea's back is found."""
    from plea.db.engine import open_database
    from tests.test_report_totals import _fill

    database = open_database(db_file.url)
    try:
        _fill(database, seed=5)
    finally:
        database.close()
    r = plea("db", "check")
    assert r.stdout.strip() == "ok" and "cases recounted" in r.stderr
    first = "(SELECT min(case_id) FROM report_appeal)"
    execute(db_file, f"UPDATE report_appeal SET letters = letters + 1 WHERE case_id = {first}")
    r = plea("db", "check", code=5)
    assert "the figures kept for 1 case(s) differ from a recount" in r.stderr
    execute(db_file, f"UPDATE report_appeal SET letters = letters - 1 WHERE case_id = {first}")
    assert plea("db", "check").stdout.strip() == "ok"
    execute(db_file, "UPDATE report_total SET n = n + 1 WHERE n = (SELECT min(n) FROM report_total)")
    r = plea("db", "check", code=5)
    assert "overall figure(s) differ from a recount" in r.stderr


def test_db_check_on_postgresql_finds_unvalidated_constraints_and_uses_amcheck(plea, pg_url: str) -> None:
    from tests.dbcheck import PleaDB as Target

    db = Target("postgresql", pg_url)
    r = plea("db", "check")
    assert "indexes valid" in r.stderr and "amcheck extension is not installed" in r.stderr
    execute(db, "CREATE EXTENSION amcheck")
    r = plea("db", "check")
    assert r.stdout.strip() == "ok" and "B-tree indexes, amcheck" in r.stderr
    execute(db, "ALTER TABLE letter ADD CONSTRAINT lang_set CHECK (lang <> '') NOT VALID")
    r = plea("db", "check", code=5)
    assert "constraint lang_set on table letter was never validated" in r.stderr


def test_db_check_follows_a_key_into_its_own_table(plea, db_file: PleaDB, tmp_path: Path) -> None:
    """A translation points to its original, a row of the same table: that is no orphan (on PostgreSQL
    the check once compared each row with itself); a translation whose original is gone is one."""
    from tests.cli.test_case_file import add_case, pdf

    ref = add_case(plea)
    original = plea("docs", "add", ref, str(pdf(tmp_path / "a.pdf")), "--title", "Summons").stdout.strip()
    plea("docs", "add", ref, str(pdf(tmp_path / "b.pdf")), "--title", "Citation", "--lang", "fr",
         "--translation-of", original)
    assert plea("db", "check").stdout == "ok\n"
    if not db_file.is_sqlite:  # PostgreSQL enforces the key: only an unchecked one can be broken
        execute(db_file, "ALTER TABLE document DROP CONSTRAINT document_translation_of_fkey")
    execute(db_file, "UPDATE document SET translation_of = 999 WHERE translation_of IS NOT NULL")
    problems = json.loads(plea("db", "check", "--json", code=5).stdout)["problems"]
    assert [p for p in problems if p.startswith("foreign key")] == (
        ["foreign key: table document row 2 points to a missing document"] if db_file.is_sqlite else
        ["foreign key: 1 row(s) of table document point to a missing document (translation_of)"])


def test_commands_on_missing_database_say_run_init(plea) -> None:
    r = plea("embassies", "list", code=5)
    assert r.stderr.startswith("plea: error: no plea database at ")
    assert "plea init" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


@pytest.mark.sqlite_only  # a damaged file
def test_corrupt_database_error_has_no_traceback(plea, empty_db: PleaDB, plea_home: Path) -> None:
    plea_home.mkdir(parents=True)
    (plea_home / "plea.sqlite3").write_bytes(b"garbage" * 1000)
    r = plea("db", "status", code=5)
    assert "damaged or not a plea database" in r.stderr
    assert "Traceback" not in r.stderr


def test_version(plea) -> None:
    from plea import __version__

    assert plea("--version").stdout.strip() == f"plea {__version__}"


def test_usage_errors_exit_2_with_clicks_message() -> None:
    """A mistyped command or option is a usage error (exit 2, click's message and a suggestion),
    not an unexpected error; run as a real process, as a user types it."""
    import subprocess
    import sys

    for args, expected in (
        (["statu"], "No such command 'statu'. Did you mean 'status'?"),
        (["status", "--bogus"], "No such option: --bogus"),
    ):
        r = subprocess.run([sys.executable, "-m", "plea", *args], capture_output=True, text=True)
        assert r.returncode == 2, (args, r.stderr)
        assert expected in r.stderr and "unexpected" not in r.stderr
