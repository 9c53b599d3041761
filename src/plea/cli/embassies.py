"""`plea embassies …`: the directory of missions that letters go to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from plea.cli.common import JsonOpt, actor, note, note_parts, open_db, out, print_json, table
from plea.i18n import N_, state_name, translate

if TYPE_CHECKING:
    from plea.directory.refresh import HostDiff

app = typer.Typer(help="The embassy directory: list, show, import, edit, export, coverage, gaps, refresh.",
                  no_args_is_help=True)

HostOpt = Annotated[str | None, typer.Option("--host", help="Host state (ISO code or name), e.g. US.")]


def _code(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    from plea import states

    return states.member_code(value) or states.resolve(value, states.user_langs(), what=what)


@app.command("list")
def list_(
    host: HostOpt = None,
    sending: Annotated[str | None, typer.Option("--sending", help="Sending state, e.g. FR.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="embassy, consulate-general, …")] = None,
    has: Annotated[list[str] | None, typer.Option(
        "--has", help="Only missions with this: email, address, website, phone.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List missions, with state names from Babel."""
    from plea.directory.queries import closed_on, list_missions, mission_row

    db = open_db()
    with db.read_rows() as conn:  # plain rows, no ORM (start-up speed)
        missions = list_missions(conn, host=_code(host, "host state"), sending=_code(sending, "sending state"),
                                 kind=kind, has=has)
    if json_:
        print_json([mission_row(m) for m in missions])
        return
    t = table("id", "from", "in", "city", "kind", "email", "website", "phone")
    for m in missions:
        kind = m.kind + (" (closed)" if closed_on(m) else "")
        t.add_row(m.id, f"{state_name(m.sending)} ({m.sending})", m.host, m.city, kind, m.email, m.website,
                  m.phone)
    out().print(t)
    note(f"{len(missions)} mission(s)")


@app.command("show")
def show(
    mission_id: Annotated[str | None, typer.Argument(
        help="Mission id (its Wikidata item, e.g. Q123).", metavar="ID")] = None,
    sending: Annotated[str | None, typer.Option(
        "--sending", help="With --host: that state's mission there.")] = None,
    host: HostOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one mission, by id or by --sending and --host, and where each fact came from."""
    from plea import states
    from plea.directory.missions import get_mission, pick_missions
    from plea.directory.provenance import facts
    from plea.directory.queries import mission_row
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
        sources = facts(s, mission)
    row = mission_row(mission)
    if json_:
        print_json(row | {"sources": {f.field: f.as_dict() for f in sources}})
        return
    row["sending"] = f"{state_name(mission.sending)} ({mission.sending})"
    row["host"] = f"{state_name(mission.host)} ({mission.host})"
    width = max(len(k) for k in row)
    for k, v in row.items():
        typer.echo(f"{k:<{width}}  {v}")
    typer.echo("")
    typer.echo("where each fact comes from (last checked):")
    for f in sources:
        when = f.checked.isoformat() if f.checked else "unknown"
        typer.echo(f"  {f.field:<{width - 2}}  {when:<10}  {f.source}")
    lacking = [c for c in ("street_address", "email", "phone") if not getattr(mission, c)]
    if lacking:
        typer.echo(f"  missing: {', '.join(lacking)} (see `plea embassies gaps --host {mission.host}`)")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16 or a code page such as cp1251 or cp1252; "
                                         "`,` or `;`), with an id column.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; change nothing.")] = False,
    encoding: Annotated[str | None, typer.Option("--encoding", help="The file's encoding (e.g. cp1251, "
                                                 "utf-8), when plea cannot tell it.")] = None,
    prefer: Annotated[str | None, typer.Option(
        "--prefer", help="For a file of verified corrections: settle conflicts with theirs, ours or newer "
                         "(the more recent verification).", metavar="theirs|ours|newer")] = None,
    json_: JsonOpt = False,
) -> None:
    """Add or update missions from a CSV file, by id. Any bad row: nothing is imported.

    A file written by `plea embassies export --verified-only` (another caseworker's checked
    contacts) is merged field by field: a verified value wins over an unverified one; two
    different values both verified (or both not) are a conflict: listed, nothing imported
    (exit 6), until you choose with --prefer."""
    from plea.directory.importing import import_file
    from plea.directory.pooling import MergeConflict, is_verified_file, merge_file
    from plea.errors import InvalidInput

    db = open_db()
    verified = is_verified_file(file, encoding=encoding)
    if prefer is not None and not verified:
        raise InvalidInput("--prefer goes with a file of verified corrections (`export --verified-only`)")
    try:
        with db.transaction() as s:
            if verified:
                result = merge_file(s, file, actor=actor(), prefer=prefer, dry_run=dry_run, encoding=encoding)
            else:
                result = import_file(s, file, actor=actor(), dry_run=dry_run, encoding=encoding)  # type: ignore[assignment]
    except MergeConflict as exc:
        if json_:
            print_json({"file": str(file), "dry_run": dry_run, **exc.result.as_dict()})
        raise
    if json_:
        print_json({"file": str(file), "dry_run": dry_run, **result.as_dict()})
        return
    prefix = "dry run, nothing changed: " if dry_run else ""
    typer.echo(prefix + result.summary())
    if unnamed := getattr(result, "unnamed", []):
        listed = ", ".join(unnamed)
        note(f"warning: {len(unnamed)} authority(ies) without a name of their own ({listed}): their letters "
             "would name them after their kind and state; add a name column (the name each one's own site "
             "uses), or `plea embassies edit ID --name …`")


@app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="Write to this file (atomically) instead of stdout.",
                                                metavar="[FILE]")] = None,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV (the default).")] = False,
    json_: JsonOpt = False,
    host: HostOpt = None,
    verified_only: Annotated[bool, typer.Option(
        "--verified-only", help="Only missions a person edited or verified, with an edited_fields column: "
                                "a file another caseworker can merge with `plea embassies import`.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write the directory as CSV or JSON, to stdout or to FILE."""
    import sys

    from plea.directory.export import export_csv
    from plea.directory.queries import list_missions, mission_row
    from plea.errors import InvalidInput

    if verified_only and (json_ or file is None):
        raise InvalidInput("--verified-only writes a CSV file: give FILE, without --json")
    db = open_db()
    code = _code(host, "host state")
    if verified_only:
        from plea.directory.pooling import export_verified, organisation_name

        assert file is not None
        with db.read() as s:
            n = export_verified(s, file, host=code, force=force)
            organisation = organisation_name(s)
        note(f"{n} mission(s) with your edits or verifications")
        if not organisation:
            note('verified_by is left empty (plea never writes your login into a shared file): name your '
                 'organisation with `plea config set organisation "Legal Aid Paris"`')
        typer.echo(str(file))
        return
    with db.read() as s:
        missions = list_missions(s, host=code)
    if json_:
        import json

        rows = [mission_row(m) for m in missions]
        text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    else:
        text = export_csv(missions)
    if file is None:
        sys.stdout.write(text)
        return
    from plea.cli.common import save_output
    from plea.csvio import for_excel

    save_output(file, text.encode("utf-8") if json_ else for_excel(text), force=force)
    note(f"{len(missions)} mission(s)")
    typer.echo(str(file))


@app.command("edit")
def edit(  # 16 parameters: one per field a person corrects (Typer reads options from the signature)
    mission_id: Annotated[str | None, typer.Argument(
        help="Mission id (or --from-csv).", metavar="ID")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Street address.")] = None,
    postcode: Annotated[str | None, typer.Option("--postcode")] = None,
    area: Annotated[str | None, typer.Option(
        "--area", help="Region the host's postal format asks for: US state (DC), JP prefecture…")] = None,
    city: Annotated[str | None, typer.Option("--city")] = None,
    name: Annotated[str | None, typer.Option(
        "--name",
        help="Its own name, as its site writes it (Ministère de l'Intérieur): "
             "letters address it so.")] = None,
    website: Annotated[str | None, typer.Option("--website")] = None,
    web_form: Annotated[str | None, typer.Option("--web-form", help="The mission's contact-form page.")] = None,
    languages: Annotated[str | None, typer.Option(
        "--languages", help="Languages of correspondence, e.g. fr,en.")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    verified: Annotated[bool, typer.Option(
        "--verified", help="You checked the values this command gives, today.")] = False,
    verified_fields: Annotated[str | None, typer.Option(
        "--verified-fields", metavar="FIELDS",
        help="You checked these fields today (email,address,phone,…), changed or not.")] = None,
    from_csv: Annotated[Path | None, typer.Option(
        "--from-csv", metavar="FILE",
        help="Many corrections: a CSV with id and the fields to change (address, postcode, area, email…), "
             "and a verified column (yes, or the fields checked). All checked first; any problem: nothing "
             "changed.")] = None,
) -> None:
    """Correct a mission. Your corrections survive later imports of the shipped data. Only the
    fields you edit (--verified) or name (--verified-fields) count as verified."""
    from datetime import date

    from plea.errors import InvalidInput

    if from_csv is not None:
        given = [email, phone, address, postcode, area, city, name, website, web_form, languages, notes,
                 verified_fields]
        if mission_id is not None or any(v is not None for v in given):
            raise InvalidInput("--from-csv takes the corrections from the file: give no ID or field options")
        _edit_from_csv(from_csv, verified=verified)
        return
    if mission_id is None:
        raise InvalidInput("give a mission ID (see `plea embassies list`) or --from-csv FILE")

    from plea.directory.editing import edit_mission
    from plea.directory.editing import verified_fields as parse_fields

    changes = {k: v for k, v in {
        "email": email, "phone": phone, "street_address": address, "postcode": postcode, "area": area,
        "city": city, "name": name, "website": website, "languages": languages, "notes": notes,
        "web_form": web_form}.items() if v is not None}
    db = open_db()
    who = actor()
    with db.transaction() as s:
        checked: bool | list[str] = parse_fields(verified_fields) if verified_fields is not None else verified
        mission = edit_mission(s, mission_id, changes, verified=checked, actor=who, today=date.today())
    typer.echo(mission.id)


def _edit_from_csv(path: Path, *, verified: bool) -> None:
    from datetime import date

    from plea.corrections import apply

    db = open_db()
    who = actor()
    with db.transaction() as s:
        result = apply(s, path, verified=verified, actor=who, today=date.today())
    for mid in result.changed:
        typer.echo(mid)
    note(f"{len(result.changed)} mission(s) corrected, {result.unchanged} unchanged")


@app.command("coverage")
def coverage(
    host: Annotated[str, typer.Option("--host", help="Host state, e.g. US.")],
    case: Annotated[str | None, typer.Option(
        "--case", help="Mark the states held back for this case (its threat and cautioned states).")] = None,
    json_: JsonOpt = False,
) -> None:
    """For each of the 193 UN member states: a mission in the host state, one accredited from
    elsewhere, or none; with --case, which of them are held back for that case."""
    from plea.directory.coverage import coverage as compute

    code = _code(host, "host state")
    assert code
    db = open_db()
    with db.read() as s:
        report = compute(s, code)
        if case is not None:
            from plea.cases import get_case
            from plea.status import held_back

            found = get_case(s, case)
            held = {h.state: h for h in held_back(s.connection(), found, set())}
            report["case"] = found.ref
            for r in report["rows"]:
                r["held_back"] = r["state"] in held
            report["totals"]["held_back"] = sum(r["held_back"] for r in report["rows"])
    if json_:
        print_json(report)
        return
    t = table("state", "mission", "city", "email", "address", "website", "phone",
              title=f"UN member states and their missions for {code}")
    mark = {True: "✓", False: ""}
    for r in report["rows"]:
        held = translate(" — held back") if r.get("held_back") else ""
        t.add_row(f"{state_name(r['state'])} ({r['state']})" + held, r["mission"],
                  r["city"], mark[r["email"]],
                  mark[r["address"]], mark[r["website"]], mark[r["phone"]])
    out().print(t)
    tot = report["totals"]
    line = translate(
        f"{report['states']} UN member states besides {code}: {tot['resident']} with a resident mission, "
        f"{tot['accredited']} accredited from elsewhere, {tot['none']} with none. "
        f"Contacts: {tot['email']} email, {tot['address']} postal address, {tot['website']} website, "
        f"{tot['phone']} phone.")
    if "held_back" in tot:
        line += translate(f" Held back for {report['case']} (its threat and cautioned states, never written to "
                          f"through `all`): {tot['held_back']}.")
    typer.echo(line)


@app.command("gaps")
def gaps(
    host: Annotated[str, typer.Option("--host", help="Host state, e.g. US.")],
    need: Annotated[list[str] | None, typer.Option(
        "--need", help="email, address or phone (repeat for several; default: all three).")] = None,
    csv_: Annotated[bool, typer.Option(
        "--csv", help="A CSV to fill in (a row per mission: id, the fields to give, verified) and read "
                      "back with `plea embassies edit --from-csv FILE`.")] = False,
    json_: JsonOpt = False,
) -> None:
    """UN member states whose mission for the host lacks a way to reach it, with the website to
    look it up on. States your open cases wrote to come first."""
    from plea.directory.gaps import gaps as compute

    code = _code(host, "host state")
    assert code
    db = open_db()
    with db.read() as s:
        report = compute(s, code, need)
        if csv_:
            import sys

            from plea.corrections import template

            sys.stdout.write(template(s, report))
            note(f"{sum(1 for r in report['rows'] if r['mission_id'])} mission(s) to correct: fill in the "
                 "empty cells (and verified: yes), then `plea embassies edit --from-csv FILE`")
            return
    if json_:
        print_json(report)
        return
    t = table("state", "written to", "lacks", "mission", "look it up on",
              title=f"Missing contacts for missions in {code}")
    # ordered as the core orders them (most written to first), by the names shown
    for r in sorted(report["rows"], key=lambda r: (-(r["written_to"] or 0), state_name(r["state"]))):
        mission = r["mission_id"] or "no mission"
        if r["mission"] == "accredited":
            mission += f" ({r['city']}, accredited)"
        t.add_row(f"{state_name(r['state'])} ({r['state']})", str(r["written_to"] or ""),
                  ", ".join(r["lacks"]), mission, r["website"] or r["source_ref"])
    out().print(t)
    note(f"{report['states']} UN member state(s) lack {' or '.join(report['need'])} for {code}; "
         f"{report['written_to']} of them were written to. Correct one with "
         "`plea embassies edit ID --email … --verified`.")


@app.command("refresh")
def refresh(
    host: Annotated[list[str], typer.Option("--host", help="Host state, e.g. US (repeat for several).")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Ask Wikidata and show the diff; change nothing.")] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Seconds to wait for each answer.", min=1)] = 60.0,
    json_: JsonOpt = False,
) -> None:
    """Update the host states' missions from Wikidata: adds missions, updates values, marks
    missions that closed; never changes a value you edited or verified. Prints the diff (added,
    changed, closed) — see it first with --dry-run. Needs the internet (one query per host)."""
    from datetime import date

    from plea.directory import wikidata
    from plea.directory.refresh import apply, plan

    codes = list(dict.fromkeys(c for h in host if (c := _code(h, "host state"))))
    answers = wikidata.ask(codes, timeout=timeout,
                           progress=lambda h: note(f"asking Wikidata for missions in {h}…"))
    today = date.today()
    where = wikidata.endpoint()
    db = open_db()
    who = actor()
    with db.read() if dry_run else db.transaction() as s:
        diffs = [plan(s, a, today=today) for a in answers]
        if not dry_run:
            for d in diffs:
                apply(s, d, actor=who, today=today, endpoint=where)
    if json_:
        print_json({"dry_run": dry_run, "endpoint": where, "hosts": [d.as_dict() for d in diffs]})
    else:
        for d in diffs:
            _print_diff(d)
    for d in diffs:
        if d.empty:
            note(f"{d.host}: Wikidata returned no missions; nothing was changed for {d.host}")
        else:
            absent = N_(f"{len(d.absent)} mission(s) of the directory not in the answer, left as they are")
            note_parts(*d.summary_parts(), absent if d.absent else None)
    note("dry run: nothing was written" if dry_run else "written")


def _print_diff(d: HostDiff) -> None:
    from plea import states

    def who(sending: str) -> str:
        return f"{states.name(sending)} ({sending})"

    def shown(v: object) -> str:
        return "(none)" if v in ("", None) else str(v)

    typer.echo(f"== {states.name(d.host)} ({d.host}): {d.rows} answer row(s)")
    for r in d.added:
        typer.echo(f"+ {r['id']}  {who(r['sending'])}  {r['kind']}  {r['city']}")
    for c in d.changed:
        for f, (before, after) in c.fields.items():
            typer.echo(f"~ {c.id}  {who(c.sending)}  {f}: {shown(before)} → {shown(after)}")
    for mid, sending, on in d.closed:
        typer.echo(f"- {mid}  {who(sending)}  closed {on.isoformat()}")
    for mid, sending in d.reopened:
        typer.echo(f"+ {mid}  {who(sending)}  open again")
    for k in d.kept:
        typer.echo(f"= {k.id}  {who(k.sending)}  {k.field}: yours kept {shown(k.yours)}; "
                   f"Wikidata has {shown(k.wikidata)}")
    for mid, f, v in d.invalid:
        typer.echo(f"! {mid}  {f}: Wikidata's value {v!r} is not valid; left out")
    for mid, why in d.skipped:
        typer.echo(f"! {mid}  not added: {why}")
