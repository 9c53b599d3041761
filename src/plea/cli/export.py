"""`plea export`: every table to CSV or JSON files, optionally redacted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, print_json

DirArg = Annotated[Path, typer.Argument(help="Folder for the files (created if missing).", metavar="DIR")]
FormatOpt = Annotated[
    str, typer.Option("--format", help="csv or json: one file per table, and manifest.json.")
]
RedactOpt = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="Replace names, birth dates, document numbers, stories, people's addresses and contacts, "
        "answers' summaries and file paths with stable pseudonyms.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace files of an earlier export in DIR.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")]


def export(
    folder: DirArg,
    fmt: FormatOpt = "csv",
    redact: RedactOpt = False,
    force: ForceOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Write every table to DIR; prints DIR. The manifest names the history head the export holds."""
    from plea.export import export as run

    db = open_db()
    result = run(db, folder, fmt=fmt.lower(), redact=redact, force=force, actor=actor())
    rows = sum(t.rows for t in result.tables)
    tables, where = len(result.tables), result.folder
    note(f"exported {rows} row(s) from {tables} table(s) as {result.format}, redacted to {where}" if redact
         else f"exported {rows} row(s) from {tables} table(s) as {result.format} to {where}")
    note(
        f"history head: {result.head} ({result.events} events): keep it to check this database later "
        "with `plea audit verify --head`"
    )
    for item in result.left_out:
        note(f"left out: {item}")
    if json_:
        print_json(result.manifest())
        return
    typer.echo(str(result.folder))
