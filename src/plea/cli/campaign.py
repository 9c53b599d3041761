"""The daily view: `plea status`, `plea followups`, `plea history` (`plea config`: cli/config.py)."""

from __future__ import annotations

from pathlib import Path
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
    from plea.status import headline, headline_text, held_back_counts, open_cases, status_dict, statuses

    today = date.today()
    db = open_db()
    if ref is None:  # every open case: plain rows, no ORM (start-up speed)
        with db.read_rows() as conn:
            cases = open_cases(conn)
            per_case = statuses(conn, cases, today)
            held = held_back_counts(conn, cases, {cid: {r.state for r in rows} for cid, rows in per_case.items()})
            summary = [{"case": c.ref, "name": c.name_latin, **headline(per_case[c.id or 0], today),
                        "held_back": held[c.id]} for c in cases]
        if json_:
            print_json(summary)
            return
        t = table("case", "name", "written to", "answered", "positive", "silent", "due", "held back")
        for h in summary:
            t.add_row(h["case"], h["name"], str(h["wrote_to"]), str(h["answered"]), str(h["positive"]),
                      str(h["silent"]), str(h["due"]), str(h["held_back"]))
        out().print(t)
        return
    from plea.status import case_responses, find_case, held_back, letters_to_threats, tracking_numbers

    with db.read_rows() as conn:  # plain rows, no ORM (start-up speed)
        case = find_case(conn, ref)
        rows = statuses(conn, [case], today)[case.id]
        written = {r.state for r in rows}
        unsolicited = [r for r in case_responses(conn, case.id) if r.state not in written]
        held = held_back(conn, case, written)
        h = {**headline(rows, today, unsolicited=len(unsolicited)), "held_back": len(held)}
        tracked = tracking_numbers(conn, case.id)
        data = [{**status_dict(r, today), "tracking": tracked.get(r.state)} for r in rows]
        dangerous = letters_to_threats(conn, [case.id])
    for _ref, state, st, on in dangerous:
        note(f"WARNING: a letter to {states.name(state)} ({state}), a threat state of {case.ref}, is on record "
             f"({st}, {on.isoformat()}): it may have told the persecutor where the person is")
    if json_:
        print_json({"case": case.ref, "today": today.isoformat(), "headline": h, "states": data,
                    "unsolicited": [{"state": r.state, "on": r.on.isoformat(), "outcome": r.outcome} for r in unsolicited],
                    "held_back": [x.as_dict() for x in held],
                    "letters_to_threat_states": [{"state": s_, "status": st, "on": on.isoformat()}
                                                 for _r, s_, st, on in dangerous]})
        return
    t = table("", "state", "mission", "sent", "waiting", "outcome", "tracking", title=f"{case.ref} · {case.name_latin}")
    for d in data:
        waiting = "" if d["days_waiting"] is None else f"{d['days_waiting']} d"
        outcome = d["outcome"] or ("overdue" if d["overdue"] else "")
        if d["answered"]:
            outcome = f"{d['outcome']} ({d['answered_on']})"
        t.add_row(flag(d["state"]), f"{d['name']} ({d['state']})", d["city"], d["last_sent"], waiting, outcome,
                  d["tracking"] or "")
    for r in unsolicited:
        t.add_row(flag(r.state), f"{states.name(r.state)} ({r.state})", "", "", "", f"{r.outcome} ({r.on}) unsolicited",
                  "")
    out().print(t)
    typer.echo(headline_text(h))


def followups(ref: CaseOpt = None,
              to: Annotated[str, typer.Option("--to", help="all, states, groups, exclusions (as for letters).")] = "all",
              ics: Annotated[Path | None, typer.Option(
                  "--ics", help="Also write every follow-up date, due or upcoming, to this iCalendar file "
                                "(case reference and state only; the same events again on every export).")] = None,
              json_: JsonOpt = False) -> None:
    """Letters due for a follow-up (sent, unanswered, older than the follow-up interval)."""
    from datetime import date

    from plea.campaign import followup_days, status_dict
    from plea.campaign import followups as due
    from plea.cases import get_case, list_cases

    today = date.today()
    db = open_db()
    rows = []
    entries: list = []  # type: ignore[type-arg]
    with db.read() as s:
        cases = [get_case(s, ref)] if ref else list_cases(s)
        for case in cases:
            days = followup_days(s, case)
            for st in due(s, case, today, to=to):
                rows.append({"case": case.ref, "interval_days": days, **status_dict(st, today)})
            if ics is not None:
                entries += _calendar_entries(s, case, today, to)
    if ics is not None:
        _write_ics(ics, entries)
    if json_:
        print_json(rows)
        return
    t = table("case", "state", "sent", "waiting", "due since")
    for r in rows:
        t.add_row(r["case"], f"{r['name']} ({r['state']})", r["last_sent"], f"{r['days_waiting']} d", r["due_on"])
    out().print(t)
    note(f"{len(rows)} letter(s) due for a follow-up"
         + (f"; render them with `plea letters render {ref} --letter follow-up --due`" if ref and rows else ""))


def _calendar_entries(session, case, today, to):  # type: ignore[no-untyped-def]
    from plea import states
    from plea.calendar import Entry
    from plea.campaign import FIRST_LETTER, scheduled

    return [Entry(case.ref, st.state, states.name(st.state), FIRST_LETTER, st.last_sent, st.due_on)
            for st in scheduled(session, case, today, to=to) if st.due_on is not None]


def _write_ics(path: Path, entries: list) -> None:  # type: ignore[type-arg]
    from plea.calendar import followups_ics, is_plea_calendar
    from plea.errors import Conflict, InvalidInput
    from plea.fileio import atomic_write_bytes

    if path.is_dir():
        raise InvalidInput(f"--ics: {path} is a folder; name a file such as followups.ics")
    if path.exists() and not is_plea_calendar(path.read_bytes()):
        raise Conflict(f"--ics: {path} exists and is not a calendar plea wrote", hint="choose another file name")
    atomic_write_bytes(path, followups_ics(entries))
    note(f"{len(entries)} follow-up date(s) written to {path}")


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
