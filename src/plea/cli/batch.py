"""`plea batch`: one command for many clients × many missions, resumable and fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import (
    Bar,
    DueOpt,
    ForceOutOpt,
    FormatsOpt,
    JsonOpt,
    LangOpt,
    LetterheadOpt,
    LetterOpt,
    PaperOpt,
    RequireStoryOpt,
    ToOpt,
    UnsafeOpt,
    WithoutConsentOpt,
    actor,
    letter_files,
    note,
    open_db,
    opened,
    print_json,
)


def _hosts(value: str) -> list[str]:
    from plea import states
    from plea.errors import InvalidInput

    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise InvalidInput("--host: name at least one state, e.g. US")
    return list(dict.fromkeys(states.resolve(v, states.user_langs(), what="host state") for v in items))


def _tell(plan: Any, *, annexes: bool, dry_run: bool) -> None:
    """What the plan means, on stderr: its headline, warnings, stories without a translation,
    missing missions and what was held back (per client with --dry-run)."""
    from plea.i18n import gettext
    from plea.stories import fallback_summary

    note(plan.headline())
    if annexes and "pdf" not in plan.formats:
        note("the letters list their annexes; --format pdf makes each recipient's packet with them")
    for line in plan.warnings:
        note(line)
    if story_line := fallback_summary(plan.stories()):
        note(story_line)
    if plan.no_mission:
        note(f"no mission found for: {', '.join(plan.no_mission)}")
    if dry_run:  # per client: how many were held back, and which; which letters go to an authority
        for ref, held in plan.held_back.items():
            codes = ", ".join(h.state for h in held[:12]) + (" …" if len(held) > 12 else "")
            note(f"{ref}: {len(held)} state(s) held back (threat or cautioned): {codes}")
        how = {"referred": gettext(" (referred to it)"), "route": gettext(" (by the route)")}
        for ref, moved in plan.redirected.items():
            where = ", ".join(f"{state} → {mission}{how[why]}" for state, mission, why in moved)
            note(f"{ref}: the authority that decides gets the letter, not the embassies: {where}")
    else:
        if plan.held_back:
            note(f"held back for {len(plan.held_back)} client(s): their threat and cautioned states "
                 "(see `plea batch --dry-run` or `plea letters plan REF`)")
        if plan.redirected:
            n = sum(len(moved) for moved in plan.redirected.values())
            note(f"{n} letter(s) for {len(plan.redirected)} client(s) go to the authority that decides, not "
                 "the embassies (a route, or the state's answer: see `plea batch --dry-run`)")


def _summary(plan: Any) -> dict[str, Any]:
    """The plan's part of `--json`."""
    return {
        "clients": len(plan.cases),
        "letters": len(plan.items),
        "already_done": plan.already_done,
        "to_render": len(plan.todo),
        "formats": plan.formats,
        "out": str(plan.out_dir),
        "held_back": {ref: [h.as_dict() for h in held] for ref, held in plan.held_back.items()},
        "redirected": {ref: [{"state": state, "mission": mission, "how": how}
                             for state, mission, how in moved] for ref, moved in plan.redirected.items()},
    }


def batch(  # 20 parameters: the command's options, one parameter each (Typer)
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the batch: one sub-folder per client, manifest.csv.")
    ],
    cases: Annotated[
        str, typer.Option("--cases", help="all, or case references: PLEA-2026-0001,PLEA-2026-0002.")
    ] = "all",
    status: Annotated[
        str | None, typer.Option("--status", help="open, archived or all (default: open with --cases all).")
    ] = None,
    letter: LetterOpt = "humanitarian-visa",
    to: ToOpt = "all",
    host: Annotated[
        str, typer.Option("--host", help="State(s) where letters are delivered, e.g. US or US,CA.")
    ] = "US",
    formats: FormatsOpt = "docx",
    letterhead: LetterheadOpt = None,
    paper: PaperOpt = None,
    lang: LangOpt = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", help="Worker processes rendering at once (1: this process alone).", min=1, max=64
        ),
    ] = 1,
    zip_: Annotated[bool, typer.Option("--zip", help="Also one archive per client: DIR/REF.zip.")] = False,
    due: DueOpt = False,
    force: ForceOutOpt = False,
    annex: Annotated[str | None, typer.Option(
        "--annex", metavar="DOC,DOC|all",
        help="Case documents to send with each client's letters (numbers from `plea docs list`, each applied to "
             "its own case, or all): listed at the end of the letter, in its language where a translation "
             "exists; with --format pdf the PDF is the packet, pages numbered across.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; write nothing.")] = False,
    unsafe: UnsafeOpt = False,
    without_consent: WithoutConsentOpt = False,
    require_story: RequireStoryOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Render a letter for many clients to many missions: resumable (run it again to finish),
    idempotent (letters already rendered from the same inputs are kept), one folder per client
    and DIR/manifest.csv. Prints the manifest's path."""
    from datetime import date

    from plea.letters.annex import parse as parse_annex
    from plea.letters.formats import parse_formats
    from plea.letters.workers import early_workers

    fmts, annexes = parse_formats(formats), parse_annex(annex)
    letter_files(out_dir, "the batch's files", "batch", paper=paper, letterhead=letterhead)
    asked = {"cases": cases, "status": status, "letter": letter, "to": to, "hosts": _hosts(host),
             "lang": lang, "out_dir": out_dir, "formats": fmts, "paper": paper, "letterhead": letterhead,
             "today": date.today(), "due": due, "unsafe": unsafe, "without_consent": without_consent,
             "annex": annexes}
    # the workers load while this process plans (forked before any database is open, so they
    # start with its modules loaded); execute() uses them
    with early_workers(jobs if jobs > 1 and not dry_run else 0, letter, formats=fmts, paper=paper,
                       hosts=asked["hosts"], letterhead=letterhead, fork=not opened()) as workers:
        # the database layer loads here, while the workers warm up
        from plea.letters.plan import make_plan

        db = open_db()
        with db.read() as s:
            plan = make_plan(s, **asked)
        _check(plan, require_story=require_story)
        _tell(plan, annexes=bool(annexes), dry_run=dry_run)
        if dry_run:
            if json_:
                print_json({**_summary(plan), "dry_run": True})
            note("dry run: nothing was written")
            return
        summary = _summary(plan)  # as planned: before files named by an earlier rule are renamed
        result = _run(db, plan, asked, jobs=jobs, force=force, zip_=zip_, workers=workers)
    _report(plan, result, summary if json_ else None)


def _check(plan: Any, *, require_story: bool) -> None:
    """Refuse a plan with no letter, or (--require-translated-story) one with a story left untranslated."""
    from plea.errors import NotFound

    if not plan.items:
        raise NotFound(
            "no letter to write: no mission matches --to for this --host",
            hint="see `plea letters plan REF --to … --host …` and `plea embassies coverage --host …`",
        )
    if require_story:
        from plea.stories import refuse_untranslated

        refuse_untranslated(plan.stories())


def _run(
    db: Any, plan: Any, asked: dict[str, Any], *, jobs: int, force: bool, zip_: bool, workers: Any
) -> Any:
    """Render, write and record the plan (plea.letters.run.execute); a run outside the clients'
    consent is noted in each case's history first."""
    from plea.letters.run import execute

    if asked["without_consent"]:
        from plea.consent import note_override

        with db.transaction() as s:
            for case in plan.cases:
                note_override(s, case, command="batch", actor=actor())
    return execute(db, plan, jobs=jobs, actor=actor(), today=asked["today"], force=force, zip_=zip_,
                   progress=Bar(), workers=workers)


def _report(plan: Any, result: Any, summary: dict[str, Any] | None) -> None:
    """The manifest's path and the zips on stdout (or, given the plan's summary, --json), the
    counts on stderr."""
    if summary is not None:
        print_json({**summary, "rendered": result.rendered, "files_written": result.files,
                    "manifest": str(result.manifest), "zips": [str(z) for z in result.zips],
                    "fallbacks": result.fallback_json()})
    else:
        typer.echo(str(result.manifest))
        for z in result.zips:
            typer.echo(str(z))
    note(
        f"{len(plan.items)} letter(s) for {len(plan.cases)} client(s): {result.rendered} rendered "
        f"({result.files} file(s) written), {plan.already_done} already done"
    )
    note(result.fallback_note())
