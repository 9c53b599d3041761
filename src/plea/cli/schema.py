"""`plea schema …`: the JSON Schemas of plea's --json outputs, for scripts that read them."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import print_json

app = typer.Typer(help="JSON Schemas (draft 2020-12) of every --json output: list them, print one.",
                  no_args_is_help=True)


@app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The schemas' names, one a line: a command's words joined by "-" (db status → db-status)."""
    from plea.schemas import names

    found = names()
    if json_:
        print_json(found)
        return
    typer.echo("\n".join(found))  # one write: `plea schema list | head` reads it whole


@app.command("show")
def show(name: Annotated[str, typer.Argument(
        help="A schema's name, e.g. cases-list (see `plea schema list`).", metavar="NAME")]) -> None:
    """Print one schema (JSON)."""
    from plea.schemas import text

    typer.echo(text(name), nl=False)
