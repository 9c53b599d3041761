"""`plea config …`: settings kept in the database, and `plea config password` (the system keyring)."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db
from plea.i18n import translate
from plea.settings import SETTINGS

app = typer.Typer(help="Settings kept in the database.", no_args_is_help=True)


@app.command("set")
def config_set(key: Annotated[str, typer.Argument(help=", ".join(SETTINGS))], value: str) -> None:
    """Set a setting."""
    from plea.settings import check, set_setting

    value = check(key, value)
    db = open_db()
    with db.transaction() as s:
        set_setting(s, key, value, actor=actor())
    typer.echo(f"{key} = {value}")


@app.command("get")
def config_get(key: Annotated[str | None, typer.Argument(help="A setting (default: all).")] = None) -> None:
    """Show settings."""
    from plea.settings import shown

    db = open_db()
    with db.read() as s:
        for k, value in shown(s, key):
            typer.echo(f"{k} = {value}")


@app.command("password")
def config_password(
    kind: Annotated[str, typer.Argument(help="smtp or imap.", metavar="smtp|imap")],
) -> None:
    """Store the SMTP or IMAP password in the system keyring (asked for, never shown)."""
    from plea.config import server, store_password
    from plea.errors import InvalidInput
    from plea.mail import load_settings

    if kind not in ("smtp", "imap"):
        raise InvalidInput(f"{kind!r}: say smtp or imap")
    db = open_db()
    with db.read() as s:
        srv = server(load_settings(s), kind)
    if not srv.user:
        raise InvalidInput(f"set {kind}.user first (`plea config set {kind}.user NAME`)")
    secret = str(typer.prompt(translate(f"{kind.upper()} password for {srv.user}@{srv.host}"), hide_input=True))
    if not secret:
        raise InvalidInput("no password given; nothing was stored")
    store_password(srv, secret)
    note(f"stored in the system keyring for {srv.user}@{srv.host}")
