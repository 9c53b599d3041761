"""`plea doctor` finds what is wrong and says what to fix."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dbcheck import PleaDB, execute


def levels(out: str) -> dict[str, str]:
    return {c["what"]: c["level"] for c in json.loads(out)}


def test_doctor_on_a_healthy_plain_database_warns_about_encryption(plea, db_file: PleaDB) -> None:
    r = plea("doctor", "--json")
    checks = json.loads(r.stdout)
    assert not [c for c in checks if c["level"] == "fail"]
    warn = [c for c in checks if c["level"] == "warn"]
    # a SQLite file can be encrypted (SQLCipher); PostgreSQL encrypts at its own level
    assert any("not encrypted" in c["what"] and "--encrypt" in c["fix"] for c in warn) == db_file.is_sqlite
    assert any(c["what"].startswith("history chain intact") for c in checks)


def test_doctor_finds_loose_permissions_and_a_tampered_history(
    plea, db_file: PleaDB, plea_home: Path
) -> None:
    plea("cases", "add", "--name", "Doctor Test", "--nationality", "RU", "--persecution", "x")
    if db_file.path is not None:
        db_file.path.chmod(0o644)
    plea_home.chmod(0o755)
    execute(db_file, "UPDATE event SET actor = 'someone else' WHERE kind = 'case.created'")
    r = plea("doctor", code=1)
    assert "FAIL  " in r.stdout
    assert f"chmod 700 '{plea_home}'" in r.stdout
    assert (f"chmod 600 '{db_file.path}'" in r.stdout) == db_file.is_sqlite
    assert "was changed after it was written" in r.stdout


def test_doctor_without_database_says_run_init(plea) -> None:
    r = plea("doctor", code=1)
    assert "plea init" in r.stdout
