"""Concurrent caseworkers: 8 processes each log 100 responses, starting at the same moment, on
SQLite and on PostgreSQL. All 800 are recorded, each with its history event, and the audit chain
verifies: appends to the chain are serialised on both backends (BEGIN IMMEDIATE; an advisory
lock on PostgreSQL)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.dbcheck import PleaDB

pytestmark = pytest.mark.heavy  # eight writing processes: left out of the fast tier

WORKERS = 8
EACH = 100
STATES = ["FR", "DE", "IT", "ES", "PL", "PT", "NL", "BE"]


def _worker(n: int, env: dict[str, str], ref: str, day: str, barrier: Any, results: Any) -> None:
    os.environ.update(env)
    os.environ["PLEA_ACTOR"] = f"caseworker-{n}"
    from typer.testing import CliRunner

    from plea.cli import app

    runner = CliRunner()
    runner.invoke(app, ["--version"])  # imports done before the start line
    failures = []
    barrier.wait(timeout=120)
    for i in range(EACH):
        r = runner.invoke(
            app,
            [
                "responses",
                "log",
                ref,
                STATES[n],
                "--outcome",
                "acknowledged",
                "--on",
                day,
                "--summary",
                f"worker {n} answer {i}",
            ],
        )
        if r.exit_code != 0:
            failures.append((r.exit_code, r.stderr.strip()[:300]))
    results.put((n, failures))


def test_eight_caseworkers_log_800_responses_at_once(plea, db_file: PleaDB, tmp_path: Path) -> None:
    ref = plea(
        "cases", "add", "--reply-to", "answers@example.org", "--name", "Concurrent Person", "--nationality", "RU", "--persecution", "x"
    ).stdout.strip()
    plea(
        "letters",
        "render",
        ref,
        "--host",
        "US",
        "--to",
        ",".join(STATES),
        "--format",
        "md",
        "--out",
        str(tmp_path),
    )
    plea(
        "letters",
        "sent",
        ref,
        "--to",
        "all",
        "--via",
        "post",
        "--on",
        (date.today() - timedelta(days=9)).isoformat(),
        "--force",  # before the letters were rendered (today): written outside plea, as it were
    )
    before = json.loads(plea("audit", "verify", "--json").stdout)["events"]

    env = {k: os.environ[k] for k in ("PLEA_HOME", "PLEA_DATABASE_URL") if k in os.environ}
    env["PLEA_BUSY_TIMEOUT_MS"] = "120000"
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    day = (date.today() - timedelta(days=2)).isoformat()
    procs = [ctx.Process(target=_worker, args=(n, env, ref, day, barrier, results)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert {n: f for n, f in got.items() if f} == {}

    responses = json.loads(plea("responses", "list", ref, "--json").stdout)
    assert len(responses) == WORKERS * EACH
    assert {r["state"] for r in responses} == set(STATES)
    assert len({r["summary"] for r in responses}) == WORKERS * EACH
    verified = json.loads(plea("audit", "verify", "--json").stdout)
    assert verified["ok"] is True
    logged = json.loads(plea("audit", "log", "--kind", "response.logged", "--json").stdout)
    assert len(logged) == WORKERS * EACH
    assert {e["actor"] for e in logged} == {f"caseworker-{n}" for n in range(WORKERS)}
    # each worker's first answer also marked its letter answered: one more event per state
    assert verified["events"] == before + WORKERS * EACH + WORKERS
