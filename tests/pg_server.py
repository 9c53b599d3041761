"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, pg_ctl start on a
loopback port (and a private unix socket), one fresh database per test, removed at the end
(the fixtures are in tests/conftest.py: pg_server, backend, db_file, empty_db).

Uses Debian's `postgresql` package (apt-get install postgresql); when its binaries are absent
the tests that need it are skipped with the reason. As root the server runs as the `postgres`
user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_counter = itertools.count(1)


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: PLEA_PG_BINDIR, PATH, then /usr/lib/postgresql/*/bin."""
    env = os.environ.get("PLEA_PG_BINDIR")
    if env:
        return Path(env) if (Path(env) / "initdb").exists() else None
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def why_unavailable() -> str | None:
    """None if a server can be started here, else why not (the skip reason)."""
    if find_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'plea[postgres]'"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, for the length of a test session."""

    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="plea-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = "plea"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        os.chmod(self.folder, 0o700)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", TZ="UTC")
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False, cwd=self.folder
        )

    def start(self) -> None:
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
            "--no-sync",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "
            "-c shared_buffers=32MB -c timezone=UTC"
        )
        started = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if started.returncode != 0:
            log = (
                (self.folder / "server.log").read_text(errors="replace")
                if (self.folder / "server.log").exists()
                else ""
            )
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log[-2000:]}")

    def stop(self) -> None:
        try:
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self, *, initialised: bool = False, template: str | None = None) -> str:
        """A new database (empty, or with `plea init` done: a copy of a template made once, or a copy
        of the database named `template`); its URL."""
        name = f"plea_test_{os.getpid()}_{next(_counter)}_{int(time.time() * 1000) % 100000}"
        if template is None:
            template = self._template() if initialised else "template0"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'')
        return self.url(name)

    def _template(self) -> str:
        name = "plea_initialised"
        if getattr(self, "_initialised", False):
            return name
        self.admin(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        from typer.testing import CliRunner

        from plea.cli import app

        old = os.environ.get("PLEA_DATABASE_URL")
        os.environ["PLEA_DATABASE_URL"] = self.url(name)
        try:
            result = CliRunner().invoke(app, ["init"])
            assert result.exit_code == 0, result.output
        finally:
            if old is None:
                del os.environ["PLEA_DATABASE_URL"]
            else:
                os.environ["PLEA_DATABASE_URL"] = old
        self._initialised = True
        return name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
