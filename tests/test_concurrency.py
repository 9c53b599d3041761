"""Eight processes writing at once on one database (SQLite, PostgreSQL): no "database is locked"
reaches the user, nothing is lost, and the history chain still verifies."""

from __future__ import annotations

import multiprocessing as mp
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.dbcheck import PleaDB, rows, scalar

pytestmark = pytest.mark.heavy  # eight writing processes: left out of the fast tier

WORKERS = 8


def _worker(args: tuple[str, int, str, str, int]) -> list[tuple[int, str]]:
    home, n, ref, out, rounds = args
    os.environ["PLEA_HOME"] = home
    os.environ["PLEA_ACTOR"] = f"worker-{n}"
    os.environ["PLEA_BUSY_TIMEOUT_MS"] = "20000"
    from typer.testing import CliRunner

    from plea.cli import app

    runner = CliRunner()
    results = []
    states = ["FR", "DE", "IT", "ES", "PL", "PT", "NL", "BE"]
    day = (date.today() - timedelta(days=1)).isoformat()
    for i in range(rounds):
        for args in (
            ["responses", "log", ref, states[n], "--outcome", "acknowledged", "--on", day, "--summary", f"w{n} r{i}"],
            ["cases", "edit", ref, "--facility", f"facility {n}-{i}"],
            ["letters", "render", ref, "--host", "US", "--to", states[n], "--format", "md", "--out", f"{out}/w{n}"],
        ):
            r = runner.invoke(app, args)
            results.append((r.exit_code, r.stderr))
    return results


def run_writers(plea, db_file: PleaDB, plea_home: Path, tmp_path: Path, rounds: int) -> None:
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Concurrent Person", "--nationality", "RU", "--persecution", "x").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE,IT,ES,PL,PT,NL,BE", "--format", "md",
         "--out", str(tmp_path / "first"))
    plea("letters", "sent", "--force", ref, "--to", "all", "--via", "post", "--on", (date.today() - timedelta(days=3)).isoformat())
    with mp.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.map(_worker, [(str(plea_home), n, ref, str(tmp_path), rounds) for n in range(WORKERS)])
    failures = [(code, err) for rs in results for code, err in rs if code != 0]
    assert failures == []
    assert not any("locked" in err for rs in results for _, err in rs)
    assert scalar(db_file, "SELECT count(*) FROM response") == WORKERS * rounds
    edits = scalar(db_file, "SELECT count(*) FROM event WHERE kind = 'case.edited'")
    assert edits == WORKERS * rounds  # each edit changed the facility, each left its event
    actors = {a for (a,) in rows(db_file, "SELECT DISTINCT actor FROM event WHERE kind='response.logged'")}
    assert actors == {f"worker-{n}" for n in range(WORKERS)}
    from plea.db.engine import open_database
    from plea.history import verify

    db = open_database(db_file.url)
    with db.read() as s:
        n, problem = verify(s)
    db.close()
    assert problem is None and n > WORKERS * rounds * 2


def test_eight_writers_lose_nothing(plea, db_file: PleaDB, plea_home: Path, tmp_path: Path) -> None:
    run_writers(plea, db_file, plea_home, tmp_path, rounds=2)


@pytest.mark.slow
def test_eight_writers_long_run(plea, db_file: PleaDB, plea_home: Path, tmp_path: Path) -> None:
    run_writers(plea, db_file, plea_home, tmp_path, rounds=25)
