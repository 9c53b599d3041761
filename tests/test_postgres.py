"""The same campaign, command by command, on SQLite and on PostgreSQL (PLEA_DATABASE_URL,
psycopg 3): one fixture parametrizes the backend. PostgreSQL runs as a throwaway server
(tests/pg_server.py); without its binaries these tests are skipped with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbcheck import PleaDB
from tests.ngo_fixtures import PERSONAL, make_campaign


def test_campaign_flow(plea, db_file: PleaDB, tmp_path: Path) -> None:
    c = make_campaign(plea, tmp_path)
    status = json.loads(plea("status", c["a"], "--json").stdout)
    assert status["headline"]["wrote_to"] == 4 and status["headline"]["answered"] == 2
    assert {s["state"]: s["outcome"] for s in status["states"]}["FR"] == "positive"
    listed = json.loads(plea("responses", "list", "--json").stdout)
    assert len(listed) == 4 and {r["summary"] for r in listed} >= {PERSONAL["summary"]}

    report = json.loads(plea("report", "--all", "--format", "json").stdout)
    assert report["totals"]["appeals"] == 7 and report["totals"]["answered"] == 3
    assert report["totals"]["median_days"] == 10.0 and report["totals"]["unsolicited"] == 1
    html = tmp_path / "r.html"
    plea("report", "--format", "html", "--out", str(html))
    assert 'data-state="FR" data-category="positive"' in html.read_text(encoding="utf-8")

    verified = json.loads(plea("audit", "verify", "--json").stdout)
    assert verified["ok"] and verified["head"] == report["history_head"]
    log = json.loads(plea("audit", "log", "--case", c["a"], "--json").stdout)
    assert log[0]["kind"] == "case.created" and {e["actor"] for e in log} == {PERSONAL["actor"]}
    plea("cases", "edit", c["a"], "--facility", "Another Facility")
    plea("audit", "verify", "--head", verified["head"])

    out = tmp_path / "export"
    manifest = json.loads(plea("export", "--format", "json", "--redact", "--json", str(out)).stdout)
    assert manifest["tables"]["response"]["rows"] == 4
    assert PERSONAL["name"] not in "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    plea("export", "--format", "csv", str(tmp_path / "plain"))
    history = json.loads(plea("history", c["a"], "--all", "--json").stdout)
    assert history["events"][-1]["kind"] == "case.edited"
    plea("audit", "verify")


def test_tampering_is_caught_on_postgres(plea, pg_url: str) -> None:
    import psycopg

    ref = plea(
        "cases", "add", "--name", "Pg Person", "--nationality", "RU", "--persecution", "x"
    ).stdout.strip()
    plea("cases", "edit", ref, "--facility", "somewhere")
    plea("audit", "verify")
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        target = conn.execute("SELECT id FROM event WHERE kind = 'case.created'").fetchone()[0]
        conn.execute("UPDATE event SET actor = 'someone else' WHERE id = %s", (target,))
    r = plea("audit", "verify", code=5)
    assert f"event {target} (case.created) was changed after it was written" in r.stderr
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM event WHERE id = %s", (target,))
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"]["problem"] in ("deleted", "changed")


def test_pg_times_are_utc_whatever_the_server_zone(plea, pg_url: str, pg_server) -> None:
    """The chain hashes the UTC time; a server in another time zone must not break it."""
    name = pg_url.rsplit("/", 1)[1]
    pg_server.admin(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Kolkata'")
    plea("cases", "add", "--name", "Tz Person", "--nationality", "RU", "--persecution", "x")
    plea("audit", "verify")
    rows = json.loads(plea("audit", "log", "--json").stdout)
    assert rows[-1]["at"].endswith("+00:00")


def test_unreachable_server_is_one_clear_line(plea, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PLEA_DATABASE_URL", f"postgresql+psycopg://plea:s3cret-pw@127.0.0.1:{port}/plea")
    r = plea("status", code=5)
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith(
        f"plea: error: cannot connect to postgresql+psycopg://plea:***@127.0.0.1:{port}/plea"
    )
    assert "s3cret-pw" not in r.stderr and len(lines) == 2 and "PLEA_DATABASE_URL" in lines[1]
