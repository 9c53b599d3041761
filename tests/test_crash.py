"""Crash safety: commands killed with SIGKILL at random moments. After each kill the
database passes `plea db check`, no partial file stands under a final name, and running
the same command again reaches exactly the state an uninterrupted run reaches. On SQLite and
on PostgreSQL (where the server rolls back the killed command's transaction).

CI runs a few trials per command; `pytest -m slow` runs 50 each."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.dbcheck import PleaDB, dicts, rows, tables

pytestmark = pytest.mark.heavy  # kill -9 trials: left out of the fast tier

FEW, MANY = 2, 50
DAY = (date.today() - timedelta(days=2)).isoformat()

# columns that differ between two correct runs (time of day, row ids, hashes over times or zip dates)
VOLATILE = {"id", "at", "created_at", "updated_at", "rendered_at", "recorded_at", "hash", "prev_hash", "sha256",
            "letter_id", "case_id"}


# tables whose rows an event's data refers to by id, under the table's own name as key
ROW_REFS = ("response", "outbox")


def _row_ref(db: PleaDB, table: str, value: object) -> str:
    """An event's reference to a row, without the row's id (which differs between runs: a
    killed transaction's ids are not reused on PostgreSQL), but still saying whether that row exists."""
    found = rows(db, f'SELECT 1 FROM "{table}" WHERE id = ?', value)
    return f"<{table}>" if found else f"<missing {table} {value}>"


def snapshot(db: PleaDB, out: Path | None, home: Path, tmp: Path) -> dict[str, object]:
    """The database's content without what legitimately differs between runs; the paths of
    the run's own folders replaced by placeholders."""
    state: dict[str, object] = {}
    for table in tables(db):
        found = []
        for row in dicts(db, f'SELECT * FROM "{table}"'):
            d = {k: v for k, v in row.items() if k not in VOLATILE}
            if table == "event":
                data = json.loads(d["data"])
                data.pop("sha256", None)
                for ref in ROW_REFS:
                    if isinstance(data.get(ref), int):
                        data[ref] = _row_ref(db, ref, data[ref])
                d["data"] = data
                # row ids are volatile (a killed transaction's ids are not reused on PostgreSQL)
                d["subject"] = re.sub(r"^(letter|response|outbox|message|case):\d+$", r"\1:<id>",
                                      d["subject"])
            text = json.dumps(d, sort_keys=True, default=str, ensure_ascii=False)
            found.append(text.replace(str(home), "<home>").replace(str(tmp), "<tmp>"))
        state[table] = sorted(found)
    if out is not None and out.exists():
        state["files"] = sorted(p.name for p in out.iterdir())
    return state


def plea_cmd(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "plea", *args]


#: the database of each home a trial runs plea in (PLEA_HOME → its database)
DATABASES: dict[Path, PleaDB] = {}


def env_for(home: Path) -> dict[str, str]:
    return {**DATABASES[home].env(home), "PLEA_ACTOR": "crash-test"}


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = env_for(home)
    return subprocess.run(plea_cmd(home, *args), env=env, capture_output=True, text=True, timeout=300)


def check_after_kill(home: Path, out: Path | None) -> None:
    r = run(home, "db", "check")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    if out is None or not out.exists():
        return
    for p in out.iterdir():
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            continue  # a temp file: never under a final name
        if p.suffix == ".docx":
            with zipfile.ZipFile(p) as z:
                assert z.testzip() is None and "word/document.xml" in z.namelist(), p
        else:
            p.read_text(encoding="utf-8")


def verify_files_match_db(home: Path) -> None:
    import hashlib

    for path, sha in rows(DATABASES[home], "SELECT path, sha256 FROM rendition"):
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha, path


@dataclass
class Scenario:
    name: str
    prepare: Callable[[Path, Path], None]  # (home, tmp) → set the database up before the command
    command: Callable[[Path], list[str]]  # tmp → the command's arguments
    out: Callable[[Path], Path | None]
    max_delay: float


def _case(home: Path) -> str:
    r = run(home, "cases", "add", "--reply-to", "answers@example.org", "--name", "Crash Person", "--nationality", "RU", "--persecution", "Story.")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def prep_import(home: Path, tmp: Path) -> None:
    import csv

    with open(Path(__file__).parent.parent / "data" / "embassies.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [dict(r, notes="changed by crash test") for _, r in zip(range(3000), reader, strict=False)]
        columns = reader.fieldnames or []
    with open(tmp / "changes.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def prep_render(home: Path, tmp: Path) -> None:
    _case(home)


def prep_response(home: Path, tmp: Path) -> None:
    ref = _case(home)
    assert run(home, "letters", "render", ref, "--to", "FR,DE", "--format", "md", "--out", str(tmp / "first")).returncode == 0
    assert run(home, "letters", "sent", "--force", ref, "--to", "all", "--via", "post", "--on", DAY).returncode == 0
    (tmp / "answer.txt").write_text("Réponse de l'ambassade", encoding="utf-8")


def prep_send(home: Path, tmp: Path) -> None:
    import csv

    ref = _case(home)
    with open(Path(__file__).parent.parent / "data" / "embassies.csv", encoding="utf-8", newline="") as fh:
        us = [r for r in csv.DictReader(fh) if r["host"] == "US" and r["kind"] == "embassy"][:25]
    lines = ["id,sending,host,email"] + [f"{r['id']},{r['sending']},US,consular@{r['sending'].lower()}.example.org"
                                         for r in us]
    (tmp / "emails.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(home, "embassies", "import", str(tmp / "emails.csv")).returncode == 0
    states = ",".join(r["sending"] for r in us)
    r = run(home, "letters", "render", ref, "--to", states, "--format", "docx", "--out", str(tmp / "letters"))
    assert r.returncode == 0, r.stderr


SCENARIOS = [
    Scenario("embassies import", prep_import, lambda tmp: ["embassies", "import", str(tmp / "changes.csv")],
             lambda tmp: None, 3.0),
    Scenario("letters render", prep_render,
             lambda tmp: ["letters", "render", "PLEA-%d-0001" % date.today().year, "--host", "US", "--to", "all",
                          "--format", "docx,txt", "--out", str(tmp / "out")],
             lambda tmp: tmp / "out", 8.0),
    Scenario("responses log", prep_response,
             lambda tmp: ["responses", "log", "PLEA-%d-0001" % date.today().year, "France", "--outcome", "positive",
                          "--on", DAY, "--summary", "Oui", "--attach", str(tmp / "answer.txt")],
             lambda tmp: None, 2.0),
    Scenario("send --dry-run", prep_send,
             lambda tmp: ["send", "PLEA-%d-0001" % date.today().year, "--to", "all", "--dry-run", "--yes",
                          "--out", str(tmp / "eml")],
             lambda tmp: tmp / "eml", 4.0),
]


def trial(scenario: Scenario, clone_db: Callable[..., PleaDB], tmp: Path, rng: random.Random) -> None:
    ref_home, kill_home = tmp / "ref-home", tmp / "kill-home"
    for home in (ref_home, kill_home):
        home.mkdir(mode=0o700)
        DATABASES[home] = clone_db(home)  # a fresh database with the shipped embassies
    ref_tmp, kill_tmp = tmp / "ref", tmp / "kill"
    ref_tmp.mkdir()
    kill_tmp.mkdir()
    scenario.prepare(ref_home, ref_tmp)
    scenario.prepare(kill_home, kill_tmp)
    # the uninterrupted run
    r = run(ref_home, *scenario.command(ref_tmp))
    assert r.returncode == 0, r.stderr
    reference = snapshot(DATABASES[ref_home], scenario.out(ref_tmp), ref_home, ref_tmp)
    # killed at a random moment
    proc = subprocess.Popen(plea_cmd(kill_home, *scenario.command(kill_tmp)), env=env_for(kill_home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.2, scenario.max_delay))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check_after_kill(kill_home, scenario.out(kill_tmp))
    # run again: the same state as the uninterrupted run
    r = run(kill_home, *scenario.command(kill_tmp))
    assert r.returncode == 0, r.stderr
    after = snapshot(DATABASES[kill_home], scenario.out(kill_tmp), kill_home, kill_tmp)
    if "files" in after:
        after["files"] = [f for f in after["files"] if not f.endswith(".tmp")]  # type: ignore[union-attr]
    assert after == reference
    verify_files_match_db(kill_home)


def _trials(scenario: Scenario, clone_db: Callable[..., PleaDB], tmp_path: Path, n: int) -> None:
    rng = random.Random(int(os.environ.get("PLEA_CRASH_SEED", "20261123")))
    try:
        for i in range(n):
            t = tmp_path / f"trial{i}"
            t.mkdir()
            trial(scenario, clone_db, t, rng)
    finally:
        DATABASES.clear()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_kill_and_rerun(scenario: Scenario, clone_db: Callable[..., PleaDB], tmp_path: Path) -> None:
    _trials(scenario, clone_db, tmp_path, FEW)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_kill_and_rerun_many(scenario: Scenario, clone_db: Callable[..., PleaDB], tmp_path: Path) -> None:
    _trials(scenario, clone_db, tmp_path, MANY)
