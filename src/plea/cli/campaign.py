"""The daily view: `plea status`, `plea followups`, `plea history`, `plea config`."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import actor, note, open_db, out, print_json, table
from plea.config import MAIL_DEFAULTS, MAIL_SETTINGS

CaseOpt = Annotated[str | None, typer.Argument(help="Case reference (default: every open case).", metavar="[CASE]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def flag(code: str) -> str:
    """The flag emoji: two regional indicator letters."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper()) if len(code) == 2 else ""


def status(ref: CaseOpt = None, json_: JsonOpt = False) -> None:
    """Who was written to, who answered, who is overdue."""
    from datetime import date

    from plea import states
    from plea.campaign import case_status, headline, headline_text, list_responses, status_dict, statuses
    from plea.cases import get_case, list_cases

    today = date.today()
    db = open_db()
    with db.read() as s:
        if ref is None:
            cases = list_cases(s)
            per_case = statuses(s, cases, today)
            summary = [{"case": c.ref, "name": c.name_latin, **headline(per_case[c.id or 0], today)} for c in cases]
            if json_:
                print_json(summary)
                return
            t = table("case", "name", "written to", "answered", "positive", "silent", "due")
            for h in summary:
                t.add_row(h["case"], h["name"], str(h["wrote_to"]), str(h["answered"]), str(h["positive"]),
                          str(h["silent"]), str(h["due"]))
            out().print(t)
            return
        case = get_case(s, ref)
        rows = case_status(s, case, today)
        written = {r.state for r in rows}
        unsolicited = [r for r, _ in list_responses(s, case) if r.state not in written]
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

    from plea.campaign import followup_days, followups as due, status_dict
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


config_app = typer.Typer(help="Settings kept in the database.", no_args_is_help=True)
SETTINGS = {"followup_days": "days after sending before a follow-up is due (default 21)", **MAIL_SETTINGS}
SETTINGS["contact_max_age_days"] = ("days after which a mission's contact details count as unchecked "
                                    "(default 365): `plea letters plan` warns about older ones")


@config_app.command("set")
def config_set(key: Annotated[str, typer.Argument(help=", ".join(SETTINGS))], value: str) -> None:
    """Set a setting."""
    from plea.campaign import set_setting
    from plea.errors import InvalidInput

    if key.endswith(".password") or key in MAIL_SETTINGS:
        from plea.config import check_mail_setting

        value = check_mail_setting(key, value)
    if key not in SETTINGS:
        raise InvalidInput(f"unknown setting {key!r}; settings: {', '.join(SETTINGS)}")
    if key == "followup_days" and (not value.isdigit() or not 1 <= int(value) <= 365):
        raise InvalidInput(f"followup_days: {value!r} is not a number of days from 1 to 365")
    if key == "contact_max_age_days" and (not value.isdigit() or not 1 <= int(value) <= 36500):
        raise InvalidInput(f"contact_max_age_days: {value!r} is not a number of days (at least 1)")
    db = open_db()
    with db.transaction() as s:
        set_setting(s, key, value, actor=actor())
    typer.echo(f"{key} = {value}")


@config_app.command("get")
def config_get(key: Annotated[str | None, typer.Argument(help="A setting (default: all).")] = None) -> None:
    """Show settings."""
    from plea.campaign import DEFAULT_FOLLOWUP_DAYS, get_setting

    db = open_db()
    defaults = {"followup_days": str(DEFAULT_FOLLOWUP_DAYS), **MAIL_DEFAULTS}
    defaults["contact_max_age_days"] = "365"
    with db.read() as s:
        for k in [key] if key else list(SETTINGS):
            typer.echo(f"{k} = {get_setting(s, k) or defaults.get(k, '')}")


from plea.cli.send import config_password  # noqa: E402  (send.py holds the password prompts)

config_app.command("password")(config_password)
