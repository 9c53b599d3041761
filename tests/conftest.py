"""Shared fixtures: every test gets its own PLEA_HOME; a test that uses the database gets it on
each backend in turn (the `backend` fixture: `test_x[sqlite]`, `test_x[postgresql]`).

- `db_file`: a database with the shipped embassy directory: on SQLite a copy of a file built once
  per session, in the test's PLEA_HOME; on PostgreSQL a copy (CREATE DATABASE … TEMPLATE) of a
  database built once per session on a throwaway server (tests/pg_server.py), exported as
  PLEA_DATABASE_URL and dropped afterwards. It is a `tests.dbcheck.PleaDB`: read it with
  `tests.dbcheck.rows(db_file, sql, *args)`, the same on both backends.
- `empty_db`: the same, with nothing in it (for tests that run `plea init` themselves).
- `days`: the days the test has run on (a run may cross midnight): `assert recorded in days` for a
  day a command took as today; `one_day` for a test about one day's events (it waits out midnight),
  `one_year` for one whose case references carry the year (it waits out the new year).
- `@pytest.mark.sqlite_only`: a test about SQLite itself (the file, SQLCipher, …) runs on SQLite only.
- `--backend sqlite|postgresql` runs one backend only; without PostgreSQL's binaries the
  postgresql variants are skipped with the reason.
- `--fast`: the everyday tier (CONTRIBUTING.md "Tests"): SQLite only, without the tests marked
  `heavy` (kill -9 trials, LibreOffice, Chromium, wheel builds, concurrency stress) or `slow`, with
  the small Hypothesis profile `fast`, on 2 pytest-xdist workers. It lists the tests that took over
  FAST_LIMIT seconds, to be marked heavy so that the tier stays under three minutes."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from plea.cli import app
from tests.dbcheck import PleaDB

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
FAST_MARKS = "not slow and not heavy and not soffice"  # what --fast leaves out
FAST_WORKERS = 2
FAST_LIMIT = 5.0  # seconds: a fast-tier test slower than this is listed at the end of --fast

# Hypothesis: "fast" for --fast (tests that set max_examples take tests.tiers.examples(n));
# the full run keeps Hypothesis's defaults and each test's own count
settings.register_profile("fast", max_examples=10, deadline=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=(*BACKENDS, "both"),
        default="both",
        help="run the database tests on this backend only (default: both)",
    )
    parser.addoption(
        "--fast",
        action="store_true",
        help=f"the fast tier: --backend sqlite, -m '{FAST_MARKS}', the 'fast' Hypothesis profile, "
        f"-n {FAST_WORKERS} (pytest-xdist) unless -n is given",
    )


def pytest_configure(config: pytest.Config) -> None:
    """--fast sets the options it stands for (in each xdist worker too: they get the same options).
    It runs before xdist's own pytest_configure (trylast), which starts the workers."""
    xdist = config.getoption("fast") or getattr(config.option, "numprocesses", None)
    if (xdist or hasattr(config, "workerinput")) and hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True  # pytest-benchmark, if installed, warns under xdist
    if not config.getoption("fast"):
        return
    config.option.backend = "sqlite"
    marks = config.option.markexpr
    if FAST_MARKS not in marks:
        config.option.markexpr = f"({marks}) and {FAST_MARKS}" if marks else FAST_MARKS
    settings.load_profile("fast")
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return
    if config.option.numprocesses is None:  # -n not given: the tier's workers
        config.option.numprocesses = FAST_WORKERS
        config.option.dist = "load" if config.option.dist == "no" else config.option.dist
        config.option.tx = ["popen"] * FAST_WORKERS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """--fast: name the tests slower than FAST_LIMIT (informative: timings vary with the load)."""
    if not config.getoption("fast") or hasattr(config, "workerinput"):
        return
    slow = sorted(
        ((r.duration, r.nodeid) for r in terminalreporter.getreports("passed") if r.when == "call"),
        reverse=True,
    )
    slow = [(d, n) for d, n in slow if d > FAST_LIMIT]
    if slow:
        terminalreporter.write_sep("-", f"fast tier: tests over {FAST_LIMIT:.0f} s (mark them heavy?)")
        for d, n in slow:
            terminalreporter.write_line(f"{d:6.1f} s  {n}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the database (`backend` in its fixture closure) runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("backend")
    names = [n for n in BACKENDS if chosen in ("both", n)]
    if metafunc.definition.get_closest_marker("sqlite_only"):
        names = ["sqlite"]  # deselected below with --backend postgresql
    metafunc.parametrize("backend", names, ids=names, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--backend postgresql leaves out the SQLite-only tests."""
    if config.getoption("backend") != "postgresql":
        return
    dropped = [i for i in items if i.get_closest_marker("sqlite_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if not i.get_closest_marker("sqlite_only")]


@pytest.fixture(autouse=True)
def plea_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    home = tmp_path / "plea-home"
    monkeypatch.setenv("PLEA_HOME", str(home))
    monkeypatch.setenv("PLEA_ACTOR", "tester")
    monkeypatch.setenv("PLEA_BUSY_TIMEOUT_MS", "300")
    monkeypatch.delenv("PLEA_DATABASE_URL", raising=False)
    # plea's interface in English unless a test asks for another (plea.i18n)
    monkeypatch.setenv("PLEA_LANG", "en")
    # compiled templates kept per test, never in the user's own cache folder (plea.render.compiled)
    monkeypatch.setenv("PLEA_CACHE_DIR", str(tmp_path / "plea-cache"))
    yield home
    if "backend" not in request.fixturenames and (home / "plea.sqlite3").exists():
        pytest.fail(
            "this test made a plea database without the backend fixture: use db_file or empty_db "
            "(and @pytest.mark.sqlite_only if it is about SQLite itself)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def _initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite database with the shipped embassy directory, built once per session."""
    import os

    folder = tmp_path_factory.mktemp("initdb")
    saved = {k: os.environ.pop(k, None) for k in ("PLEA_HOME", "PLEA_DATABASE_URL")}
    os.environ["PLEA_HOME"] = str(folder)
    try:
        result = CliRunner().invoke(app, ["init"])
        assert result.exit_code == 0, result.output
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v
    return folder / "plea.sqlite3"


def copy_initialised(initialised: Path, target: Path) -> Path:
    """A SQLite copy of the session's initialised database at target (0600)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    src, dst = sqlite3.connect(initialised), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    target.chmod(0o600)
    return target


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One throwaway PostgreSQL server for the session (the postgresql variants are skipped, with the
    reason, if none can run here)."""
    import os
    import subprocess

    from tests.pg_server import PostgresServer, why_unavailable

    # CI sets PLEA_TEST_POSTGRESQL=required: there a missing server fails instead of skipping
    give_up = pytest.fail if os.environ.get("PLEA_TEST_POSTGRESQL") == "required" else pytest.skip
    reason = why_unavailable()
    if reason:
        give_up(reason)
    server = PostgresServer()
    try:
        server.start()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        server.stop()
        give_up(f"PostgreSQL would not start here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest, plea_home: Path) -> str:
    """The database backend of this run of the test: "sqlite" or "postgresql" (parametrized by
    pytest_generate_tests). On PostgreSQL it needs the session's server."""
    name = str(request.param)
    if name == "postgresql":
        request.getfixturevalue("pg_server")
    return name


def _pg_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, *, initialised: bool):  # type: ignore[no-untyped-def]
    server = request.getfixturevalue("pg_server")
    url = server.create_database(initialised=initialised)
    monkeypatch.setenv("PLEA_DATABASE_URL", url)
    yield PleaDB("postgresql", url)
    from plea.cli.common import close_all
    from tests.dbcheck import dispose

    close_all()
    dispose()
    server.drop_database(url)


@pytest.fixture
def db_file(
    backend: str, request: pytest.FixtureRequest, plea_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PleaDB]:
    """The test's database with the shipped embassy directory loaded, on this run's backend."""
    if backend == "sqlite":
        initialised = request.getfixturevalue("_initialised")
        target = copy_initialised(initialised, plea_home / "plea.sqlite3")
        yield PleaDB("sqlite", f"sqlite:///{target}", target)
        return
    plea_home.mkdir(parents=True, exist_ok=True, mode=0o700)  # the data folder, as on SQLite
    yield from _pg_database(request, monkeypatch, initialised=True)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, plea_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """For PostgreSQL-only tests: a fresh PostgreSQL database with the shipped embassies, as
    PLEA_DATABASE_URL; dropped afterwards."""
    if request.config.getoption("backend") == "sqlite":
        pytest.skip("--backend sqlite")
    for db in _pg_database(request, monkeypatch, initialised=True):
        yield db.url


@pytest.fixture
def empty_db(
    backend: str, request: pytest.FixtureRequest, plea_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PleaDB]:
    """No database yet (SQLite: no file in PLEA_HOME; PostgreSQL: an empty database)."""
    if backend == "sqlite":
        target = plea_home / "plea.sqlite3"
        yield PleaDB("sqlite", f"sqlite:///{target}", target)
        return
    yield from _pg_database(request, monkeypatch, initialised=False)


@pytest.fixture
def clone_db(backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """clone_db(home) → a further database for plea runs with PLEA_HOME=home (SQLite:
    home/plea.sqlite3; PostgreSQL: a new database, dropped afterwards): with the shipped
    embassies, a copy of `source`, or with `empty=True` nothing. Give a subprocess
    `PleaDB.env(home)`; `use=True` points this test's own plea runs at it."""
    made: list[str] = []

    def clone(home: Path, source: PleaDB | None = None, *, empty: bool = False, use: bool = False) -> PleaDB:
        if backend == "sqlite":
            target = home / "plea.sqlite3"
            if not empty:
                copy_initialised(source.path if source else request.getfixturevalue("_initialised"), target)
            db = PleaDB("sqlite", f"sqlite:///{target}", target)
        else:
            server = request.getfixturevalue("pg_server")
            template = source.url.rsplit("/", 1)[1] if source is not None else None
            db = PleaDB("postgresql", server.create_database(initialised=not empty, template=template))
            made.append(db.url)
        if use:
            monkeypatch.setenv("PLEA_HOME", str(home))
            if not db.is_sqlite:
                monkeypatch.setenv("PLEA_DATABASE_URL", db.url)
        return db

    yield clone
    if made:
        from plea.cli.common import close_all
        from tests.dbcheck import dispose

        close_all()
        dispose()
        server = request.getfixturevalue("pg_server")
        for url in made:
            server.drop_database(url)


class Runner:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, input: str | None = None):  # noqa: A002
        result = self.runner.invoke(app, list(args), input=input)
        assert result.exit_code == code, (
            f"exit {result.exit_code} != {code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
            f"exception: {result.exception!r}"
        )
        return result


@pytest.fixture
def plea() -> Iterator[Runner]:
    yield Runner()


@pytest.fixture
def templates_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of templates/ that plea renders from instead of the shipped one
    (PLEA_TEMPLATES: rendered like templates from elsewhere, in a confined child process):
    tests may break it at will. Yields the copy's templates/ folder."""
    import shutil

    import plea.render.catalog
    import plea.render.letter

    root = tmp_path / "tpl" / "templates"
    shutil.copytree(REPO / "templates", root)

    def clear() -> None:
        plea.render.catalog.load_catalog.cache_clear()
        plea.render.letter._environment.cache_clear()

    monkeypatch.setenv("PLEA_TEMPLATES", str(root))
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "20")
    clear()
    yield root
    clear()


class Days:
    """The days a test has run on so far, from when it asked for `days` to now: the day a command it
    ran in between took as today (the local date, as plea reads it) is one of them. A run that
    crosses midnight sees two, and its commands may have taken either."""

    def __init__(self) -> None:
        self.first = date.today()

    def all(self) -> list[date]:
        last = date.today()
        return [self.first + timedelta(days=n) for n in range((last - self.first).days + 1)]

    def __contains__(self, day: object) -> bool:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        return isinstance(day, date) and self.first <= day <= date.today()

    def ago(self, n: int) -> set[str]:
        """The ISO days n days before one of these days: what `--on -Nd` named."""
        return {(d - timedelta(days=n)).isoformat() for d in self.all()}

    def since(self, day: date) -> set[int]:
        """The number of days from `day` to one of these days: what a command counted as days waiting."""
        return {(d - day).days for d in self.all()}

    def __repr__(self) -> str:
        return f"Days({self.first.isoformat()}..{date.today().isoformat()})"


@pytest.fixture
def days() -> Days:
    """The days this test has run on (Days). Ask for it before the fixtures that run commands."""
    return Days()


ONE_DAY_MARGIN = 60  # seconds: longer than any test that asks for one_day or one_year


def _wait_out_midnight(*, new_year_only: bool) -> None:
    now = datetime.now()
    if new_year_only and (now.month, now.day) != (12, 31):
        return
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time()) - now).total_seconds()
    if left < ONE_DAY_MARGIN:
        time.sleep(left + 0.5)


@pytest.fixture
def one_day() -> None:
    """For a test about what happened on one day (a history grouped by day): it does not start within
    ONE_DAY_MARGIN seconds of midnight, it waits for the new day instead. Ask for it first."""
    _wait_out_midnight(new_year_only=False)


@pytest.fixture
def one_year() -> None:
    """For a test that names its cases by the year (PLEA-2026-0001: the year a case is made): it does
    not start within ONE_DAY_MARGIN seconds of the new year, it waits for it instead."""
    _wait_out_midnight(new_year_only=True)



@pytest.fixture
def this_year(one_year: None, request: pytest.FixtureRequest) -> None:
    """Case references carry the year the case is made: the running test's. Sets the test module's
    YEAR, and its REF (the first case) or REFS (the first cases) where it has them, as a module-level
    constant would keep the year the tests were collected in (one_year: no test straddles the new
    year). A module asks for it with `pytestmark = pytest.mark.usefixtures("this_year")`."""
    module, year = request.module, date.today().year
    module.YEAR = year
    if hasattr(module, "REF"):
        module.REF = f"PLEA-{year}-0001"
    if hasattr(module, "REFS"):
        module.REFS = [f"PLEA-{year}-{n:04d}" for n in range(1, len(module.REFS) + 1)]