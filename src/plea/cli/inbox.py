"""`plea inbox …`: replies read from a mailbox file or an IMAP folder, matched to cases, and
triaged by a person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plea.cli.common import JsonOpt, actor, ask_password, note, note_parts, open_db, out, print_json, table
from plea.i18n import N_, translate, translate_lines

app = typer.Typer(
    help="Replies: import or fetch them, match them to cases, triage the rest.", no_args_is_help=True
)
SNIPPET = 800


def _ingest_all(messages: Any, *, json_: bool) -> None:
    """Keep every message in one transaction: answers logged, bounces and notices kept as such,
    malformed or oversized ones kept unparsed for triage."""
    from collections import Counter
    from datetime import date

    from plea.mail import load_settings
    from plea.mail.inbox import ingest, limits, message_dict

    db = open_db()
    who = actor()
    added, known = [], 0
    with db.transaction() as s:
        caps = limits(load_settings(s))
        for source, name, raw in messages:
            got = ingest(s, raw, source=source, actor=who, today=date.today(), limits=caps)
            if got.message is None:
                known += 1
                continue
            if got.message.status == "malformed":
                note(f"warning: {name}: kept for triage, not parsed: {got.reason}")
            added.append(message_dict(s, got.message))
    if json_:
        print_json(added)
    else:
        _table(added)
    kinds = Counter(m["status"] for m in added)
    matched = sum(1 for m in added if m["response"])
    left = kinds["unmatched"] + kinds["malformed"]
    note_parts(
        f"{len(added)} new message(s), {matched} matched and logged as unclassified answers, "
        f"{left} left for `plea inbox triage`",
        f"{known} already kept",
        f"{kinds['bounce']} bounce(s)" if kinds["bounce"] else None,
        f"{kinds['notice']} automatic notice(s)" if kinds["notice"] else None,
        f"{kinds['malformed']} malformed" if kinds["malformed"] else None,
    )


def _table(rows: list[dict[str, Any]]) -> None:
    t = table("id", "status", "from", "subject", "case", "state", "matched by")
    for m in rows:
        t.add_row(
            str(m["id"]),
            m["status"],
            m["from"],
            m["subject"][:60],
            m["case"] or "",
            m["state"],
            m["matched_by"],
        )
    out().print(t)


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="An mbox file, a Maildir, a folder of .eml files, or one .eml.")
    ],
    json_: JsonOpt = False,
) -> None:
    """Read replies from a mailbox on disk; importing the same mailbox again adds nothing."""
    from plea.mail.sources import read_messages

    _ingest_all(list(read_messages(path)), json_=json_)


@app.command("fetch")
def fetch(
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="Only messages since this day (YYYY-MM-DD, yesterday, -7d).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Read replies from the IMAP folder (imap.host, imap.user, imap.folder) over TLS."""

    from plea.config import server
    from plea.dates import parse_day
    from plea.mail import load_settings
    from plea.mail.imap import fetch as imap_fetch
    from plea.mail.inbox import kept_sizes

    day = parse_day(since, "--since") if since else None
    db = open_db()
    with db.read() as s:
        srv = server(load_settings(s), "imap")
        kept = kept_sizes(s)
    secret = ask_password(srv)
    messages = [
        ("imap", name, raw)
        for name, raw in imap_fetch(srv, secret, known=lambda mid, size: size in kept.get(mid, ()), since=day)
    ]
    note(f"{len(messages)} message(s) read from {srv.label} {srv.folder}")
    _ingest_all(messages, json_=json_)


@app.command("list")
def list_(
    status: Annotated[
        str,
        typer.Option(
            "--status",
            help="unmatched, unclassified, classified, ignored, bounce, notice, malformed, or all.",
        ),
    ] = "all",
    json_: JsonOpt = False,
) -> None:
    """List received messages."""
    from plea.mail.inbox import message_dict, pending

    db = open_db()
    with db.read() as s:
        rows = [message_dict(s, m) for m in pending(s, statuses=() if status == "all" else (status,))]
    if json_:
        print_json(rows)
        return
    _table(rows)


@app.command("show")
def show(
    message: Annotated[int, typer.Argument(help="Message id.", metavar="ID")], json_: JsonOpt = False
) -> None:
    """A received message: its headers, match and text."""
    from plea.mail import load_settings
    from plea.mail.inbox import get_message, limits, message_dict, problem, read_message
    from plea.mail.parse import Malformed

    db = open_db()
    with db.read() as s:
        msg = get_message(s, message)
        caps = limits(load_settings(s))
        data = {**message_dict(s, msg), "reason": problem(s, msg, caps)}
        try:
            data["text"] = read_message(s, msg, caps).text
        except Malformed:
            data["text"] = ""
    if json_:
        print_json(data)
        return
    typer.echo(_describe(data))
    typer.echo(data["text"])


def _describe(d: dict[str, Any]) -> str:
    lines = [
        f"#{d['id']} · {d['date'] or 'no date'} · from {d['from'] or '?'} · {d['status']}",
        f"Subject: {d['subject']}",
    ]
    if d["case"] or d["state"]:
        how = f" (by {d['matched_by']})" if d["matched_by"] else ""
        lines.append(
            f"Matched: {d['case'] or '?'} · {d['state'] or '?'}{how}"
            + (f" · response {d['response']}: {d['outcome']}" if d["response"] else "")
        )
    if d.get("reason"):
        lines.append(f"Why: {d['reason']}")
    if d["attachments"]:
        lines.append("Attachments: " + ", ".join(d["attachments"]))
    return "\n".join(lines)


def _decide(message: int, case_ref: str | None, state: str | None, outcome: str | None, ignore_: bool) -> str:
    from datetime import date

    from plea.cases import get_case
    from plea.errors import InvalidInput
    from plea.mail.inbox import classify, get_message, ignore

    db = open_db()
    who = actor()
    with db.transaction() as s:
        msg = get_message(s, message)
        if ignore_:
            ignore(s, msg, actor=who)
            return f"message {message}: ignored"
        if case_ref:
            case = get_case(s, case_ref)
        else:
            from plea.db.models import Case

            case = s.get(Case, msg.case_id) if msg.case_id else None
        chosen_state = state or msg.state
        if case is None or not chosen_state:
            raise InvalidInput(f"message {message}: say which case and state it answers (--case, --state)")
        response = classify(
            s, msg, case, chosen_state, outcome or "unclassified", actor=who, today=date.today()
        )
        return (
            f"message {message}: {case.ref} · {response.state} · {response.outcome} (response {response.id})"
        )


@app.command("triage")
def triage(
    message: Annotated[
        int | None, typer.Option("--message", help="Decide this message without asking.", metavar="ID")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="The case it answers.")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="The state that answered: code or name.")
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="positive, negative, acknowledged, info-requested, referred, other."),
    ] = None,
    ignore_: Annotated[
        bool, typer.Option("--ignore", help="Not an answer: keep it out of the log (undoing its logging).")
    ] = False,
    undo: Annotated[
        int | None,
        typer.Option("--undo", help="Reverse a wrong match: remove the answer logged from it.", metavar="ID"),
    ] = None,
) -> None:
    """Walk the unmatched, unclassified and malformed messages and say what each one is: case,
    state and outcome (or ignore it). With --message ID it decides one without asking; with
    --undo ID it reverses the answer logged from a message (the letter returns to "sent")."""
    if undo is not None:
        typer.echo(_undo(undo))
        return
    if message is not None:
        typer.echo(_decide(message, case, state, outcome, ignore_))
        return
    _interactive()


def _undo(message: int) -> str:
    from plea.mail.inbox import get_message, undo

    db = open_db()
    with db.transaction() as s:
        response = undo(s, get_message(s, message), actor=actor())
    return f"message {message}: response {response} removed; the message is left for triage"


def _ask(label: str, default: str, check: Any) -> str:
    """Ask until check(answer) accepts it (check raises PleaError to refuse)."""
    from plea.errors import PleaError

    while True:
        answer = str(typer.prompt(translate(label), default=default, show_default=bool(default))).strip()
        try:
            return check(answer)
        except PleaError as exc:
            note(f"plea: {translate_lines(str(exc))}")


def _check_case(answer: str) -> str:
    if answer.lower() in ("", "s", "skip", "i", "ignore", "q", "quit"):
        return answer.lower()
    from plea.cases import get_case

    with open_db().read() as s:
        return get_case(s, answer).ref


def _check_state(answer: str) -> str:
    from plea import states
    from plea.errors import InvalidInput

    if not answer:
        raise InvalidInput("say which state answered (a code such as FR, or a name)")
    return states.resolve(answer, states.user_langs())


def _check_outcome(answer: str) -> str:
    from plea.db.models import OUTCOMES
    from plea.errors import InvalidInput

    if answer not in OUTCOMES:
        raise InvalidInput(f"{answer!r} is not one of {', '.join(OUTCOMES)}")
    return answer


def _interactive() -> None:
    from plea.db.models import OUTCOMES
    from plea.mail import load_settings
    from plea.mail.inbox import limits, message_dict, pending, read_message
    from plea.mail.parse import Malformed

    db = open_db()
    with db.read() as s:
        caps = limits(load_settings(s))
        items = []
        for m in pending(s):
            d = message_dict(s, m)
            try:
                d["text"] = read_message(s, m, caps).text
            except Malformed as exc:  # kept unparsed: triage it by its headers and the reason
                d["text"], d["reason"] = "", str(exc)
            items.append(d)
    if not items:
        note("nothing to triage")
        return
    done = 0
    for n, d in enumerate(items, 1):
        typer.echo(f"\n[{n}/{len(items)}] " + _describe(d))
        text = d["text"].strip()
        typer.echo(text[:SNIPPET] + (" …" if len(text) > SNIPPET else ""))
        answer = _ask(N_("Case (s: skip, i: ignore, q: quit)"), d["case"] or "", _check_case)
        if answer in ("q", "quit"):
            break
        if answer in ("", "s", "skip"):
            continue
        if answer in ("i", "ignore"):
            typer.echo(_decide(d["id"], None, None, None, True))
        else:
            state = _ask(N_("State"), d["state"] or "", _check_state)
            outcome = _ask(N_(f"Outcome ({', '.join(OUTCOMES)})"), d["outcome"] or "unclassified",
                           _check_outcome)
            typer.echo(_decide(d["id"], answer, state, outcome, False))
        done += 1
    note(f"{done} message(s) triaged")
