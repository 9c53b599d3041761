"""`plea routes …`: which authority of a state decides a kind of protection, with the official source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table, with_options

app = typer.Typer(
    help="Routes: which authority of a state decides a protection (humanitarian visa, asylum…), "
    "through which channel, each with its official source.",
    no_args_is_help=True,
)

StateArg = Annotated[str, typer.Argument(help="The state, e.g. DE or Germany.", metavar="STATE")]
ProtectionArg = Annotated[
    str, typer.Argument(help="humanitarian-visa, asylum, resettlement or safe-passage.", metavar="PROTECTION")
]
AuthorityOpt = Annotated[
    str | None,
    typer.Option(
        "--authority", help="The directory id of the authority that decides (see `plea embassies list`)."
    ),
]
ChannelOpt = Annotated[str | None, typer.Option("--channel", help="post, email, web-form or in-person.")]
UrlOpt = Annotated[str | None, typer.Option("--url", help="The official page about this route.")]
DocumentsOpt = Annotated[str | None, typer.Option("--documents", help="The documents the source asks for.")]
DeadlineOpt = Annotated[
    str | None, typer.Option("--deadline", help="A deadline or processing time, as the source states it.")
]
NotesOpt = Annotated[str | None, typer.Option("--notes")]
SourceOpt = Annotated[str | None, typer.Option("--source-url", help="The official page you read this on.")]
CheckedOpt = Annotated[str | None, typer.Option("--checked-on", help="The day you read it, YYYY-MM-DD.")]
#: the options of `routes add` and `routes edit`, in the order --help shows them
ROUTE_OPTIONS = {"source_url": SourceOpt, "checked_on": CheckedOpt, "authority": AuthorityOpt,
                 "channel": ChannelOpt, "url": UrlOpt, "documents": DocumentsOpt, "deadline": DeadlineOpt,
                 "notes": NotesOpt}


def _state(value: str) -> str:
    from plea import states

    return states.resolve(value, states.user_langs())


def _values(**kw: str | None) -> dict[str, str]:
    return {k: v for k, v in kw.items() if v is not None}


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state's routes.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The routes recorded, each with its source and the day it was checked."""
    from plea import states
    from plea.routes import list_routes, route_dict

    db = open_db()
    with db.read_rows() as conn:
        rows = list_routes(conn, _state(state) if state else None)
    if json_:
        print_json([route_dict(r) for r in rows])
        return
    t = table("state", "protection", "authority", "channel", "page", "source", "checked on")
    for r in rows:
        t.add_row(
            f"{states.name(r.state)} ({r.state})",
            r.protection,
            r.authority,
            r.channel,
            r.url,
            r.source_url,
            r.checked_on.isoformat(),
        )
    out().print(t)
    note(f"{len(rows)} route(s)")


@app.command("add")
@with_options(ROUTE_OPTIONS)
def add(state: StateArg, protection: ProtectionArg, **fields: str | None) -> None:
    """Add a route; it needs the official page you read (--source-url) and the day (--checked-on)."""
    from datetime import date

    from plea.routes import add as add_route

    values = {"state": _state(state), "protection": protection, **_values(**fields)}
    db = open_db()
    with db.transaction() as s:
        r = add_route(s, values, actor=actor(), today=date.today())
    typer.echo(f"{r.state} {r.protection}")


@app.command("edit")
@with_options(ROUTE_OPTIONS)
def edit(state: StateArg, protection: ProtectionArg, **fields: str | None) -> None:
    """Change a route (give --checked-on when you read its source again)."""
    from datetime import date

    from plea.routes import edit as edit_route

    db = open_db()
    with db.transaction() as s:
        r = edit_route(s, _state(state), protection, _values(**fields), actor=actor(), today=date.today())
    typer.echo(f"{r.state} {r.protection}")


@app.command("remove")
def remove(state: StateArg, protection: ProtectionArg) -> None:
    """Remove a route."""
    from plea.routes import remove as remove_route

    code = _state(state)
    db = open_db()
    with db.transaction() as s:
        remove_route(s, code, protection, actor=actor())
    note(f"route removed: {code} {protection}")


@app.command("import")
def import_(
    file: Annotated[
        Path | None, typer.Argument(help="CSV with the columns of data/routes.csv.", metavar="[FILE]")
    ] = None,
    shipped: Annotated[bool, typer.Option("--shipped", help="Import the routes shipped with plea.")] = False,
) -> None:
    """Add or replace routes from a CSV; every row needs source_url and checked_on. A bad row imports
    nothing."""
    from datetime import date

    from plea.errors import InvalidInput
    from plea.routes import import_file, shipped_csv

    if (file is None) == (not shipped):
        raise InvalidInput("give a FILE or --shipped (one of them)")
    path = shipped_csv() if shipped else file
    assert path is not None
    db = open_db()
    with db.transaction() as s:
        added, replaced = import_file(s, path, actor=actor(), today=date.today())
    note(f"{added} route(s) added, {replaced} replaced from {path}")


@app.command("export")
def export(
    file: Annotated[
        Path | None, typer.Argument(help="Write here (atomically) instead of stdout.", metavar="[FILE]")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """The routes as CSV (the columns `plea routes import` reads)."""
    from plea.routes import export_csv, list_routes

    db = open_db()
    with db.read_rows() as conn:
        text = export_csv(list_routes(conn))
    if file is None:
        sys.stdout.write(text)
        return
    from plea.cli.common import save_output

    save_output(file, text.encode("utf-8"), force=force)
    typer.echo(str(file))
