"""`plea consent …`: what the applicant agreed others may do in their name."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import RefArg, actor, note, open_db, print_json
from plea.i18n import translate

app = typer.Typer(help="Consent: which states and channels the applicant agreed to, until when.",
                  no_args_is_help=True)


@app.command("add")
def add(
    ref: RefArg,
    states: Annotated[str, typer.Option("--states", help="Which states, as for --to: all, @eu, FR,DE, all,-@cis.")],
    given: Annotated[str | None, typer.Option("--given", help="The day it was given: YYYY-MM-DD, today, yesterday or -Nd (default: today).")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="The day it ends: YYYY-MM-DD or the like.")] = None,
    channels: Annotated[str, typer.Option("--channels", help="email,post,… (default: any).")] = "",
    no_story: Annotated[bool, typer.Option("--no-story", help="The story may not be shared.")] = False,
    document: Annotated[str | None, typer.Option("--document", help="The signed consent: a case document number.")] = None,
) -> None:
    """Record the applicant's consent (the latest one is in force)."""
    from datetime import date

    from plea.cases import get_case
    from plea.consent import record
    from plea.dates import parse_day

    today = date.today()
    db = open_db()
    with db.transaction() as s:
        row = record(s, get_case(s, ref), given_on=parse_day(given, "--given", today=today),
                     expires_on=parse_day(expires, "--expires", today=today) if expires else None,
                     states=states, channels=channels, share_story=not no_story, document=document,
                     actor=actor(), today=today)
    typer.echo(str(row.id))
    note(f"consent recorded for {ref.upper()}: {row.states}")


@app.command("show")
def show(ref: RefArg, json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The consent in force and who acts for the applicant."""
    from plea.cases import get_case
    from plea.consent import acting, current

    db = open_db()
    with db.read() as s:
        case = get_case(s, ref)
        rule = current(s.connection(), case)
        who = acting(case)
    data = {"case": case.ref, "acting": who, "acting_relation": case.acting_relation or None,
            "consent": None if rule is None else {
                "given_on": rule.given_on.isoformat(), "expires_on": rule.expires_on.isoformat() if rule.expires_on else None,
                "states": rule.expression, "channels": sorted(rule.channels), "share_story": rule.share_story}}
    if json_:
        print_json(data)
        return
    relation = f" ({case.acting_relation})" if case.acting_relation else ""
    typer.echo(translate(f"acting: {who}{relation}"))
    typer.echo(translate("consent: none recorded (nothing is restricted)") if rule is None
               else translate(f"consent: the consent of {rule.ref} given on {rule.given_on.isoformat()} "
                              f"({rule.expression})"))
