"""`plea letters …`: plan and render a case's letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table

app = typer.Typer(help="Letters: plan who gets which language, and render them.", no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="Case reference, e.g. PLEA-2026-0001.", metavar="CASE")]
LetterOpt = Annotated[str, typer.Option("--letter", help="Letter template, e.g. humanitarian-visa.")]
ToOpt = Annotated[str, typer.Option(
    "--to", help="all, states (FR,DE,Italy), groups (@eu, @un, @cis), exclusions (all,-FR,-@cis). "
                 "all and groups never include the case's threat states or cautioned states.")]
HostOpt = Annotated[str, typer.Option("--host", help="State where letters are delivered, e.g. US.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Write every letter in this language.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
UnsafeOpt = Annotated[bool, typer.Option(
    "--unsafe-write-to-threat-state",
    help="DANGER: allow writing to a state named in --to that persecutes the person (a threat state of the case).")]


def _host(value: str) -> str:
    from plea import states

    return states.resolve(value, states.user_langs(), what="host state")


@app.command("plan")
def plan(ref: RefArg, letter: LetterOpt = "humanitarian-visa", to: ToOpt = "all", host: HostOpt = "US",
         lang: LangOpt = None, unsafe: UnsafeOpt = False, json_: JsonOpt = False) -> None:
    """Show, per recipient, the mission and the language chosen and why, and who is held back. Writes nothing."""
    from plea import states
    from plea.letters.choose import choose

    db = open_db()
    with db.read() as s:
        case, spec, picked = choose(s, ref, letter=letter, to=to, host=_host(host), lang=lang, unsafe=unsafe)
        from plea.provenance import stale_report

        stale, max_age = stale_report(s, [r.mission for r in picked.found])
    rows = [{"state": r.state, "name": states.name(r.state), "mission": r.mission.id, "city": r.mission.city,
             "how": r.how, "lang": r.lang, "why": r.why} for r in picked.found]
    if json_:
        print_json({"case": case.ref, "letter": spec.name, "recipients": rows, "no_mission": picked.missing,
                    "stale_contacts": stale, "contact_max_age_days": max_age,
                    "held_back": [h.as_dict() for h in picked.held_back]})
        return
    t = table("state", "mission", "where", "language", "why")
    for row in rows:
        where = row["city"] + (" (accredited from there)" if row["how"] == "accredited" else "")
        t.add_row(f"{row['name']} ({row['state']})", row["mission"], where, row["lang"], row["why"])
    out().print(t)
    show_held_back(picked.held_back)
    for line in picked.warnings:
        note(line)
    if picked.missing:
        note(f"no mission found for: {', '.join(picked.missing)}")
    if stale:
        from plea.provenance import stale_warning

        note(stale_warning(stale, max_age, host=_host(host), recipients=len(rows)))
    note(f"{len(rows)} letter(s) would be written; nothing was written")


def show_held_back(held: list) -> None:  # type: ignore[type-arg]
    """Held-back states on stderr: the threat states, then each cautioned state with its reason and source."""
    from plea import states

    if not held:
        return
    note(f"held back ({len(held)}), not written to unless named in --to:")
    for h in held:
        source = f" — {h.source_url}" if h.source_url else ""
        note(f"  {states.name(h.state)} ({h.state}): {h.reason}{source}")


@app.command("render")
def render(
    ref: RefArg,
    letter: LetterOpt = "humanitarian-visa",
    to: ToOpt = "all",
    host: HostOpt = "US",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the letters.")] = Path("letters"),
    formats: Annotated[str, typer.Option("--format", help="docx, pdf, md, txt (comma-separated).")] = "docx",
    letterhead: Annotated[Path | None, typer.Option("--letterhead", help="A DOCX whose styles, header and footer to use.")] = None,
    paper: Annotated[str | None, typer.Option("--paper", help="a4 or letter (default: from the host state).")] = None,
    lang: LangOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files in --out that plea did not write.")] = False,
    due: Annotated[bool, typer.Option("--due", help="With --letter follow-up: only letters due for a follow-up.")] = False,
    unsafe: UnsafeOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Render the letter for each recipient, each in its language, and record them: a batch of
    one case (the same files as `plea batch`), written straight into --out."""
    from datetime import date

    from plea.cli.common import Bar
    from plea.errors import InvalidInput, NotFound
    from plea.letters.choose import choose, with_context
    from plea.letters.plan import parse_formats, plan_case
    from plea.letters.run import Result, files_of, write_case

    fmts = parse_formats(formats)
    if paper is not None and paper not in ("a4", "letter"):
        raise InvalidInput(f"--paper: {paper!r} is not a4 or letter")
    if letterhead is not None and not letterhead.is_file():
        raise NotFound(f"--letterhead: no such file {letterhead}")
    today = date.today()
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case, spec, picked = choose(s, ref, letter=letter, to=to, host=_host(host), lang=lang, unsafe=unsafe)
        for line in picked.warnings:
            note(line)
        if not picked.found:
            raise NotFound("no recipient: no mission matches --to for this --host",
                           hint="see `plea letters plan` and `plea embassies coverage --host …`")
        planned = with_context(s, case, spec, picked.found, to=to, due=due, today=today)
        if not planned:
            note("nothing to render: no letter is due" if due else "nothing to render")
            return
        plan = plan_case(s, case, spec, planned, out_dir=out_dir, formats=fmts, paper=paper, letterhead=letterhead)
        result: Result = write_case(s, plan, actor=who, today=today, force=force, progress=Bar())
    written = files_of(plan, result)
    if json_:
        print_json([{"state": i.state, "mission": i.mission_id, "lang": i.lang,
                     "files": [{"format": f, "path": p, "sha256": h} for f, p, h in files]} for i, files in written])
    else:
        for _, files in written:
            for _, p, _ in files:
                typer.echo(p)
    if picked.missing:
        note(f"no mission found for: {', '.join(picked.missing)}")
    if picked.held_back:
        note(f"held back (not written to): {', '.join(h.state for h in picked.held_back)}; "
             f"see `plea letters plan {case.ref}` for why")
    total = sum(len(files) for _, files in written)
    note(f"{len(written)} letter(s) for {case.ref}: {result.files} file(s) written, "
         f"{total - result.files} already up to date")
    if result.files:
        note(result.fallback_note())


ViaOpt = Annotated[str, typer.Option("--via", help="email, post, fax, hand, web-form.")]
OnOpt = Annotated[str | None, typer.Option("--on", help="Date, YYYY-MM-DD (default: today).")]
SentToOpt = Annotated[str, typer.Option("--to", help="all, or states (FR,DE) / groups (@eu).")]


def parse_day(value: str | None, option: str = "--on"):  # type: ignore[no-untyped-def]
    from datetime import date

    from plea.errors import InvalidInput

    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option}: not a date {value!r} (use YYYY-MM-DD)") from None


@app.command("sent")
def sent(
    ref: RefArg,
    to: SentToOpt,
    via: ViaOpt,
    on: OnOpt = None,
    letter: LetterOpt = "humanitarian-visa",
    proof: Annotated[Path | None, typer.Option("--proof", help="Receipt, tracking note or screenshot to keep.")] = None,
) -> None:
    """Mark letters sent (again, if they were sent before). A proof is kept with its sha256."""
    from datetime import date

    from plea import states
    from plea.campaign import mark_sent
    from plea.cases import get_case

    day = parse_day(on)
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case = get_case(s, ref)
        chosen = mark_sent(s, case, to=to, on=day, via=via, letter=letter, proof=proof, actor=who, today=date.today())
    for _lt, m in chosen:
        typer.echo(m.sending)
    if not chosen:
        note(f"nothing to record: these letters were already marked sent on {day.isoformat()} via {via}")
        return
    note(f"{len(chosen)} letter(s) of {case.ref} marked sent on {day.isoformat()} via {via}: "
         + ", ".join(states.name(m.sending) for _, m in chosen[:10]) + (" …" if len(chosen) > 10 else ""))


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
