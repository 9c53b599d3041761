"""`plea embassies …`: the directory of missions that letters go to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table

app = typer.Typer(help="The embassy directory: list, show, import, edit, export, coverage.", no_args_is_help=True)

HostOpt = Annotated[str | None, typer.Option("--host", help="Host state (ISO code or name), e.g. US.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _code(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    from plea import states

    return states.resolve(value, states.user_langs(), what=what)


@app.command("list")
def list_(
    host: HostOpt = None,
    sending: Annotated[str | None, typer.Option("--sending", help="Sending state, e.g. FR.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="embassy, consulate-general, …")] = None,
    has: Annotated[list[str] | None, typer.Option("--has", help="Only missions with this: email, address, website, phone.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List missions, with state names from Babel."""
    from plea import states
    from plea.embassies import list_missions, mission_row

    db = open_db()
    with db.read() as s:
        missions = list_missions(s, host=_code(host, "host state"), sending=_code(sending, "sending state"),
                                 kind=kind, has=has)
    if json_:
        print_json([mission_row(m) for m in missions])
        return
    t = table("id", "from", "in", "city", "kind", "email", "website", "phone")
    for m in missions:
        t.add_row(m.id, f"{states.name(m.sending)} ({m.sending})", m.host, m.city, m.kind, m.email, m.website, m.phone)
    out().print(t)
    note(f"{len(missions)} mission(s)")


@app.command("show")
def show(
    mission_id: Annotated[str | None, typer.Argument(help="Mission id (its Wikidata item, e.g. Q123).", metavar="ID")] = None,
    sending: Annotated[str | None, typer.Option("--sending", help="With --host: that state's mission there.")] = None,
    host: HostOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one mission, by id or by --sending and --host."""
    from plea import states
    from plea.embassies import get_mission, mission_row, pick_missions
    from plea.errors import InvalidInput, NotFound

    db = open_db()
    with db.read() as s:
        if mission_id:
            mission = get_mission(s, mission_id)
        elif sending and host:
            snd, hst = _code(sending, "sending state"), _code(host, "host state")
            assert snd and hst
            picked = pick_missions(s, hst).get(snd)
            if picked is None:
                raise NotFound(f"no mission of {states.name(snd)} for {states.name(hst)}")
            mission = picked[0]
        else:
            raise InvalidInput("give a mission ID, or --sending and --host")
    row = mission_row(mission)
    if json_:
        print_json(row)
        return
    row["sending"] = f"{states.name(mission.sending)} ({mission.sending})"
    row["host"] = f"{states.name(mission.host)} ({mission.host})"
    width = max(len(k) for k in row)
    for k, v in row.items():
        typer.echo(f"{k:<{width}}  {v}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or cp1252; `,` or `;`), with an id column.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; change nothing.")] = False,
) -> None:
    """Add or update missions from a CSV file, by id. Any bad row: nothing is imported."""
    from plea.embassies import import_file

    db = open_db()
    with db.transaction() as s:
        result = import_file(s, file, actor=actor(), dry_run=dry_run)
    prefix = "dry run, nothing changed: " if dry_run else ""
    typer.echo(prefix + result.summary())


@app.command("export")
def export(
    csv_: Annotated[bool, typer.Option("--csv", help="CSV (the default).")] = False,
    json_: JsonOpt = False,
    host: HostOpt = None,
) -> None:
    """Write the directory to stdout as CSV or JSON."""
    import sys

    from plea.embassies import export_csv, list_missions, mission_row

    db = open_db()
    with db.read() as s:
        missions = list_missions(s, host=_code(host, "host state"))
    if json_:
        print_json([mission_row(m) for m in missions])
    else:
        sys.stdout.write(export_csv(missions))


@app.command("edit")
def edit(
    mission_id: Annotated[str, typer.Argument(help="Mission id.", metavar="ID")],
    email: Annotated[str | None, typer.Option("--email")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Street address.")] = None,
    postcode: Annotated[str | None, typer.Option("--postcode")] = None,
    city: Annotated[str | None, typer.Option("--city")] = None,
    website: Annotated[str | None, typer.Option("--website")] = None,
    languages: Annotated[str | None, typer.Option("--languages", help="Languages of correspondence, e.g. fr,en.")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    verified: Annotated[bool, typer.Option("--verified", help="You checked this mission's contacts today.")] = False,
) -> None:
    """Correct a mission. Your corrections survive later imports of the shipped data."""
    from datetime import date

    from plea.embassies import edit_mission

    changes = {k: v for k, v in {
        "email": email, "phone": phone, "street_address": address, "postcode": postcode, "city": city,
        "website": website, "languages": languages, "notes": notes}.items() if v is not None}
    db = open_db()
    who = actor()
    with db.transaction() as s:
        mission = edit_mission(s, mission_id, changes, verified=verified, actor=who, today=date.today())
    typer.echo(mission.id)


@app.command("coverage")
def coverage(
    host: Annotated[str, typer.Option("--host", help="Host state, e.g. US.")],
    json_: JsonOpt = False,
) -> None:
    """For each of the 193 UN member states: a mission in the host state, one accredited from elsewhere, or none."""
    from plea.embassies import coverage as compute

    code = _code(host, "host state")
    assert code
    db = open_db()
    with db.read() as s:
        report = compute(s, code)
    if json_:
        print_json(report)
        return
    t = table("state", "mission", "city", "email", "address", "website", "phone",
              title=f"UN member states and their missions for {code}")
    mark = {True: "✓", False: ""}
    for r in report["rows"]:
        t.add_row(f"{r['name']} ({r['state']})", r["mission"], r["city"], mark[r["email"]], mark[r["address"]],
                  mark[r["website"]], mark[r["phone"]])
    out().print(t)
    tot = report["totals"]
    typer.echo(
        f"{report['states']} UN member states besides {code}: {tot['resident']} with a resident mission, "
        f"{tot['accredited']} accredited from elsewhere, {tot['none']} with none. "
        f"Contacts: {tot['email']} email, {tot['address']} postal address, {tot['website']} website, {tot['phone']} phone."
    )
