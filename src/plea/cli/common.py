"""What every command shares: global options, opening the database, printing.

Only light imports at module level: `plea --help` must not load SQLAlchemy, Jinja,
python-docx or Babel (tests/test_startup.py checks it).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from plea.db.engine import Database


@dataclass
class Options:
    db: str | None = None
    debug: bool = False
    actor: str | None = None


OPTIONS = Options()
_OPENED: list[Database] = []


def open_db(*, create: bool = False, encrypt: bool = False) -> Database:
    from plea.db.location import database_url, is_encrypted_file, sqlite_path

    url = database_url(OPTIONS.db)
    path = sqlite_path(url)
    passphrase = None
    if path is not None and path.exists() and is_encrypted_file(path):
        from plea.secrets import get_passphrase

        passphrase = get_passphrase(str(path))
    elif encrypt:
        from plea.errors import Conflict, InvalidInput
        from plea.secrets import check_new, get_passphrase

        if path is None:
            raise InvalidInput("--encrypt works on SQLite databases (PostgreSQL encrypts at its own level)")
        if path.exists() and path.stat().st_size > 0:
            raise Conflict(f"{path} exists and is not encrypted",
                           hint="back it up (`plea db backup`), then create an encrypted one elsewhere with --db")
        passphrase = get_passphrase(str(path), new=True, prompt="New passphrase")
        if passphrase is None:
            raise InvalidInput("--encrypt needs a passphrase: set PLEA_PASSPHRASE or run in a terminal")
        check_new(passphrase)
    from plea.db.engine import open_database

    db = open_database(url, create=create, passphrase=passphrase)
    _OPENED.append(db)
    return db


def close_all() -> None:
    """Close what this command opened (SQLite checkpoints its WAL on the last close)."""
    while _OPENED:
        _OPENED.pop().close()


def actor() -> str:
    from plea.history import current_actor

    return current_actor(OPTIONS.actor)


def out() -> Console:
    from rich.console import Console

    return Console(soft_wrap=False)


def err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def note(message: str) -> None:
    """A notice for people: stderr, so stdout stays the result."""
    typer.echo(message, err=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c)
    return t
