"""Where plea's data lives: PLEA_HOME, else the per-user data directory.

Light on imports on purpose: `plea db path` and start-up must not pay for SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path

from plea.fileio import private_folder

DB_FILENAME = "plea.sqlite3"


def home() -> Path:
    env = os.environ.get("PLEA_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("plea", appauthor=False))


def ensure_home() -> Path:
    """Create the data folder (0700) and return it."""
    return private_folder(home())


def database_url(db_path: str | Path | None = None) -> str:
    """--db PATH beats PLEA_DATABASE_URL, which beats PLEA_HOME and the default."""
    if db_path is not None:
        return "sqlite:///" + str(Path(db_path).expanduser().resolve())
    env = os.environ.get("PLEA_DATABASE_URL")
    if env:
        return env
    return "sqlite:///" + str(home() / DB_FILENAME)


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other databases and in-memory ones."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix):].split("?", 1)[0]
            return Path(rest) if rest and rest != ":memory:" else None
    return None


def display_url(url: str) -> str:
    """A URL safe to print: the password hidden."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


SQLITE_MAGIC = b"SQLite format 3\x00"


def is_encrypted_file(path: Path) -> bool:
    """A SQLCipher file has no plain SQLite header (its first page is encrypted too)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return len(head) == 16 and head != SQLITE_MAGIC
