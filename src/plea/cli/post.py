"""`plea post`: a mailing for window envelopes, for one case or many (the core: plea.post.mailing)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import (
    Bar,
    ForceOutOpt,
    JsonOpt,
    LangOpt,
    LetterheadOpt,
    LetterOpt,
    PaperOpt,
    UnsafeOpt,
    actor,
    letter_files,
    note,
    open_db,
    print_json,
)


def post(  # 16 parameters: the command's options, one parameter each (Typer)
    ref: Annotated[str | None, typer.Argument(help="Case reference (or --cases).", metavar="CASE")] = None,
    cases: Annotated[
        str | None,
        typer.Option("--cases", help="all (the open cases) or references, PLEA-2026-0001,PLEA-2026-0002."),
    ] = None,
    to: Annotated[
        str, typer.Option("--to", help="all, or states (FR,DE) / groups (@eu) / -exclusions, left to right.")
    ] = "all",
    host: Annotated[str, typer.Option("--host", help="State where letters are delivered, e.g. US.")] = "US",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the mailing.")] = Path("mailing"),
    letter: LetterOpt = "humanitarian-visa",
    labels: Annotated[
        bool,
        typer.Option(
            "--labels", help="A sheet of labels (Avery L7163 on A4, 5160 on Letter) instead of envelopes."
        ),
    ] = False,
    envelope: Annotated[
        str | None, typer.Option("--envelope", help="dl, c5 or us10 (default: DL on A4, US #10 on Letter).")
    ] = None,
    paper: PaperOpt = None,
    posted_in: Annotated[
        str | None,
        typer.Option(
            "--posted-in",
            help="Where you post the letters (default: the host): the country line is left "
            "out for letters posted inside it.",
        ),
    ] = None,
    lang: LangOpt = None,
    letterhead: LetterheadOpt = None,
    force: ForceOutOpt = False,
    unsafe: UnsafeOpt = False,
    annex: Annotated[str | None, typer.Option(
        "--annex", metavar="DOC,DOC|all",
        help="Case documents to post with each letter (numbers from `plea docs list`, with one CASE; or all): "
             "each letter's PDF is the packet, the letter followed by its annexes, in the letter's language "
             "where a translation exists, pages numbered across.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Prepare a mailing: one print-ready PDF per letter with the address where the envelope's window
    is, envelopes.pdf (or labels.pdf), and the posting list (posting-list.csv and a firm mailing book,
    posting-list.pdf, for the post office to stamp). Missions without a postal address are listed
    first and left out. Running it again into the same folder changes nothing."""
    from datetime import date

    from plea import states
    from plea.errors import InvalidInput
    from plea.fileio import output_folder
    from plea.letters.annex import parse as parse_annex
    from plea.post.mailing import Options, plan, write

    if (ref is None) == (cases is None):
        raise InvalidInput("give one CASE or --cases all|REF,…")
    annexes = parse_annex(annex)
    if annexes and annexes != ["all"] and ref is None:
        raise InvalidInput("--annex: document numbers belong to one case: give one CASE, or --annex all with --cases")
    letter_files(out_dir, "the mailing", "mailing", paper=paper, letterhead=letterhead)
    code = states.resolve(host, states.user_langs(), what="host state")
    posted = states.resolve(posted_in, states.user_langs(), what="state") if posted_in else code
    options = Options(letter=letter, to=to, host=code, out_dir=out_dir, posted_in=posted, labels=labels,
                      envelope=envelope, paper=paper, lang=lang, letterhead=letterhead, force=force,
                      unsafe=unsafe, annex=annexes)
    if envelope is not None:
        from plea.post.sheets import envelope_for

        envelope_for(paper or "a4", envelope)  # a bad --envelope: said before any work
    db = open_db()
    who = actor()
    today = date.today()  # read once: consent judged and letters dated on the same day
    with db.transaction() as s:
        mail = plan(s, _cases(s, ref, cases), options, today=today)
        _left_out(mail)
        output_folder(out_dir, "--out")
        result = write(s, mail, actor=who, today=today, progress=Bar())
    _report(mail, result, out_dir, json_=json_)


def _cases(s: Any, ref: str | None, cases: str | None) -> list[Any]:
    """The one CASE, or the cases --cases names."""
    from plea.cases import get_case
    from plea.letters.choose import select_cases

    return [get_case(s, ref)] if ref is not None else select_cases(s, cases or "", None)


def _left_out(mail: Any) -> None:
    """The mailing's warnings, and the missions left out for want of a postal address, on stderr."""
    for line in mail.warnings:
        note(line)
    if mail.left_out and mail.letters:  # with no letter at all, the error lists them
        note(
            f"left out, no postal address ({len(mail.left_out)}): add it with `plea embassies edit ID "
            "--address … --postcode …`"
        )
        for x in mail.left_out:
            note(f"  {x.line()}")


def _report(mail: Any, result: Any, out_dir: Path, *, json_: bool) -> None:
    """The letters and mailing files on stdout (or --json); what is missing and the counts on stderr."""
    if json_:
        print_json(result.as_json())
    else:
        for row in result.rows:
            typer.echo(str(out_dir / row.letter))
        for path in result.files:
            typer.echo(path)
    for c in mail.cases:
        if c.missing:
            note(f"{c.case.ref}: no mission found for: {', '.join(c.missing)}")
    for refno in result.sender_missing:
        note(
            f"{refno}: no return address on the envelopes: give it with "
            f"`plea cases edit {refno} --rep-address …`"
        )
    note(
        f"{len(result.rows)} letter(s) to post, {len(mail.left_out)} left out; "
        f"{result.letters_written} letter PDF(s) and {len(result.written)} mailing file(s) written, "
        f"the rest already up to date"
    )
