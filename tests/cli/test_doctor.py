"""`plea doctor` finds what is wrong and says what to fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def levels(out: str) -> dict[str, str]:
    return {c["what"]: c["level"] for c in json.loads(out)}


def test_doctor_on_a_healthy_plain_database_warns_about_encryption(plea, db_file: Path) -> None:
    r = plea("doctor", "--json")
    checks = json.loads(r.stdout)
    assert not [c for c in checks if c["level"] == "fail"]
    warn = [c for c in checks if c["level"] == "warn"]
    assert any("not encrypted" in c["what"] and "--encrypt" in c["fix"] for c in warn)
    assert any(c["what"].startswith("history chain intact") for c in checks)


def test_doctor_finds_loose_permissions_and_a_tampered_history(plea, db_file: Path, plea_home: Path) -> None:
    plea("cases", "add", "--name", "Doctor Test", "--nationality", "RU", "--persecution", "x")
    db_file.chmod(0o644)
    plea_home.chmod(0o755)
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE event SET actor = 'someone else' WHERE kind = 'case.created'")
    conn.close()
    r = plea("doctor", code=1)
    assert "FAIL  " in r.stdout
    assert f"chmod 600 '{db_file}'" in r.stdout and f"chmod 700 '{plea_home}'" in r.stdout
    assert "was changed after it was written" in r.stdout


def test_doctor_without_database_says_run_init(plea) -> None:
    r = plea("doctor", code=1)
    assert "plea init" in r.stdout
