"""A batch killed with SIGKILL at a random moment, then run again, finishes the rest: no
duplicate, no half-written file under a final name, no temp file left, and the manifest, the
database and the files agree exactly — the same files, byte for byte, as a run never killed.

On SQLite and on PostgreSQL. CI runs a few trials (--jobs 1 and --jobs 2); `pytest -m slow` runs many."""

from __future__ import annotations

import csv
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.dbcheck import PleaDB, rows, scalar

pytestmark = pytest.mark.heavy  # kill -9 trials: left out of the fast tier

FEW, MANY = 3, 40
ARGS = ["--to", "all", "--host", "US", "--format", "docx,txt"]


#: the database of each home a trial runs plea in (PLEA_HOME → its database)
DATABASES: dict[Path, PleaDB] = {}
#: how long the reference run wrote letters (from its journal's appearing to its end), in seconds:
#: trials kill within it, whatever this machine's speed
WRITING: dict[str, float] = {}


def env_for(home: Path) -> dict[str, str]:
    return {**DATABASES[home].env(home), "PLEA_ACTOR": "crash-test"}


def run(home: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = env_for(home)
    return subprocess.run(
        [sys.executable, "-m", "plea", "batch", "--out", str(out), *ARGS, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def state(home: Path, out: Path) -> dict[str, object]:
    """Files on disk, the manifest and the database's records, checked against each other."""
    assert not [p for p in out.rglob("*.tmp")], "temp files left"
    files = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.rglob("*")
        if p.is_file() and p.parent != out and not p.relative_to(out).parts[0].startswith(".")
    }
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        manifest = {r["file"]: r["sha256"] for r in csv.DictReader(fh)}
    db = DATABASES[home]
    prefix = str(out.resolve()) + "/"
    recorded = rows(db, "SELECT path, sha256 FROM rendition WHERE path LIKE ?", prefix + "%")
    (letters,) = rows(db, "SELECT count(*), count(DISTINCT case_id || '/' || mission_id) FROM letter")
    drafted = scalar(db, "SELECT count(*) FROM letter_event WHERE status = 'drafted'")
    events = scalar(db, "SELECT count(*) FROM event WHERE kind = 'letter.rendered'")
    if db.is_sqlite:
        assert scalar(db, "PRAGMA integrity_check") == "ok"
    assert len(recorded) == len({p for p, _ in recorded}), "two records for one file"
    recorded_map = {p[len(prefix) :]: sha for p, sha in recorded}
    assert files == manifest == recorded_map
    for name in files:
        if name.endswith(".docx"):
            with zipfile.ZipFile(out / name) as z:
                assert z.testzip() is None
    assert letters[0] == letters[1] == drafted
    return {"files": files, "letters": letters[0], "events": events}


def copy_home(base: Path, home: Path, clone_db: Callable[..., PleaDB]) -> None:
    """home: a copy of the base's data folder and database."""
    shutil.copytree(base, home)
    DATABASES[home] = clone_db(home, DATABASES[base])


def trial(
    base: Path,
    tmp: Path,
    rng: random.Random,
    reference: dict[str, object],
    jobs: str,
    clone_db: Callable[..., PleaDB],
) -> int:
    """One kill and re-run; how many files were recorded when the batch was killed."""
    home = tmp / "home"
    copy_home(base, home, clone_db)
    out = tmp / "out"
    env = env_for(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "plea", "batch", "--out", str(out), *ARGS, "--jobs", jobs],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if rng.random() < 0.25:  # anywhere from start-up on
        time.sleep(rng.uniform(0.1, 4.0))
    else:  # while letters are written: the journal of pending files is there from then on
        journal = out / ".plea-batch" / "pending"
        deadline = time.monotonic() + 60
        while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        # the first chunk is recorded once the second has rendered: the first fifth is mostly before it
        writing = WRITING.get("seconds", 1.5)
        time.sleep(rng.uniform(0.2 * writing, writing))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.2)  # workers die with it (PR_SET_PDEATHSIG)
    # whatever stands under a final name is whole
    if out.exists():
        for p in out.rglob("*.docx"):
            with zipfile.ZipFile(p) as z:
                assert z.testzip() is None and "word/document.xml" in z.namelist(), p
    killed_at = scalar(DATABASES[home], "SELECT count(*) FROM rendition")
    r = run(home, out, "--jobs", jobs)
    assert r.returncode == 0, r.stderr
    assert state(home, out) == reference
    assert os.listdir(out / ".plea-batch") == ["lock"]  # the killed run's work folder and journal are gone
    again = run(home, out)
    assert r.returncode == 0 and "0 rendered" in again.stderr, again.stderr
    return killed_at


@pytest.fixture
def base(db_file: PleaDB, plea_home: Path, plea) -> Iterator[Path]:
    # four clients: the writing lasts long enough for kills to fall in it, not only before or after
    for name in ("Ivan Petrov", "Olga Ivanova", "Pavel Sidorov", "Anna Smirnova"):
        plea(
            "cases",
            "add",
            "--reply-to",
            "answers@example.org",
            "--name",
            name,
            "--nationality",
            "RU",
            "--persecution",
            "Arrested for posts.",
            "--rep-name",
            "Jane Counsel",
        )
    from plea.cli.common import close_all

    close_all()  # nothing connected to it: it is copied
    DATABASES[plea_home] = db_file
    yield plea_home
    DATABASES.clear()


@pytest.fixture
def reference(base: Path, tmp_path: Path, clone_db: Callable[..., PleaDB]) -> dict[str, object]:
    home = tmp_path / "ref-home"
    copy_home(base, home, clone_db)
    out = tmp_path / "ref-out"
    proc = subprocess.Popen([sys.executable, "-m", "plea", "batch", "--out", str(out), *ARGS],
                            env=env_for(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    journal, deadline = out / ".plea-batch" / "pending", time.monotonic() + 600
    while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    _, stderr = proc.communicate(timeout=600)
    WRITING["seconds"] = time.monotonic() - started
    assert proc.returncode == 0, stderr
    found = state(home, out)
    assert found["letters"] > 300  # enough work to be killed in the middle of
    return found


def _trials(
    base: Path, tmp_path: Path, reference: dict[str, object], n: int, clone_db: Callable[..., PleaDB]
) -> list[int]:
    rng = random.Random(int(os.environ.get("PLEA_CRASH_SEED", "20261123")))
    killed_at = []
    for i in range(n):
        t = tmp_path / f"trial{i}"
        t.mkdir()
        killed_at.append(trial(base, t, rng, reference, "2" if i % 3 == 2 else "1", clone_db))
    return killed_at


def test_kill_and_rerun_batch(base: Path, tmp_path: Path, reference: dict[str, object], clone_db) -> None:
    _trials(base, tmp_path, reference, FEW, clone_db)


@pytest.mark.slow
def test_kill_and_rerun_batch_many(
    base: Path, tmp_path: Path, reference: dict[str, object], clone_db
) -> None:
    killed_at = _trials(base, tmp_path, reference, MANY, clone_db)
    total = len(reference["files"])  # type: ignore[arg-type]
    # the kills fell before, during and after the writing, and many in the middle of it
    assert sum(1 for k in killed_at if 0 < k < total) >= MANY // 4, killed_at
