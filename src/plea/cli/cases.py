"""`plea cases …`: record and keep the protection requests letters are written for."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import JsonOpt, RefArg, actor, note, open_db, out, print_json, table
from plea.i18n import N_, _, translate

app = typer.Typer(help="Cases: one person's (or family's) request for protection.", no_args_is_help=True)


def _opt(*names: str, help: str) -> Any:  # noqa: A002
    return typer.Option(*names, help=help)


# The same options serve add and edit.
NameOpt = Annotated[str | None, _opt("--name", help="Applicant's name in Latin script.")]
NativeOpt = Annotated[str | None, _opt("--native-name", help="Name in native script, e.g. Cyrillic.")]
NatOpt = Annotated[str | None, _opt("--nationality", help="Nationality: ISO code or name, e.g. RU.")]
BornOpt = Annotated[str | None, _opt("--born", help="Date of birth, YYYY-MM-DD.")]
TitleOpt = Annotated[str | None, _opt("--title", help="Title for salutations, e.g. Ms, Dr.")]
GenderOpt = Annotated[str | None, _opt("--gender", help="female, male or other (for grammar in letters).")]
CountryOpt = Annotated[str | None, _opt("--country", help="Country the applicant is in now.")]
SituationOpt = Annotated[str | None, _opt("--situation", help="detained, at-liberty or in-transit.")]
FacilityOpt = Annotated[str | None, _opt("--facility", help="Detention facility's name.")]
IdOpt = Annotated[list[str] | None, _opt("--id", help="LABEL=NUMBER held by authorities (repeatable).")]
ProtectionOpt = Annotated[str | None, _opt("--protection", help="humanitarian-visa, asylum, resettlement or safe-passage.")]
PersecutionOpt = Annotated[str | None, _opt("--persecution", help="Summary of the persecution (paragraphs).")]
PersecutionFileOpt = Annotated[Path | None, _opt("--persecution-file", help="Read the summary from a UTF-8 text file.")]
FamilyOpt = Annotated[list[str] | None, _opt("--family", help="'NAME;RELATION;BIRTH-DATE' (repeatable).")]
RepNameOpt = Annotated[str | None, _opt("--rep-name", help="Representative (lawyer, NGO worker).")]
RepOrgOpt = Annotated[str | None, _opt("--rep-org", help="Representative's organisation.")]
RepAddressOpt = Annotated[str | None, _opt("--rep-address", help="Representative's postal address.")]
RepEmailOpt = Annotated[str | None, _opt("--rep-email", help="Representative's email.")]
RepPhoneOpt = Annotated[str | None, _opt("--rep-phone", help="Representative's phone.")]
ReplyToOpt = Annotated[str | None, _opt("--reply-to", help="Where replies should go.")]
EmailOpt = Annotated[str | None, _opt("--email", help="The applicant's own email (their letters' sender block).")]
PhoneOpt = Annotated[str | None, _opt("--phone", help="The applicant's own phone.")]
AddressOpt = Annotated[str | None, _opt("--address", help="The applicant's own postal address.")]
FollowupOpt = Annotated[int | None, _opt("--followup-days", help="Days before a follow-up is due (default 21).")]
ThreatOpt = Annotated[str | None, _opt(
    "--threat", help="States that persecute the applicant (RU,BY; default: the nationality): never written to "
                     "unless named with --unsafe-write-to-threat-state. `none` empties it (asks to confirm).")]
ActingOpt = Annotated[str | None, _opt(
    "--acting", help="Who writes: lawyer, ngo, relative, supporter or applicant (default: lawyer with a "
                     "representative, else the applicant).")]
ActingRelationOpt = Annotated[str | None, _opt("--acting-relation", help="A relative's relation, e.g. brother.")]
PersecutionLangOpt = Annotated[str | None, _opt(
    "--persecution-lang", help="Language of the story given with --persecution (default en); translations: "
                               "`plea cases story set`.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Confirm leaving the case without a threat state.")]


def _confirm_no_threat(case: Any, values: dict[str, Any], yes: bool) -> None:
    """--threat none: letters could then go to the persecutor through `all`; say so and ask."""
    from plea.cases import threats_emptied
    from plea.errors import InvalidInput

    if not threats_emptied(case, values) or yes:
        return
    warning = _("with no threat state, `--to all` includes the applicant's own state and the states that may "
                "hand them over to it")
    if sys.stdin.isatty() and typer.confirm(translate(f"{warning}. Continue?"), default=False, err=True):
        return
    raise InvalidInput(f"--threat none: {warning}; nothing was changed", hint="confirm with --yes if you mean it")

#: what `cases add` asks for in a terminal, in order: (field, question, required); the first letter needs
#: these to say who the person is, where they are held and who answers for them
PROMPTED = (
    ("name_latin", N_("Applicant's name (Latin script)"), True),
    ("name_native", N_("Name in native script (e.g. Cyrillic; Enter to skip)"), False),
    ("nationality", N_("Nationality (ISO code or name)"), True),
    ("birth_date", N_("Date of birth (YYYY-MM-DD)"), True),
    ("current_country", N_("Country the applicant is in now"), True),
    ("situation", N_("Situation: detained, at-liberty or in-transit"), True),
    ("facility", N_("Detention facility's name"), True),  # asked only when detained
    ("persecution", N_("Summary of the persecution (one paragraph; edit it later with --persecution-file)"),
     True),
    ("rep_name", N_("Representative's name (lawyer, NGO worker; Enter if the applicant writes)"),
     False),
    ("rep_email", N_("Representative's email (Enter to skip)"), False),
    ("reply_to", N_("Email where answers should go"), True),
)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(values: dict[str, Any]) -> None:
    """Ask for each field the first letter needs that is still missing, checking each answer at once."""
    from datetime import date

    from plea.cases import normalise
    from plea.errors import InvalidInput

    for field, question, required in PROMPTED:
        if values.get(field) or (field == "facility" and values.get("situation") != "detained"):
            continue
        while True:
            answer = typer.prompt(_(question), default="" if not required else None, show_default=False,
                                  err=True)
            if not answer.strip() and not required:
                break
            try:
                values[field] = normalise({field: answer}, today=date.today())[field] if answer.strip() else ""
            except InvalidInput as exc:
                typer.echo("  " + "; ".join(exc.problems or [exc.message]), err=True)
                continue
            if values[field] in ("", None) and required:
                typer.echo("  this is needed for the first letter", err=True)
                continue
            break


def _plan_line(ref: str, host: str) -> str:
    """What `letters plan` would say for the new case (who gets a letter, who is held back)."""
    from plea.letters.choose import choose as plan

    db = open_db()
    with db.read() as s:
        _case, _spec, picked = plan(s, ref, letter="humanitarian-visa", to="all", host=host)
    return (f"plan for {ref} in {host}: {len(picked.found)} letter(s), {len(picked.held_back)} state(s) held back; "
            f"see `plea letters plan {ref} --host {host}`")


# add and edit take one parameter per option (Typer reads options from the signature): they go straight
# into plea.cases.CaseInput, which parses them
@app.command("add")
def add(
    name: NameOpt = None, native_name: NativeOpt = None, nationality: NatOpt = None, born: BornOpt = None,
    title: TitleOpt = None, gender: GenderOpt = None, country: CountryOpt = None, situation: SituationOpt = None,
    facility: FacilityOpt = None, ids: IdOpt = None, protection: ProtectionOpt = None,
    persecution: PersecutionOpt = None, persecution_file: PersecutionFileOpt = None, family: FamilyOpt = None,
    rep_name: RepNameOpt = None, rep_org: RepOrgOpt = None, rep_address: RepAddressOpt = None,
    rep_email: RepEmailOpt = None, rep_phone: RepPhoneOpt = None, reply_to: ReplyToOpt = None,
    followup_days: FollowupOpt = None, threat: ThreatOpt = None, acting: ActingOpt = None,
    acting_relation: ActingRelationOpt = None, persecution_lang: PersecutionLangOpt = None,
    email: EmailOpt = None, phone: PhoneOpt = None, address: AddressOpt = None, yes: YesOpt = False,
) -> None:
    """Record a new case; prints its reference. In a terminal, asks for what is missing."""
    options = dict(locals())  # the options by name, before anything else is defined here
    from datetime import date

    from plea.cases import CaseInput, create_case
    from plea.errors import InvalidInput

    values = CaseInput.from_options(options).values()
    asked = _interactive()
    if asked:
        _ask(values)
    elif not values.get("name_latin"):
        raise InvalidInput("--name is required (the applicant's name in Latin script)")
    db = open_db()
    today = date.today()  # read once: a command that runs across midnight keeps one day
    with db.transaction() as s:
        from plea.cases import normalise

        _confirm_no_threat(None, normalise(values, today=today), yes)
        case = create_case(s, values, actor=actor(), today=today)
    typer.echo(case.ref)
    if asked:
        note(_plan_line(case.ref, case.current_country or "US"))


@app.command("edit")
def edit(
    ref: RefArg,
    name: NameOpt = None, native_name: NativeOpt = None, nationality: NatOpt = None, born: BornOpt = None,
    title: TitleOpt = None, gender: GenderOpt = None, country: CountryOpt = None, situation: SituationOpt = None,
    facility: FacilityOpt = None, ids: IdOpt = None, protection: ProtectionOpt = None,
    persecution: PersecutionOpt = None, persecution_file: PersecutionFileOpt = None, family: FamilyOpt = None,
    rep_name: RepNameOpt = None, rep_org: RepOrgOpt = None, rep_address: RepAddressOpt = None,
    rep_email: RepEmailOpt = None, rep_phone: RepPhoneOpt = None, reply_to: ReplyToOpt = None,
    followup_days: FollowupOpt = None, threat: ThreatOpt = None, acting: ActingOpt = None,
    acting_relation: ActingRelationOpt = None, persecution_lang: PersecutionLangOpt = None,
    email: EmailOpt = None, phone: PhoneOpt = None, address: AddressOpt = None, yes: YesOpt = False,
) -> None:
    """Change fields of a case (give only what changes)."""
    options = dict(locals())  # the options by name, before anything else is defined here
    from datetime import date

    from plea.cases import CaseInput, edit_case, get_case, normalise

    values = CaseInput.from_options(options).values()
    db = open_db()
    today = date.today()  # read once: a command that runs across midnight keeps one day
    with db.transaction() as s:
        _confirm_no_threat(get_case(s, ref), normalise(values, today=today), yes)
        case, changed = edit_case(s, ref, values, actor=actor(), today=today)
    note(f"changed: {', '.join(changed)}" if changed else "nothing changed")
    typer.echo(case.ref)


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include archived cases.")] = False,
    json_: JsonOpt = False,
) -> None:
    """List open cases (--all for archived ones too)."""
    from plea import states
    from plea.cases import case_dict, list_cases

    db = open_db()
    with db.read() as s:
        cases = list_cases(s, status=None if all_ else "open")
    if json_:
        print_json([case_dict(c) for c in cases])
        return
    t = table("ref", "name", "nationality", "situation", "status", "created")
    for c in cases:
        t.add_row(c.ref, c.name_latin, states.name(c.nationality) if c.nationality else "", c.situation, c.status,
                  c.created_at.date().isoformat())
    out().print(t)
    note(f"{len(cases)} case(s)")


@app.command("show")
def show(ref: RefArg, json_: JsonOpt = False) -> None:
    """Show every field of a case."""
    from plea.cases import case_dict, get_case
    from plea.i18n import _, state_name, translate

    db = open_db()
    with db.read() as s:
        data = case_dict(get_case(s, ref))
    if json_:
        print_json(data)
        return
    width = max(len(k) for k in data)
    for k, v in data.items():
        if k == "threat_states":
            v = (", ".join(f"{state_name(c)} ({c})" for c in v.split())
                 or _("none (letters may reach the persecutor)"))
        if isinstance(v, list):
            v = "; ".join(" ".join(str(x) for x in item.values() if x) for item in v)
        if k == "stories":  # the translations: their texts with `plea cases story list`
            v = ", ".join(translate(f"{lang} ({len(t['text'])} characters)") for lang, t in v.items()) or (
                _("none"))
        text = str(v if v is not None else "").replace("\n", "\n" + " " * (width + 2))
        typer.echo(f"{k:<{width}}  {text}")


@app.command("archive")
def archive(
    ref: RefArg,
    undo: Annotated[bool, typer.Option("--undo", help="Reopen an archived case.")] = False,
) -> None:
    """Archive a case (it leaves `cases list` and `status`; nothing is deleted)."""
    from plea.cases import set_status

    db = open_db()
    with db.transaction() as s:
        case = set_status(s, ref, "open" if undo else "archived", actor=actor())
    typer.echo(case.ref)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV from Excel or LibreOffice: one client a row.",
                                         metavar="FILE")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and say what would change; "
                                                            "change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm rows whose threat_states is `none`.")] = False,
    encoding: Annotated[str | None, typer.Option("--encoding", help="The file's encoding (e.g. cp1251, "
                                                 "utf-8), when plea cannot tell it.")] = None,
    date_format: Annotated[str | None, typer.Option("--date-format", help="Order of dates such as 03/04/1985: "
                                                    "DMY (day first) or MDY (month first).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create or update many cases from a spreadsheet. All or nothing: every problem is listed as
    FILE:LINE: column: problem and then nothing is imported. Prints the references."""
    from datetime import date

    from plea.cases_io import import_cases
    from plea.csvio import SheetOptions, date_order

    options = SheetOptions(encoding, date_order(date_format) if date_format else None)
    db = open_db()
    with db.transaction(write=not dry_run) as s:
        result = import_cases(s, file, actor=actor(), today=date.today(), dry_run=dry_run, options=options,
                              no_threat_ok=yes)
    if json_:
        print_json({**result.as_dict(), "dry_run": dry_run})
    else:
        for ref in [*result.created, *result.updated]:
            typer.echo(ref)
    summary = result.summary()
    note(f"would be: {summary}; nothing was changed" if dry_run else summary)


@app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="Write to this file (atomically) instead of stdout.",
                                                metavar="[FILE]")] = None,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV, as `plea cases import` reads it (the default).")] \
        = False,
    json_: JsonOpt = False,
    all_: Annotated[bool, typer.Option("--all", help="Include archived cases.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write the cases as CSV (one client a row) or JSON, to stdout or to FILE."""
    import json

    from plea.cases_io import export_csv, export_json
    from plea.errors import InvalidInput

    if csv_ and json_:
        raise InvalidInput("--csv or --json, not both")
    db = open_db()
    status = None if all_ else "open"
    with db.read() as s:
        text = (json.dumps(export_json(s, status=status), ensure_ascii=False, indent=2, default=str) + "\n"
                if json_ else export_csv(s, status=status))
    if file is None:
        sys.stdout.write(text)
        return
    from plea.cli.common import save_output
    from plea.csvio import for_excel

    save_output(file, text.encode("utf-8") if json_ else for_excel(text), force=force)
    note(f"cases written to {file} (it holds personal data: keep it private)")
    typer.echo(str(file))


story_app = typer.Typer(help="The persecution story in the letters' languages (translated by people, never by "
                             "plea).",
                        no_args_is_help=True)
app.add_typer(story_app, name="story")
StoryLangOpt = Annotated[str, typer.Option("--lang", help="Language of this version, e.g. fr.")]


@story_app.command("set")
def story_set(
    ref: RefArg,
    lang: StoryLangOpt,
    file: Annotated[Path | None, typer.Option("--file", help="Read the translation from a UTF-8 text file.")]
    = None,
    text: Annotated[str | None, typer.Option("--text", help="The translation itself.")] = None,
) -> None:
    """Keep a translation of the story: letters in that language use it instead of the original."""
    from plea.cases import get_case
    from plea.errors import InvalidInput
    from plea.stories import set_story

    if (file is None) == (text is None):
        raise InvalidInput("give the story with --file FILE or --text TEXT (one of them)")
    if file is not None:
        from plea.fileio import read_text_file

        text = read_text_file(file, "--file")
    db = open_db()
    with db.transaction() as s:
        case = get_case(s, ref)
        changed = set_story(s, case, lang=lang, text=text or "", actor=actor())
        ref = case.ref
    note(f"story ({lang.strip().lower()}) of {ref} kept" if changed
         else f"story ({lang.strip().lower()}) of {ref} unchanged")
    typer.echo(ref)


@story_app.command("list")
def story_list(ref: RefArg, json_: JsonOpt = False) -> None:
    """The story's versions: the original and each translation, with its length and date."""
    from plea.cases import get_case
    from plea.stories import versions

    db = open_db()
    with db.read() as s:
        case = get_case(s, ref)
        rows, ref = versions(case), case.ref
    if json_:
        print_json({"case": ref, "versions": rows})
        return
    t = table("lang", "version", "characters", "updated")
    for row in rows:
        t.add_row(row["lang"], "original" if row["original"] else "translation", str(row["chars"]),
                  row["updated"] or "")
    out().print(t)
    note(f"{len(rows)} version(s) of the story of {ref}")


@story_app.command("remove")
def story_remove(ref: RefArg, lang: StoryLangOpt) -> None:
    """Remove a translation (letters in that language then carry the original, and say so)."""
    from plea.cases import get_case
    from plea.stories import remove_story

    db = open_db()
    with db.transaction() as s:
        case = get_case(s, ref)
        remove_story(s, case, lang=lang, actor=actor())
        ref = case.ref
    note(f"story ({lang.strip().lower()}) of {ref} removed")
    typer.echo(ref)
