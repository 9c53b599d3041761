"""`plea config …`: settings kept in the database, and `plea config password` (the system keyring)."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db
from plea.config import MAIL_DEFAULTS, MAIL_SETTINGS

app = typer.Typer(help="Settings kept in the database.", no_args_is_help=True)
SETTINGS = {"followup_days": "days after sending before a follow-up is due (default 21)", **MAIL_SETTINGS}
SETTINGS["docs.max_mb"] = "largest case document `plea docs add` keeps, in MB (default 25)"
SETTINGS["organisation"] = ("your organisation's name, written as verified_by in shared corrections "
                            "(`embassies export --verified-only`) instead of anyone's login")
SETTINGS["contact_max_age_days"] = ("days after which a mission's contact details count as unchecked "
                                    "(default 365): `plea letters plan` warns about older ones")


@app.command("set")
def config_set(key: Annotated[str, typer.Argument(help=", ".join(SETTINGS))], value: str) -> None:
    """Set a setting."""
    from plea.campaign import set_setting
    from plea.errors import InvalidInput

    if key.endswith(".password") or key in MAIL_SETTINGS:
        from plea.config import check_mail_setting

        value = check_mail_setting(key, value)
    if key not in SETTINGS:
        raise InvalidInput(f"unknown setting {key!r}; settings: {', '.join(SETTINGS)}")
    if key == "followup_days" and (not value.isdigit() or not 1 <= int(value) <= 365):
        raise InvalidInput(f"followup_days: {value!r} is not a number of days from 1 to 365")
    if key == "docs.max_mb":
        try:
            if not 0 < float(value) <= 1000:
                raise ValueError
        except ValueError:
            raise InvalidInput(f"docs.max_mb: {value!r} is not a size in MB from 0 to 1000") from None
    if key == "contact_max_age_days" and (not value.isdigit() or not 1 <= int(value) <= 36500):
        raise InvalidInput(f"contact_max_age_days: {value!r} is not a number of days (at least 1)")
    db = open_db()
    with db.transaction() as s:
        set_setting(s, key, value, actor=actor())
    typer.echo(f"{key} = {value}")


@app.command("get")
def config_get(key: Annotated[str | None, typer.Argument(help="A setting (default: all).")] = None) -> None:
    """Show settings."""
    from plea.campaign import DEFAULT_FOLLOWUP_DAYS, get_setting

    db = open_db()
    defaults = {"followup_days": str(DEFAULT_FOLLOWUP_DAYS), **MAIL_DEFAULTS}
    defaults["contact_max_age_days"] = "365"
    defaults["docs.max_mb"] = "25"
    with db.read() as s:
        for k in [key] if key else list(SETTINGS):
            typer.echo(f"{k} = {get_setting(s, k) or defaults.get(k, '')}")


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
    secret = str(typer.prompt(f"{kind.upper()} password for {srv.user}@{srv.host}", hide_input=True))
    if not secret:
        raise InvalidInput("no password given; nothing was stored")
    store_password(srv, secret)
    note(f"stored in the system keyring for {srv.user}@{srv.host}")
