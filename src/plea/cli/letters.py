"""`plea letters …`: plan and render a case's letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table
from plea.dates import parse_day

app = typer.Typer(help="Letters: plan who gets which language, and render them.", no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="Case reference, e.g. PLEA-2026-0001.", metavar="CASE")]
LetterOpt = Annotated[str, typer.Option("--letter", help="Letter template, e.g. humanitarian-visa.")]
ToOpt = Annotated[str, typer.Option("--to", help="all, states (FR,DE,Italy) or groups (@eu, @un).")]
HostOpt = Annotated[str, typer.Option("--host", help="State where letters are delivered, e.g. US.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Write every letter in this language.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _host(value: str) -> str:
    from plea import states

    return states.resolve(value, states.user_langs(), what="host state")


@app.command("plan")
def plan(ref: RefArg, letter: LetterOpt = "humanitarian-visa", to: ToOpt = "all", host: HostOpt = "US",
         lang: LangOpt = None, json_: JsonOpt = False) -> None:
    """Show, per recipient, the mission and the language chosen and why. Writes nothing."""
    from plea import states
    from plea.letters import plan as make_plan

    db = open_db()
    with db.read() as s:
        case, spec, found, missing = make_plan(s, ref, letter=letter, to=to, host=_host(host), lang=lang)
        from plea.provenance import stale_report

        stale, max_age = stale_report(s, [r.mission for r in found])
    rows = [{"state": r.state, "name": states.name(r.state), "mission": r.mission.id, "city": r.mission.city,
             "how": r.how, "lang": r.lang, "why": r.why} for r in found]
    if json_:
        print_json({"case": case.ref, "letter": spec.name, "recipients": rows, "no_mission": missing,
                    "stale_contacts": stale, "contact_max_age_days": max_age})
        return
    t = table("state", "mission", "where", "language", "why")
    for row in rows:
        where = row["city"] + (" (accredited from there)" if row["how"] == "accredited" else "")
        t.add_row(f"{row['name']} ({row['state']})", row["mission"], where, row["lang"], row["why"])
    out().print(t)
    if missing:
        note(f"no mission found for: {', '.join(missing)}")
    if stale:
        from plea.provenance import stale_warning

        note(stale_warning(stale, max_age, host=_host(host), recipients=len(rows)))
    note(f"{len(rows)} letter(s) would be written; nothing was written")


@app.command("render")
def render(
    ref: RefArg,
    letter: LetterOpt = "humanitarian-visa",
    to: ToOpt = "all",
    host: HostOpt = "US",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the letters.")] = Path("letters"),
    formats: Annotated[str, typer.Option("--format", help="docx, md, txt (comma-separated).")] = "docx",
    letterhead: Annotated[Path | None, typer.Option("--letterhead", help="A DOCX whose styles, header and footer to use.")] = None,
    paper: Annotated[str | None, typer.Option("--paper", help="a4 or letter (default: from the host state).")] = None,
    lang: LangOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files in --out that plea did not write.")] = False,
    due: Annotated[bool, typer.Option("--due", help="With --letter follow-up: only letters due for a follow-up.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Render the letter for each recipient, each in its language, and record them."""
    from datetime import date

    from plea.errors import InvalidInput, NotFound
    from plea.fileio import input_file, out_folder
    from plea.letters import parse_formats, plan as make_plan, render_all, with_context, write_letters

    fmts = parse_formats(formats)
    if paper is not None and paper not in ("a4", "letter"):
        raise InvalidInput(f"--paper: {paper!r} is not a4 or letter")
    out_folder(out_dir, "the letters", "letters")
    if letterhead is not None:
        input_file(letterhead, "--letterhead")
    today = date.today()
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case, spec, found, missing = make_plan(s, ref, letter=letter, to=to, host=_host(host), lang=lang)
        if not found:
            raise NotFound("no recipient: no mission matches --to for this --host",
                           hint="see `plea letters plan` and `plea embassies coverage --host …`")
        planned = with_context(s, case, spec, found, to=to, due=due, today=today)
        if not planned:
            if due:
                from plea.campaign import next_followup, next_followup_text

                note(f"nothing to render: no letter is due; {next_followup_text(next_followup(s, [case], today))}")
            else:
                note("nothing to render")
            return
        rendered = render_all(case, spec, planned, today=today)
        with _progress(len(rendered) * len(fmts), "writing letters") as step:
            written = write_letters(s, case, spec, rendered, out_dir=out_dir, formats=fmts, paper=paper,
                                    letterhead=letterhead, today=today, actor=who, force=force, progress=step)
    new = sum(w.new_files for w in written)
    if json_:
        print_json([{"state": w.state, "mission": w.mission_id, "lang": w.lang,
                     "files": [{"format": f, "path": str(p), "sha256": h} for f, p, h in w.files]} for w in written])
    else:
        for w in written:
            for _, p, _ in w.files:
                typer.echo(str(p))
    if missing:
        note(f"no mission found for: {', '.join(missing)}")
    note(f"{len(written)} letter(s) for {case.ref}: {new} file(s) written, "
         f"{sum(len(w.files) for w in written) - new} already up to date")


class _progress:
    """A Rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.bar = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        import sys

        if not sys.stderr.isatty():
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda: self.bar.advance(task)  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


ViaOpt = Annotated[str, typer.Option("--via", help="email, post, fax, hand, web-form.")]
OnOpt = Annotated[str | None, typer.Option("--on", metavar="DATE", help="YYYY-MM-DD, today, yesterday or -Nd (default: today).")]
SentToOpt = Annotated[str, typer.Option("--to", help="all, or states (FR,DE) / groups (@eu).")]


@app.command("sent")
def sent(
    ref: RefArg,
    to: SentToOpt,
    via: ViaOpt,
    on: OnOpt = None,
    letter: LetterOpt = "humanitarian-visa",
    proof: Annotated[Path | None, typer.Option("--proof", help="Receipt, tracking note or screenshot to keep.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Accept a date before the letter was rendered.")] = False,
) -> None:
    """Mark letters sent (again, if they were sent before). A proof is kept with its sha256."""
    from datetime import date

    from plea import states
    from plea.campaign import mark_sent
    from plea.cases import get_case

    day = parse_day(on)
    if proof is not None:
        from plea.fileio import input_file

        input_file(proof, "--proof")
    db = open_db()
    who = actor()
    with db.transaction() as s:
        case = get_case(s, ref)
        chosen = mark_sent(s, case, to=to, on=day, via=via, letter=letter, proof=proof, actor=who, today=date.today(),
                           force=force)
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
