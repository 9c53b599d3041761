"""`plea responses …`: what states answered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table

app = typer.Typer(help="Responses: log and list the answers states gave.", no_args_is_help=True)


@app.command("log")
def log(
    ref: Annotated[str, typer.Argument(help="Case reference.", metavar="CASE")],
    state: Annotated[str, typer.Argument(help="The state that answered: ISO code or name (English or yours).")],
    outcome: Annotated[str, typer.Option("--outcome", help="positive, negative, acknowledged, info-requested, referred, other.")],
    on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="Date of the answer: YYYY-MM-DD, today, yesterday or -Nd (default: today).")] = None,
    summary: Annotated[str, typer.Option("--summary", help="What they said.")] = "",
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="A file of the answer (repeatable).")] = None,
    channel: Annotated[str, typer.Option("--channel", help="email, post, fax, hand, web-form, phone, other.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Accept an answer from a state never written to, or dated before the letter.")] = False,
    to_authority: Annotated[str | None, typer.Option(
        "--to-authority", help="With --outcome referred: the directory id of the authority the case was referred "
                               "to; it receives the next letter to that state.")] = None,
) -> None:
    """Log a state's answer; its letters for the case become 'answered'."""
    from datetime import date

    from plea import states
    from plea.campaign import log_response
    from plea.cases import get_case
    from plea.dates import parse_day

    from datetime import UTC, datetime

    day = parse_day(on)
    from plea.fileio import input_file

    for path in attach or []:
        input_file(path, "--attach")
    db = open_db()
    who = actor()
    started = datetime.now(UTC)
    with db.transaction() as s:
        case = get_case(s, ref)
        response = log_response(s, case, state, on=day, outcome=outcome, summary=summary, channel=channel,
                                attachments=attach, force=force, actor=who, today=date.today(),
                                referred_to=to_authority)
    recorded = response.recorded_at if response.recorded_at.tzinfo else response.recorded_at.replace(tzinfo=UTC)
    if recorded < started:
        note(f"already logged (response {response.id}): nothing was added")
    else:
        note(f"{states.name(response.state)} answered {case.ref} on {day.isoformat()}: {outcome} to "
             f"{response.referred_to}, which receives the next letter" if response.referred_to
             else f"{states.name(response.state)} answered {case.ref} on {day.isoformat()}: {outcome}")
    typer.echo(str(response.id))


@app.command("list")
def list_(
    ref: Annotated[str | None, typer.Argument(help="Only this case.", metavar="[CASE]")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List answers, oldest first."""
    from plea.campaign import list_responses, response_dict
    from plea.cases import get_case

    db = open_db()
    with db.read() as s:
        case = get_case(s, ref) if ref else None
        rows = [response_dict(r, c) for r, c in list_responses(s, case)]
    if json_:
        print_json(rows)
        return
    t = table("case", "state", "on", "outcome", "summary")
    for r in rows:
        t.add_row(r["case"], f"{r['state_name']} ({r['state']})", r["on"], r["outcome"], r["summary"])
    out().print(t)
    note(f"{len(rows)} response(s)")
