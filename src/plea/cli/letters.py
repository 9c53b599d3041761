"""`plea letters …`: plan and render a case's letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import (
    DueOpt,
    ForceOutOpt,
    FormatsOpt,
    JsonOpt,
    LangOpt,
    LetterheadOpt,
    LetterOpt,
    PaperOpt,
    RefArg,
    RequireStoryOpt,
    ToOpt,
    UnsafeOpt,
    WithoutConsentOpt,
    actor,
    note,
    note_parts,
    open_db,
    out,
    print_json,
    table,
)
from plea.dates import parse_day
from plea.i18n import gettext, state_name, translate

app = typer.Typer(help="Letters: plan who gets which language, and render them.", no_args_is_help=True)

HostOpt = Annotated[str, typer.Option("--host", help="State where letters are delivered, e.g. US.")]
AnnexOpt = Annotated[str | None, typer.Option(
    "--annex", metavar="DOC,DOC|all",
    help="Case documents to send with each letter (numbers from `plea docs list`, or all): listed at the end of "
         "the letter, each in the letter's language where a translation exists; with --format pdf the PDF is "
         "the packet, the letter followed by its annexes, pages numbered across.")]


def _host(value: str) -> str:
    from plea import states

    return states.resolve(value, states.user_langs(), what="host state")


@app.command("plan")
def plan(ref: RefArg, letter: LetterOpt = "humanitarian-visa", to: ToOpt = "all", host: HostOpt = "US",
         lang: LangOpt = None, unsafe: UnsafeOpt = False, without_consent: WithoutConsentOpt = False,
         json_: JsonOpt = False) -> None:
    """Show, per recipient, the mission and the language chosen and why, and who is held back. Writes nothing."""
    from datetime import date

    from plea import states
    from plea.letters.choose import choose
    from plea.recipients import stale_route
    from plea.stories import story_for

    db = open_db()
    with db.read() as s:
        case, spec, picked = choose(s, ref, letter=letter, to=to, host=_host(host), lang=lang, unsafe=unsafe,
                                    without_consent=without_consent, today=date.today())
        from plea.consent import current
        from plea.directory.provenance import stale_report

        stale, max_age = stale_report(s, [r.mission for r in picked.found])
        consent = current(s.connection(), case)
    rows = [{"state": r.state, "name": states.name(r.state), "mission": r.mission.id, "city": r.mission.city,
             "how": r.how, "lang": r.lang, "why": r.why, "route": r.route} for r in picked.found]
    stories = [(case.ref, story_for(case, r.lang)) for r in picked.found]  # the version each letter carries
    for row, (_, story) in zip(rows, stories, strict=True):
        row["story"] = story.as_dict()
    if json_:
        print_json({"case": case.ref, "letter": spec.name, "recipients": rows, "no_mission": picked.missing,
                    "stale_contacts": stale, "contact_max_age_days": max_age,
                    "held_back": [h.as_dict() for h in picked.held_back],
                    "consent": None if consent is None else {
                        "given_on": consent.given_on.isoformat(), "states": consent.expression,
                        "expires_on": consent.expires_on.isoformat() if consent.expires_on else None,
                        "channels": sorted(consent.channels), "share_story": consent.share_story}})
        return
    t = table("state", "mission", "where", "language", "why", "story")
    for row, (_, story) in zip(rows, stories, strict=True):
        where = row["city"] + (gettext(" (accredited from there)") if row["how"] == "accredited" else "")
        where += {"referred": gettext(" (referred to it)"), "route": gettext(" (by the route)")}.get(row["how"], "")
        t.add_row(f"{state_name(row['state'])} ({row['state']})", row["mission"], where, row["lang"],
                  translate(row["why"]), translate(story.label()) or gettext("none"))
    out().print(t)
    show_held_back(picked.held_back)
    for line in picked.warnings:
        note(line)
    if picked.missing:
        note(f"no mission found for: {', '.join(picked.missing)}")
    note("consent: none recorded (nothing is restricted); record it with `plea consent add`" if consent is None
         else f"consent: {consent.label}" + (f", until {consent.expires_on.isoformat()}" if consent.expires_on else "")
         + (f", by {', '.join(sorted(consent.channels))}" if consent.channels else "")
         + ("" if consent.share_story else ", the story may not be shared")
         + (" (overridden with --without-consent)" if without_consent else ""))
    if stale:
        from plea.directory.provenance import stale_warning

        note_parts(*stale_warning(stale, max_age, host=_host(host), recipients=len(rows)), sep=" ")
    for row in rows:
        if row["route"] and row["route"]["stale"]:
            note(stale_route(row["route"], max_age))
    from plea.stories import fallback_summary

    if line := fallback_summary(stories):
        note(line)
    note(f"{len(rows)} letter(s) would be written; nothing was written")


@app.command("worklist")
def worklist(ref: RefArg, via: Annotated[str, typer.Option("--via", help="web-form.")] = "web-form",
             letter: LetterOpt = "humanitarian-visa", to: ToOpt = "all", host: HostOpt = "US", lang: LangOpt = None,
             unsafe: UnsafeOpt = False, without_consent: WithoutConsentOpt = False, json_: JsonOpt = False) -> None:
    """Per mission with a contact form: its address, the subject and the text to paste. Writes nothing;
    tick each off with `plea letters sent CASE --to STATE --via web-form --proof screenshot.png`."""
    from datetime import date

    from plea.worklist import build

    db = open_db()
    with db.transaction() if without_consent else db.read() as s:  # an override is recorded in the history
        work = build(s, ref, via=via, letter=letter, to=to, host=_host(host), lang=lang, unsafe=unsafe,
                     without_consent=without_consent, today=date.today())
        if without_consent:
            from plea.cases import get_case
            from plea.consent import note_override

            note_override(s, get_case(s, ref), command="letters worklist", actor=actor())
    if json_:
        print_json({"case": work.case_ref, "letter": work.letter, "via": via, "forms": work.items,
                    "left_out": work.left_out, "no_mission": work.missing,
                    "held_back": [h.as_dict() for h in work.held_back]})
    else:
        for i, item in enumerate(work.items):
            where = f"{state_name(item['state'])} ({item['state']})"
            typer.echo(("\n" if i else "") + f"== {where} · {item['mission']} "
                       f"· {item['lang']}\nURL: {item['url']}\nSubject: {item['subject']}\n\n{item['text'].rstrip()}")
    show_held_back(work.held_back)
    for line in work.warnings:
        note(line)
    if work.left_out:
        left = ", ".join(f"{state_name(x['state'])} ({x['state']}), {x['mission']}" for x in work.left_out)
        note(f"left out, no web form known ({len(work.left_out)}): {left}; add one with "
             "`plea embassies edit ID --web-form URL`")
    if work.missing:
        note(f"no mission found for: {', '.join(work.missing)}")
    note(f"{len(work.items)} web form(s) for {work.case_ref}; nothing was recorded")


def show_held_back(held: list) -> None:  # type: ignore[type-arg]
    """Held-back states on stderr: the threat states, then each cautioned state with its reason and source."""
    if not held:
        return
    note(f"held back ({len(held)}), not written to unless named in --to:")
    for h in held:
        source = f" — {h.source_url}" if h.source_url else ""
        note(f"  {state_name(h.state)} ({h.state}): {translate(h.reason)}{source}")


@app.command("render")
def render(  # 16 parameters: the command's options, one parameter each (Typer)
    ref: RefArg,
    letter: LetterOpt = "humanitarian-visa",
    to: ToOpt = "all",
    host: HostOpt = "US",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the letters.")] = Path("letters"),
    formats: FormatsOpt = "docx",
    letterhead: LetterheadOpt = None,
    paper: PaperOpt = None,
    lang: LangOpt = None,
    force: ForceOutOpt = False,
    due: DueOpt = False,
    annex: AnnexOpt = None,
    unsafe: UnsafeOpt = False,
    without_consent: WithoutConsentOpt = False,
    require_story: RequireStoryOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Render the letter for each recipient, each in its language, and record them: a batch of
    one case (the same files as `plea batch`), written straight into --out."""
    from datetime import date

    from plea.cli.common import Bar, letter_files
    from plea.fileio import output_folder
    from plea.letters.annex import parse as parse_annex
    from plea.letters.formats import parse_formats
    from plea.letters.plan import plan_case
    from plea.letters.run import write_case

    fmts, annexes = parse_formats(formats), parse_annex(annex)
    letter_files(out_dir, "the letters", "letters", paper=paper, letterhead=letterhead)
    today = date.today()
    choice = {"letter": letter, "to": to, "host": _host(host), "lang": lang, "unsafe": unsafe,
              "without_consent": without_consent}
    db = open_db()
    who = actor()
    with db.transaction() as s:
        chosen = _planned(s, ref, choice, due=due, today=today, actor=who)
        if chosen is None:
            return
        case, spec, picked, planned = chosen
        output_folder(out_dir, "--out")  # as typed: a path under a file, /proc/self …: one line, exit 3
        plan = plan_case(s, case, spec, planned, out_dir=out_dir, formats=fmts, paper=paper, letterhead=letterhead,
                         annex=annexes)
        if require_story:
            from plea.stories import refuse_untranslated

            refuse_untranslated(plan.stories())
        result = write_case(s, plan, actor=who, today=today, force=force, progress=Bar())
    _rendered(plan, result, picked, annexes=bool(annexes), json_=json_)


def _planned(s: Any, ref: str, choice: dict[str, Any], *, due: bool, today: Any, actor: str) -> Any:
    """`letters render`'s recipients and what each gets (choose, with_context): (case, letter,
    picked, planned), or None when nothing is due; a written-without-consent run is noted in the
    case's history."""
    from plea.errors import NotFound
    from plea.letters.choose import choose, with_context

    case, spec, picked = choose(s, ref, **choice, today=today)
    if choice["without_consent"]:
        from plea.consent import note_override

        note_override(s, case, command="letters render", actor=actor)
    for line in picked.warnings:
        note(line)
    if not picked.found:
        raise NotFound("no recipient: no mission matches --to for this --host",
                       hint="see `plea letters plan` and `plea embassies coverage --host …`")
    planned = with_context(s, case, spec, picked.found, to=choice["to"], due=due, today=today)
    if planned:
        return case, spec, picked, planned
    if due:
        from plea.campaign import next_followup, next_followup_text

        note(f"nothing to render: no letter is due; {next_followup_text(next_followup(s, [case], today))}")
    else:
        note("nothing to render")
    return None


def _rendered(plan: Any, result: Any, picked: Any, *, annexes: bool, json_: bool) -> None:
    """What `letters render` wrote: each file on stdout (or --json), then its notes on stderr."""
    from plea.letters.run import files_of
    from plea.stories import fallback_summary

    written = files_of(plan, result)
    if json_:
        print_json([{"state": i.state, "mission": i.mission_id, "lang": i.lang,
                     "files": [{"format": f, "path": p, "sha256": h} for f, p, h in files],
                     "annexes": [{"document": a.id, "original": a.original, "lang": a.lang, "sha256": a.sha256}
                                 for a in i.annexes]} for i, files in written])
    else:
        for _, files in written:
            for _, p, _ in files:
                typer.echo(p)
    if annexes and "pdf" not in plan.formats:
        note("the letters list their annexes; --format pdf makes each recipient's packet with them")
    if line := fallback_summary(plan.stories()):
        note(line)
    if picked.missing:
        note(f"no mission found for: {', '.join(picked.missing)}")
    case = plan.cases[0]
    if picked.held_back:
        note(f"held back (not written to): {', '.join(h.state for h in picked.held_back)}; "
             f"see `plea letters plan {case.ref}` for why")
    total = sum(len(files) for _, files in written)
    note(f"{len(written)} letter(s) for {case.ref}: {result.files} file(s) written, "
         f"{total - result.files} already up to date")
    if result.files:
        note(result.fallback_note())


ViaOpt = Annotated[str, typer.Option("--via", help="email, post, fax, hand, web-form.")]
OnOpt = Annotated[str | None, typer.Option("--on", metavar="DATE", help="YYYY-MM-DD, today, yesterday or -Nd (default: today).")]
SentToOpt = Annotated[str, typer.Option("--to", help="all, or states (FR,DE) / groups (@eu).")]


@app.command("sent")
def sent(
    ref: RefArg,
    via: ViaOpt,
    to: Annotated[str | None, typer.Option(
        "--to", help="all, or states (FR,DE) / groups (@eu) (default with --tracking-file: its states).")] = None,
    on: OnOpt = None,
    letter: LetterOpt = "humanitarian-visa",
    proof: Annotated[Path | None, typer.Option("--proof", help="Receipt, tracking note or screenshot to keep.")] = None,
    tracking: Annotated[str | None, typer.Option(
        "--tracking", help="The post's tracking or article number, for the one state in --to.")] = None,
    tracking_file: Annotated[Path | None, typer.Option(
        "--tracking-file", help="CSV with columns state (or mission) and tracking: one number per letter.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Accept a date before the letter was rendered, or --via post to a mission plea has "
                        "no postal address for.")] = False,
) -> None:
    """Mark letters sent (again, if they were sent before). A proof is kept with its sha256; tracking
    numbers are recorded with the sending."""
    from datetime import date

    from plea import states
    from plea.campaign import mark_sent
    from plea.cases import get_case
    from plea.errors import InvalidInput

    numbers = _tracking_numbers(to, tracking, tracking_file)
    if to is None and not numbers:
        raise InvalidInput("--to: name the states (FR,DE), a group (@eu) or all")
    day = parse_day(on)
    if proof is not None:
        from plea.fileio import input_file

        input_file(proof, "--proof")
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case = get_case(s, ref)
        if to is None:  # the tracking file's states, or its missions' states
            from plea.db.models import Mission

            keys = [(m.sending if (m := s.get(Mission, k)) is not None else k) for k in numbers]
            to = ",".join(dict.fromkeys(keys))
        chosen = mark_sent(s, case, to=to, on=day, via=via, letter=letter, proof=proof, actor=who, today=date.today(),
                           tracking=numbers, force=force)
    for _lt, m in chosen:
        typer.echo(m.sending)
    if not chosen:
        note(f"nothing to record: these letters were already marked sent on {day.isoformat()} via {via}")
        return
    # one template (a message joined with + matches none in the catalog); "Name (CC)" values are shown in
    # the interface language (plea.i18n.translate)
    names = ", ".join(f"{states.name(m.sending)} ({m.sending})" for _, m in chosen[:10]) + (
        " …" if len(chosen) > 10 else "")
    note(f"{len(chosen)} letter(s) of {case.ref} marked sent on {day.isoformat()} via {via}: {names}")


def _tracking_numbers(to: str | None, tracking: str | None, tracking_file: Path | None) -> dict[str, str]:
    """state or mission → number, from --tracking (one state named in --to) or --tracking-file."""
    from plea.errors import InvalidInput
    from plea.recipients import parse_to
    from plea.tracking import check, normal, read_file

    if tracking is not None and tracking_file is not None:
        raise InvalidInput("--tracking or --tracking-file, not both")
    if tracking_file is not None:
        return read_file(tracking_file)
    if tracking is None:
        return {}
    named = parse_to(to).named if to else []
    if len(named) != 1 or (to and parse_to(to).everything):
        raise InvalidInput("--tracking goes with one state in --to; for several letters use --tracking-file")
    if bad := check(tracking):
        raise InvalidInput(f"--tracking: {bad}")
    return {named[0]: normal(tracking)}


def _mark(ref: str, to: str, on: str | None, status: str, letter: str) -> None:
    from datetime import date

    from plea.campaign import mark_status
    from plea.cases import get_case

    day = parse_day(on)
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case = get_case(s, ref)
        chosen = mark_status(s, case, status, to=to, on=day, actor=who, today=date.today(), letter=letter)
    for _lt, m in chosen:
        typer.echo(m.sending)
    note(f"{len(chosen)} letter(s) of {case.ref} marked {status}")


@app.command("bounced")
def bounced(ref: RefArg, to: SentToOpt, on: OnOpt = None, letter: LetterOpt = "humanitarian-visa") -> None:
    """Mark sent letters as bounced (returned, undeliverable)."""
    _mark(ref, to, on, "bounced", letter)


@app.command("close")
def close(ref: RefArg, to: SentToOpt, on: OnOpt = None, letter: LetterOpt = "humanitarian-visa") -> None:
    """Close letters: no answer is expected any more (no follow-ups)."""
    _mark(ref, to, on, "closed", letter)
