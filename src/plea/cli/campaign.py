"""The daily view: `plea status`, `plea followups`, `plea history` (`plea config`: cli/config.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import JsonOpt, note, note_parts, open_db, out, print_case_status, print_json, table
from plea.i18n import N_

CaseOpt = Annotated[str | None, typer.Argument(help="Case reference (default: every open case).", metavar="[CASE]")]


def status(ref: CaseOpt = None, json_: JsonOpt = False) -> None:
    """Who was written to, who answered, who is overdue."""
    from datetime import date

    from plea.status import held_back_counts, open_cases, open_headlines

    today = date.today()
    db = open_db()
    if ref is None:  # every open case: the figures kept for reports; plain rows, no ORM (start-up speed)
        with db.read_rows() as conn:
            summary = open_headlines(conn, today)
            held = held_back_counts(conn, open_cases(conn))
            for h in summary:
                h["held_back"] = held[h["case"]]
        if json_:
            print_json(summary)
            return
        t = table("case", "name", "written to", "answered", "positive", "silent", "due", "held back")
        for h in summary:
            t.add_row(h["case"], h["name"], str(h["wrote_to"]), str(h["answered"]), str(h["positive"]),
                      str(h["silent"]), str(h["due"]), str(h["held_back"]))
        out().print(t)
        return
    print_case_status(ref, json_=json_)


def followups(ref: CaseOpt = None,
              to: Annotated[str, typer.Option("--to", help="all, states, groups, exclusions (as for letters).")] = "all",
              ics: Annotated[Path | None, typer.Option(
                  "--ics", help="Also write every follow-up date, due or upcoming, to this iCalendar file "
                                "(case reference and state only; the same events again on every export).")] = None,
              json_: JsonOpt = False) -> None:
    """Letters due for a follow-up (sent, unanswered, older than the follow-up interval)."""
    from datetime import date

    from plea.campaign import followup_days, next_followup, next_followup_text, status_dict
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
        upcoming = None if rows else next_followup_text(next_followup(s, cases, today))
    if ics is not None:
        _write_ics(ics, entries)
    if json_:
        print_json(rows)
        return
    t = table("case", "state", "sent", "waiting", "due since")
    for r in rows:
        t.add_row(r["case"], f"{r['name']} ({r['state']})", r["last_sent"], f"{r['days_waiting']} d", r["due_on"])
    out().print(t)
    render = N_(f"render them with `plea letters render {ref} --letter follow-up --due`")
    note_parts(f"{len(rows)} letter(s) due for a follow-up", render if ref and rows else None, upcoming)


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


def history(
    ref: Annotated[str, typer.Argument(help="Case reference.", metavar="CASE")],
    kind: Annotated[str | None, typer.Option("--kind", metavar="KIND", help="Only events of this kind (a prefix: letter., response.logged).")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="From this day (YYYY-MM-DD, today, yesterday, -Nd).")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only events about this state (its letters, its answers).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every event, one a line (default: one line per kind and day).")] = False,
    json_: JsonOpt = False,
) -> None:
    """The case's timeline: created, rendered, sent, answered, edited — and who did it. By default
    one line per kind of event and day, with counts; --all lists every event."""
    from sqlmodel import select

    from plea import states
    from plea.campaign import case_history, describe
    from plea.cases import get_case
    from plea.dates import parse_day
    from plea.db.models import Mission
    from plea.timeline import Filters, keep, summarise

    f = Filters(kind=kind, since=parse_day(since, "--since") if since else None,
                state=states.resolve(state, states.user_langs()) if state else None)
    db = open_db()
    with db.read() as s:
        case = get_case(s, ref)
        events = case_history(s, case)
        mission_ids = {e.data.get("mission") for e in events if e.data.get("mission")}
        missions = {m.id: m for m in s.exec(select(Mission).where(Mission.id.in_(mission_ids)))} if mission_ids else {}  # type: ignore[attr-defined]
        events = keep(events, missions, f)
        rows = [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "what": describe(e, missions),
                 "data": e.data} for e in events] if all_ else []
        groups = [g.as_dict(missions) for g in summarise(events)] if not all_ else []
    if json_:
        print_json({"case": case.ref, "events": rows} if all_ else
                   {"case": case.ref, "filters": f.as_dict(), "total": len(events), "summary": groups})
        return
    if all_:
        t = table("when (UTC)", "who", "what", title=f"History of {case.ref}")
        for r in rows:
            t.add_row(r["at"][:19].replace("T", " "), r["actor"], r["what"])
    else:
        t = table("day (UTC)", "events", "what", "who", title=f"History of {case.ref}")
        for g in groups:
            t.add_row(g["day"], str(g["count"]), g["what"], ", ".join(g["actors"]))
    out().print(t)
    if not all_:
        note(f"{len(events)} event(s) in {len(groups)} line(s); every event: plea history {case.ref} --all")
