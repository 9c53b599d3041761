"""`plea cautions …`: states that may hand a person to the state that persecutes them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table
from plea.i18n import state_name

app = typer.Typer(help="Cautions: states held back from `--to all` because they may hand a person to "
                       "their persecutor (shipped with sources; add your own).", no_args_is_help=True)

ThreatArg = Annotated[str, typer.Argument(help="The threat state, e.g. RU.", metavar="THREAT")]
StateArg = Annotated[str, typer.Argument(help="The cautioned state, e.g. KZ.", metavar="STATE")]


def _code(value: str) -> str:
    from plea import states

    return states.resolve(value, states.user_langs())


@app.command("list")
def list_(
    threat: Annotated[str | None, typer.Option("--threat", help="Only the cautions for this threat state.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The cautions in force: shipped rows (less those you set aside) and your own, each with its source."""
    from plea.cautions import effective

    wanted = _code(threat) if threat else None
    db = open_db()
    with db.read_rows() as conn:
        rows = [c for c in effective(conn) if wanted is None or c.threat_state == wanted]
    if json_:
        print_json([c.as_dict() for c in rows])
        return
    t = table("threat", "state", "kind", "reason", "source", "read on", "from")
    for c in rows:
        t.add_row(c.threat_state, f"{state_name(c.state)} ({c.state})", c.kind, c.reason, c.source_url, c.retrieved,
                  c.origin)
    out().print(t)
    note(f"{len(rows)} caution(s)")


@app.command("add")
def add(
    threat: ThreatArg,
    state: StateArg,
    reason: Annotated[str, typer.Option("--reason", help="One plain sentence: why this state may hand a person over.")],
    source_url: Annotated[str, typer.Option("--source-url", help="The public page that states it.")],
    kind: Annotated[str, typer.Option("--kind", help="treaty, extradition record or other.")] = "other",
    source_title: Annotated[str, typer.Option("--source-title", help="The page's title.")] = "",
    retrieved: Annotated[str | None, typer.Option("--retrieved", help="When you read it, YYYY-MM-DD (default: today).")] = None,
) -> None:
    """Add your own caution (it survives `plea init` and new versions of the shipped table)."""
    from datetime import date

    from plea.cautions import add as add_caution

    values = {"threat_state": _code(threat), "state": _code(state), "reason": reason, "kind": kind,
              "source_url": source_url, "source_title": source_title,
              "retrieved": retrieved or date.today().isoformat()}
    db = open_db()
    with db.transaction() as s:
        c = add_caution(s, values, actor=actor())
    typer.echo(f"{c.threat_state} {c.state}")


@app.command("remove")
def remove(threat: ThreatArg, state: StateArg) -> None:
    """Remove your own caution, or set a shipped one aside (letters to `all` may then reach that state)."""
    from plea.cautions import remove as remove_caution

    db = open_db()
    with db.transaction() as s:
        done = remove_caution(s, _code(threat), _code(state), actor=actor())
    note(f"caution {done}: {_code(state)} is no longer held back for threat state {_code(threat)}")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="CSV with the columns of data/cautions.csv.", metavar="FILE")]) -> None:
    """Add your own cautions from a CSV; every row needs its source. Any bad row imports nothing."""
    from plea.cautions import import_file

    db = open_db()
    with db.transaction() as s:
        rows = import_file(s, file, actor=actor())
    note(f"{len(rows)} caution(s) imported from {file}")


@app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="Write here (atomically) instead of stdout.", metavar="[FILE]")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only your own rows (to share with a colleague).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """The cautions in force as CSV (the columns `plea cautions import` reads)."""
    from plea.cautions import effective, export_csv

    db = open_db()
    with db.read_rows() as conn:
        rows = [c for c in effective(conn) if not mine or c.origin == "user"]
    text = export_csv(rows)
    if file is None:
        sys.stdout.write(text)
        return
    from plea.cli.common import save_output

    save_output(file, text.encode("utf-8"), force=force)
    typer.echo(str(file))
