"""Shared fixtures: every test gets its own PLEA_HOME; a database with the shipped
embassy directory is built once per session and copied for the tests that need it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plea.cli import app

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def plea_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "plea-home"
    monkeypatch.setenv("PLEA_HOME", str(home))
    monkeypatch.setenv("PLEA_ACTOR", "tester")
    monkeypatch.setenv("PLEA_BUSY_TIMEOUT_MS", "300")
    monkeypatch.delenv("PLEA_DATABASE_URL", raising=False)
    monkeypatch.delenv("PLEA_LANG", raising=False)
    return home


@pytest.fixture(scope="session")
def _initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    folder = tmp_path_factory.mktemp("initdb")
    old = os.environ.get("PLEA_HOME")
    os.environ["PLEA_HOME"] = str(folder)
    try:
        result = CliRunner().invoke(app, ["init"])
        assert result.exit_code == 0, result.output
    finally:
        if old is None:
            del os.environ["PLEA_HOME"]
        else:
            os.environ["PLEA_HOME"] = old
    return folder / "plea.sqlite3"


@pytest.fixture
def db_file(_initialised: Path, plea_home: Path) -> Path:
    """A database with the shipped embassy directory loaded, in this test's PLEA_HOME."""
    plea_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = plea_home / "plea.sqlite3"
    src, dst = sqlite3.connect(_initialised), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    target.chmod(0o600)
    return target


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

