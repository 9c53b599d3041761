"""Encryption at rest: an encrypted database and the files stored beside it hold none of
the case's strings; wrong passphrases fail cleanly; rekey and backup keep it encrypted.

SQLCipher encrypts SQLite files: these tests are SQLite-only (PostgreSQL encrypts at its own
level, and `--encrypt` refuses it: the last test)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

PASS = "correct horse battery staple"
SECRETS = ("Zarema Uniquename", "Заремa Уникальная", "A-987-654-321", "Unrepeatable persecution story")


@pytest.fixture
def encrypted(plea, empty_db, plea_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("PLEA_PASSPHRASE", PASS)
    r = plea("init", "--encrypt")
    assert "(encrypted)" in r.stderr
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", SECRETS[0], "--native-name", SECRETS[1], "--nationality", "RU",
               "--id", f"A-Number={SECRETS[2]}", "--persecution", SECRETS[3]).stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR", "--format", "md", "--out", str(tmp_path / "out"))
    proof = tmp_path / "proof.txt"
    proof.write_text(f"receipt for {SECRETS[0]}")
    sent_on = (date.today() - timedelta(days=2)).isoformat()
    plea("letters", "sent", "--force", ref, "--to", "FR", "--via", "post", "--on", sent_on, "--proof", str(proof))
    reply = tmp_path / "reply.txt"
    reply.write_text(f"Answer about {SECRETS[2]}")
    plea("responses", "log", ref, "FR", "--outcome", "positive", "--attach", str(reply))
    return ref


def stored_bytes(home: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(home.rglob("*")) if p.is_file()]


@pytest.mark.sqlite_only
def test_no_personal_string_in_database_or_stored_files(plea, encrypted: str, plea_home: Path) -> None:
    files = stored_bytes(plea_home)
    assert any(p.name.startswith("plea.sqlite3") for p, _ in files)
    assert any("proofs" in p.parts for p, _ in files) and any("attachments" in p.parts for p, _ in files)
    for path, data in files:
        for secret in SECRETS:
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in data, (path, secret)
    assert not (plea_home / "plea.sqlite3").read_bytes().startswith(b"SQLite format 3")


@pytest.mark.sqlite_only
def test_stored_files_decrypt_with_the_database_key(plea, encrypted: str, plea_home: Path) -> None:
    from plea.db.engine import open_database
    from plea.storage import read_stored

    db = open_database(f"sqlite:///{plea_home / 'plea.sqlite3'}", passphrase=PASS)
    (proof,) = (plea_home / "files" / "proofs").iterdir()
    assert read_stored(proof, db.file_key()) == f"receipt for {SECRETS[0]}".encode()
    db.close()


@pytest.mark.sqlite_only
def test_wrong_or_missing_passphrase_fails_cleanly(plea, encrypted: str, monkeypatch, plea_home: Path) -> None:
    monkeypatch.setenv("PLEA_PASSPHRASE", "not the passphrase")
    r = plea("cases", "list", code=5)
    assert r.stderr == f"plea: error: wrong passphrase, or not a plea database: {plea_home / 'plea.sqlite3'}\n"
    monkeypatch.delenv("PLEA_PASSPHRASE")
    r = plea("cases", "list", code=5)
    assert "encrypted" in r.stderr and "PLEA_PASSPHRASE" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.sqlite_only
def test_rekey_then_reopen(plea, encrypted: str, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_NEW_PASSPHRASE", "a brand new passphrase")
    plea("db", "rekey")
    monkeypatch.setenv("PLEA_PASSPHRASE", "a brand new passphrase")
    assert encrypted in plea("cases", "list", "--json").stdout
    monkeypatch.setenv("PLEA_PASSPHRASE", PASS)
    plea("cases", "list", code=5)
    monkeypatch.setenv("PLEA_PASSPHRASE", "a brand new passphrase")
    monkeypatch.setenv("PLEA_NEW_PASSPHRASE", "short")
    assert "too short" in plea("db", "rekey", code=3).stderr


@pytest.mark.sqlite_only
def test_backup_of_encrypted_database_stays_encrypted(plea, encrypted: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    plea("db", "backup", str(target))
    data = target.read_bytes()
    assert not data.startswith(b"SQLite format 3") and SECRETS[0].encode() not in data
    assert encrypted in plea("--db", str(target), "cases", "list", "--json").stdout


@pytest.mark.sqlite_only
def test_encrypt_refuses_an_existing_plain_database(plea, db_file, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_PASSPHRASE", PASS)
    r = plea("init", "--encrypt", code=6)
    assert "not encrypted" in r.stderr


@pytest.mark.sqlite_only
def test_short_passphrase_is_refused(plea, monkeypatch, plea_home: Path) -> None:
    monkeypatch.setenv("PLEA_PASSPHRASE", "abc")
    assert "too short" in plea("init", "--encrypt", code=3).stderr


def test_encrypt_on_postgresql_is_refused(plea, pg_url: str, monkeypatch) -> None:
    monkeypatch.setenv("PLEA_PASSPHRASE", PASS)
    r = plea("init", "--encrypt", code=3)
    assert "--encrypt works on SQLite databases" in r.stderr
