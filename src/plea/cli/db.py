"""`plea init` and `plea db …`: find, inspect, check and back up the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import OPTIONS, actor, note, open_db, print_json
from plea.i18n import N_

app = typer.Typer(help="Where your data is, and how to check and back it up.", no_args_is_help=True)


def init(
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Create an encrypted (SQLCipher) database; passphrase from PLEA_PASSPHRASE, the keyring or a prompt.")] = False,
) -> None:
    """Create the database (if needed) and load the shipped embassy directory. Safe to run again."""
    from plea.directory.importing import load_shipped

    db = open_db(create=True, encrypt=encrypt)
    with db.transaction() as s:
        result = load_shipped(s, actor=actor())
    note(f"database: {db.display} (encrypted)" if db.encrypted else f"database: {db.display}")
    note(f"embassy directory: {result.summary()}")
    typer.echo(db.display)


@app.command("path")
def path() -> None:
    """Print where the database is."""
    from plea.db.location import database_url, display_url

    typer.echo(display_url(database_url(OPTIONS.db)))


@app.command("status")
def status(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Schema version and row counts."""
    from plea.db.maintenance import status as db_status

    info = db_status(open_db())
    if json_:
        print_json(info)
        return
    typer.echo(f"database: {info['database']}")
    typer.echo(f"schema version: {info['schema_version']}")
    typer.echo(f"encrypted: {'yes' if info['encrypted'] else 'no'}")
    for name, n in info["rows"].items():
        typer.echo(f"  {name:<12} {n:>8}")


@app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the database safely while it may be in use (SQLite online backup, atomic)."""
    from plea.db.maintenance import backup as db_backup

    target = db_backup(open_db(), file, force=force)
    typer.echo(str(target))


@app.command("check")
def check(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the database: SQLite's integrity and foreign keys; on PostgreSQL, rows pointing
    nowhere, unvalidated constraints, invalid indexes (and damaged ones, with amcheck); on both,
    the kept report totals against a recount. Prints ok, or the problems (exit 5)."""
    from plea.db.maintenance import check as db_check
    from plea.errors import DatabaseProblem

    problems, checked = db_check(open_db())
    if json_:
        print_json({"ok": not problems, "problems": problems, "checked": checked})
    if problems:
        raise DatabaseProblem(N_("the database check found problems:") + "\n" + "\n".join(problems),
                              hint="restore a backup (`plea db backup` makes them) or ask for help")
    if not json_:
        typer.echo("ok")
    listed = "; ".join(checked)
    note(f"checked: {listed}")


@app.command("rekey")
def rekey() -> None:
    """Change an encrypted database's passphrase (new one from PLEA_NEW_PASSPHRASE or a prompt)."""
    from plea.errors import InvalidInput
    from plea.secrets import check_new, get_passphrase

    db = open_db()
    new = get_passphrase(db.display, new=True, env="PLEA_NEW_PASSPHRASE", prompt="New passphrase")
    if new is None:
        raise InvalidInput("no new passphrase: set PLEA_NEW_PASSPHRASE or run in a terminal")
    db.rekey(check_new(new))
    with db.transaction() as s:
        from plea.history import record

        record(s, "db.rekeyed", actor=actor())
    note("passphrase changed; if you keep it in the system keyring, update it there")
    typer.echo(db.display)
