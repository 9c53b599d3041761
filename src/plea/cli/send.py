"""`plea send` (letters by email through the outbox), `plea outbox …`, `plea config password`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import actor, ask_password, note, open_db, out, print_json, table
from plea.i18n import translate

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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


def send(
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
    from datetime import date

    from plea.cases import get_case
    from plea.config import server, setting_value
    from plea.errors import ExternalProblem, InvalidInput
    from plea.mail import load_settings
    from plea.mail.outbox import deliver, parse_rate, plan, queue, write_drafts
    from plea.mail.smtp import SmtpTransport

    interval = parse_rate(rate)
    if ref is None and not retry:
        raise InvalidInput("name the case whose letters to send (or use --retry)")
    if not retry and not to:
        raise InvalidInput("--to: name the states (FR,DE), a group (@eu, @un) or all")
    if dry_run:
        from plea.fileio import out_folder

        out_folder(out_dir, "the .eml files", "outbox")
    db = open_db()
    with db.read() as s:
        settings = load_settings(s)
        case = get_case(s, ref) if ref else None
        sender = setting_value(settings, "smtp.from")
        p = plan(s, case, to=to, letter=letter, retry=retry, configured_sender=sender, unsafe=unsafe,
                 without_consent=without_consent)
        if dry_run:
            files = write_drafts(p, out_dir, session=s)
    _skips(p)
    for line in p.warnings:
        note(line)
    if dry_run:
        for f in files:
            typer.echo(str(f))
        note(f"{len(files)} message(s) written as .eml files; nothing was sent or recorded")
        return
    if not p.count:
        note("nothing to send")
        return
    srv = server(settings, "smtp")
    secret = ask_password(srv)
    if sys.stdin.isatty() and not yes:
        typer.confirm(translate(f"Send {p.count} message(s) through {srv.label}?"), abort=True)
    transport = SmtpTransport(srv, secret)
    transport.open()  # an authentication failure stops here: nothing queued, nothing marked sent
    who = actor()
    try:
        with db.transaction() as s:
            ids = queue(
                s, plan(s, case, to=to, letter=letter, retry=retry, configured_sender=sender, unsafe=unsafe,
                        without_consent=without_consent), actor=who
            )
            if without_consent and case is not None:
                from plea.consent import note_override

                note_override(s, case, command="send", actor=who)
        results = deliver(
            db,
            ids,
            transport,
            actor=who,
            today=date.today(),
            interval=interval,
            progress=lambda r: note(f"{r.state} {r.recipient}: {r.status} {r.detail}".rstrip()),
        )
    finally:
        transport.close()
    rows = [r.__dict__ for r in results]
    if json_:
        print_json(rows)
    else:
        t = table("outbox", "state", "to", "status", "server")
        for r in results:
            t.add_row(str(r.outbox_id), r.state, r.recipient, r.status, r.detail)
        out().print(t)
    done = sum(r.status == "sent" for r in results)
    bad = [r for r in results if r.status != "sent"]
    left = len(ids) - len(results)
    note(
        f"{done} of {len(ids)} message(s) accepted by {srv.label}" + (f"; {left} left queued" if left else "")
    )
    if bad or left:
        raise ExternalProblem(
            f"{len(bad)} message(s) not delivered" + (f", {left} not tried" if left else ""),
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
