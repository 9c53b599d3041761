"""`plea audit …`: check the history chain and read the history."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import JsonOpt, note, open_db, out, print_json, table

app = typer.Typer(
    help="The tamper-evident history: verify it, read it, print its head.", no_args_is_help=True
)

HeadOpt = Annotated[
    str | None,
    typer.Option(
        "--head",
        metavar="HASH",
        help="A head kept outside the database (printed by this command, reports and "
        "exports): also catches a truncated or rewritten tail.",
    ),
]
CaseOpt = Annotated[str | None, typer.Option("--case", metavar="REF", help="Only this case's events.")]
SinceOpt = Annotated[str | None, typer.Option("--since", metavar="DATE", help="From this day (YYYY-MM-DD, today, yesterday, -Nd).")]
UntilOpt = Annotated[str | None, typer.Option("--until", metavar="DATE", help="Up to this day, included.")]
ActorOpt = Annotated[str | None, typer.Option("--actor", metavar="NAME", help="Only what this person did.")]
KindOpt = Annotated[
    str | None,
    typer.Option(
        "--kind", metavar="KIND", help="Only events of this kind (a prefix: letter., response.logged)."
    ),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the newest N matching events.")]


@app.command("verify")
def verify(head: HeadOpt = None, json_: JsonOpt = False) -> None:
    """Walk the history chain; name the first edited, deleted or reordered event (exit 5 if any)."""
    from plea.audit import parse_head
    from plea.audit import verify as run
    from plea.errors import DatabaseProblem

    kept = parse_head(head)
    db = open_db()
    with db.read() as s:
        result = run(s, head=kept)
    if json_:
        print_json(result.as_dict())
        if not result.ok:
            raise typer.Exit(int(DatabaseProblem.exit_code))
        return
    if not result.ok:
        assert result.walk.problem is not None
        raise DatabaseProblem(
            f"history broken: {result.walk.problem.message}",
            hint="it was changed outside plea: compare it with a backup and a kept head",
        )
    typer.echo(result.summary())


@app.command("head")
def head(json_: JsonOpt = False) -> None:
    """Print the newest event's hash: keep it outside the database (with `audit verify --head`)."""
    from plea.audit import current_head

    db = open_db()
    with db.read() as s:
        value, count = current_head(s)
    if json_:
        print_json({"head": value, "events": count})
        return
    typer.echo(value)
    note(f"{count} event(s) in the history")


@app.command("log")
def log(
    ref: CaseOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    actor_: ActorOpt = None,
    kind: KindOpt = None,
    limit: LimitOpt = None,
    json_: JsonOpt = False,
) -> None:
    """The history, oldest first: when, who, which case, what."""
    from plea.audit import log as read_log
    from plea.cases import get_case
    from plea.dates import parse_day

    since_day = parse_day(since, "--since") if since else None
    until_day = parse_day(until, "--until") if until else None
    db = open_db()
    with db.read() as s:
        case = get_case(s, ref) if ref else None
        rows = read_log(s, case=case, since=since_day, until=until_day, actor=actor_, kind=kind, limit=limit)
    if json_:
        print_json(rows)
        return
    t = table("#", "when (UTC)", "who", "case", "what")
    for r in rows:
        t.add_row(str(r["id"]), r["at"][:19].replace("T", " "), r["actor"], r["case"] or "", r["what"])
    out().print(t)
    note(f"{len(rows)} event(s)")
