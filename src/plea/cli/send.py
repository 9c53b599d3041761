"""`plea send` (letters by email through the outbox), `plea outbox …`, `plea config password`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import JsonOpt, actor, ask_password, note, note_parts, open_db, out, print_json, table
from plea.i18n import translate


def _skips(p: Any) -> None:
    for reason in p.skipped:
        note(f"skipped: {reason}")
    if p.uncertain:
        ids = ", ".join(str(r.id) for r in p.uncertain)
        note(
            f"{len(p.uncertain)} message(s) may already have been delivered (a run stopped after "
            f"handing them over): outbox {ids}. They are never sent again by themselves: "
            "check the Sent folder, then `plea outbox resolve ID --sent` or `--failed`"
        )


def send(  # 11 parameters: the command's options, one parameter each (Typer)
    ref: Annotated[
        str | None, typer.Argument(help="Case reference (all cases with --retry).", metavar="[CASE]")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="all, states (FR,DE,Italy), groups (@eu, @un, @cis), exclusions "
                                               "(all,-FR). all and groups never include the case's threat "
                                               "states or cautioned states.")
    ] = None,
    unsafe: Annotated[bool, typer.Option(
        "--unsafe-write-to-threat-state",
        help="DANGER: allow emailing a state named in --to that persecutes the person (a threat state).")] = False,
    without_consent: Annotated[bool, typer.Option(
        "--without-consent", help="Send outside the applicant's recorded consent (recorded in the history).")] = False,
    letter: Annotated[str, typer.Option("--letter", help="Which letter.")] = "humanitarian-visa",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write .eml files instead of sending.")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for --dry-run's .eml files.")] = Path(
        "outbox"
    ),
    rate: Annotated[
        str | None, typer.Option("--rate", help="At most this many messages, e.g. 20/min.")
    ] = None,
    retry: Annotated[bool, typer.Option("--retry", help="Send again the messages that failed.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before sending.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Email rendered letters to the missions that have an address: subject in the letter's
    language with the case reference, the letter as the body, the DOCX attached. A letter is
    marked sent only once the server accepted it."""
    import sys

    from plea.config import server
    from plea.errors import InvalidInput
    from plea.mail.outbox import parse_rate

    interval = parse_rate(rate)
    if ref is None and not retry:
        raise InvalidInput("name the case whose letters to send (or use --retry)")
    if not retry and not to:
        raise InvalidInput("--to: name the states (FR,DE), a group (@eu, @un) or all")
    if dry_run:
        from plea.fileio import out_folder

        out_folder(out_dir, "the .eml files", "outbox")
    from datetime import date

    # the day is read once: the listing and the queueing judge consent on the same day
    choice = {"to": to, "letter": letter, "retry": retry, "unsafe": unsafe,
              "without_consent": without_consent, "today": date.today()}
    db = open_db()
    settings, case, p = _planned(db, ref, choice, drafts=out_dir if dry_run else None)
    if dry_run or not p.count:
        if not dry_run:
            note("nothing to send")
        return
    srv = server(settings, "smtp")
    secret = ask_password(srv)
    if sys.stdin.isatty() and not yes:
        typer.confirm(translate(f"Send {p.count} message(s) through {srv.label}?"), abort=True)
    ids, results = _delivered(db, case, choice, settings, srv, secret, interval)
    _report(ids, results, srv.label, json_=json_)


def _planned(
    db: Any, ref: str | None, choice: dict[str, Any], *, drafts: Path | None
) -> tuple[Any, Any, Any]:
    """(the mail settings, the case, what would be sent); with `drafts` (--dry-run) the messages are
    written there as .eml files instead, and listed. Skips and warnings on stderr."""
    from plea.cases import get_case
    from plea.config import setting_value
    from plea.mail import load_settings
    from plea.mail.outbox import plan, write_drafts

    with db.read() as s:
        settings = load_settings(s)
        case = get_case(s, ref) if ref else None
        p = plan(s, case, configured_sender=setting_value(settings, "smtp.from"), **choice)
        files = write_drafts(p, drafts, session=s) if drafts is not None else []
    _skips(p)
    for line in p.warnings:
        note(line)
    if drafts is not None:
        for f in files:
            typer.echo(str(f))
        note(f"{len(files)} message(s) written as .eml files; nothing was sent or recorded")
    return settings, case, p


def _delivered(  # 7 parameters: the database, the case, its choice, the server, its secret, the rate
    db: Any, case: Any, choice: dict[str, Any], settings: Any, srv: Any, secret: str | None, interval: Any
) -> tuple[list[int], list[Any]]:
    """Queue the messages (planned again in the queueing transaction) and hand them to the server
    one by one: (the queued ids, each one's result). An authentication failure stops before
    anything is queued."""
    from plea.config import setting_value
    from plea.mail.outbox import deliver, plan, queue
    from plea.mail.smtp import SmtpTransport

    transport = SmtpTransport(srv, secret)
    transport.open()  # an authentication failure stops here: nothing queued, nothing marked sent
    who = actor()
    try:
        with db.transaction() as s:
            ids = queue(s, plan(s, case, configured_sender=setting_value(settings, "smtp.from"), **choice),
                        actor=who)
            if choice["without_consent"] and case is not None:
                from plea.consent import note_override

                note_override(s, case, command="send", actor=who)
        results = deliver(db, ids, transport, actor=who, today=choice["today"], interval=interval,
                          progress=lambda r: note(f"{r.state} {r.recipient}: {r.status} {r.detail}".rstrip()))
    finally:
        transport.close()
    return ids, results


def _report(ids: list[int], results: list[Any], label: str, *, json_: bool) -> None:
    """Each message's result on stdout (a table, or --json), the count on stderr; an error (exit 8)
    when any was not delivered or not tried."""
    from plea.errors import ExternalProblem

    if json_:
        print_json([r.__dict__ for r in results])
    else:
        t = table("outbox", "state", "to", "status", "server")
        for r in results:
            t.add_row(str(r.outbox_id), r.state, r.recipient, r.status, r.detail)
        out().print(t)
    done = sum(r.status == "sent" for r in results)
    bad = [r for r in results if r.status != "sent"]
    left = len(ids) - len(results)
    note_parts(f"{done} of {len(ids)} message(s) accepted by {label}",
               f"{left} left queued" if left else None)
    if bad or left:
        raise ExternalProblem(
            f"{len(bad)} message(s) not delivered, {left} not tried" if left
            else f"{len(bad)} message(s) not delivered",
            hint="fix the cause, then `plea send --retry` (failed) or `plea send CASE --to …` "
            "(queued); uncertain ones: `plea outbox resolve`",
        )


outbox_app = typer.Typer(help="The outbox: emails queued, sending, sent or failed.", no_args_is_help=True)


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option("--status", help="queued, sending, sent or failed.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List outbox messages."""
    from plea.mail.outbox import list_outbox

    db = open_db()
    with db.read() as s:
        rows = list_outbox(s, status=status)
    if json_:
        print_json(rows)
        return
    t = table("id", "case", "state", "to", "status", "tries", "server / error")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["case"],
            r["state"],
            r["recipient"],
            r["status"],
            str(r["attempts"]),
            r["error"] or r["server_reply"],
        )
    out().print(t)


@outbox_app.command("resolve")
def outbox_resolve(
    outbox_id: Annotated[
        int, typer.Argument(help="Outbox id (see `plea outbox list --status sending`).", metavar="ID")
    ],
    sent: Annotated[
        bool, typer.Option("--sent/--failed", help="It was delivered (--sent) or not (--failed).")
    ],
) -> None:
    """Settle a message a stopped run left 'sending': delivered (the letter is marked sent) or
    not (it can be sent again with `plea send --retry`)."""
    from datetime import date

    from plea.mail.outbox import resolve

    db = open_db()
    with db.transaction() as s:
        row = resolve(s, outbox_id, delivered=sent, actor=actor(), today=date.today())
    note(f"outbox {row.id}: {row.status}")
