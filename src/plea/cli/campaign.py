"""The daily view: `plea status`, `plea followups`, `plea history` (`plea config`: cli/config.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import note, open_db, out, print_json, table

CaseOpt = Annotated[str | None, typer.Argument(help="Case reference (default: every open case).", metavar="[CASE]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def flag(code: str) -> str:
    """The flag emoji: two regional indicator letters."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper()) if len(code) == 2 else ""


def status(ref: CaseOpt = None, json_: JsonOpt = False) -> None:
    """Who was written to, who answered, who is overdue."""
    from datetime import date

    from plea import states
    from plea.status import headline, headline_text, open_headlines, status_dict, statuses

    today = date.today()
    db = open_db()
    if ref is None:  # every open case: the figures kept for reports; plain rows, no ORM (start-up speed)
        with db.read_rows() as conn:
            summary = open_headlines(conn, today)
        if json_:
            print_json(summary)
            return
        t = table("case", "name", "written to", "answered", "positive", "silent", "due")
        for h in summary:
            t.add_row(h["case"], h["name"], str(h["wrote_to"]), str(h["answered"]), str(h["positive"]),
                      str(h["silent"]), str(h["due"]))
        out().print(t)
        return
    from plea.status import case_responses, find_case

    with db.read_rows() as conn:  # plain rows, no ORM (start-up speed)
        case = find_case(conn, ref)
        rows = statuses(conn, [case], today)[case.id]
        written = {r.state for r in rows}
        unsolicited = [r for r in case_responses(conn, case.id) if r.state not in written]
        h = headline(rows, today, unsolicited=len(unsolicited))
        data = [status_dict(r, today) for r in rows]
    if json_:
        print_json({"case": case.ref, "today": today.isoformat(), "headline": h, "states": data,
                    "unsolicited": [{"state": r.state, "on": r.on.isoformat(), "outcome": r.outcome} for r in unsolicited]})
        return
    t = table("", "state", "mission", "sent", "waiting", "outcome", title=f"{case.ref} · {case.name_latin}")
    for d in data:
        waiting = "" if d["days_waiting"] is None else f"{d['days_waiting']} d"
        outcome = d["outcome"] or ("overdue" if d["overdue"] else "")
        if d["answered"]:
            outcome = f"{d['outcome']} ({d['answered_on']})"
        t.add_row(flag(d["state"]), f"{d['name']} ({d['state']})", d["city"], d["last_sent"], waiting, outcome)
    for r in unsolicited:
        t.add_row(flag(r.state), f"{states.name(r.state)} ({r.state})", "", "", "", f"{r.outcome} ({r.on}) unsolicited")
    out().print(t)
    typer.echo(headline_text(h))


def followups(ref: CaseOpt = None, json_: JsonOpt = False) -> None:
    """Letters due for a follow-up (sent, unanswered, older than the follow-up interval)."""
    from datetime import date

    from plea.campaign import followup_days, status_dict
    from plea.campaign import followups as due
    from plea.cases import get_case, list_cases

    today = date.today()
    db = open_db()
    rows = []
    with db.read() as s:
        cases = [get_case(s, ref)] if ref else list_cases(s)
        for case in cases:
            days = followup_days(s, case)
            for st in due(s, case, today):
                rows.append({"case": case.ref, "interval_days": days, **status_dict(st, today)})
    if json_:
        print_json(rows)
        return
    t = table("case", "state", "sent", "waiting", "due since")
    for r in rows:
        t.add_row(r["case"], f"{r['name']} ({r['state']})", r["last_sent"], f"{r['days_waiting']} d", r["due_on"])
    out().print(t)
    note(f"{len(rows)} letter(s) due for a follow-up"
         + (f"; render them with `plea letters render {ref} --letter follow-up --due`" if ref and rows else ""))


def history(ref: Annotated[str, typer.Argument(help="Case reference.", metavar="CASE")], json_: JsonOpt = False) -> None:
    """The case's timeline: created, rendered, sent, answered, edited — and who did it."""
    from sqlmodel import select

    from plea.campaign import case_history, describe
    from plea.cases import get_case
    from plea.db.models import Mission

    db = open_db()
    with db.read() as s:
        case = get_case(s, ref)
        events = case_history(s, case)
        mission_ids = {e.data.get("mission") for e in events if e.data.get("mission")}
        missions = {m.id: m for m in s.exec(select(Mission).where(Mission.id.in_(mission_ids)))} if mission_ids else {}  # type: ignore[attr-defined]
        rows = [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "what": describe(e, missions),
                 "data": e.data} for e in events]
    if json_:
        print_json({"case": case.ref, "events": rows})
        return
    t = table("when (UTC)", "who", "what", title=f"History of {case.ref}")
    for r in rows:
        t.add_row(r["at"][:19].replace("T", " "), r["actor"], r["what"])
    out().print(t)
