"""The campaign log: letters sent, bounced or closed, responses from states, what is
overdue, and each case's timeline. Every change is written with its history event in
the caller's one transaction."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea import states
from plea.db.models import CHANNELS, OUTCOMES, Case, Event, Letter, LetterEvent, Mission, Response
from plea.errors import Conflict, InvalidInput, NotFound
from plea.history import record
from plea.i18n import N_
from plea.settings import get_setting

# the status view reads with Core statements, without this module's ORM imports (start-up speed)
from plea.status import (  # noqa: F401  (re-exported: plea.campaign is where callers look)
    DEFAULT_FOLLOWUP_DAYS,
    FIRST_LETTER,
    MissionRef,
    StateStatus,
    headline,
    headline_text,
    status_dict,
    statuses,
)
from plea.text import clean

# -- settings (plea.settings) ------------------------------------------------------------------

def followup_days(session: Session, case: Case) -> int:
    if case.followup_days:
        return case.followup_days
    value = get_setting(session, "followup_days")
    return int(value) if value else DEFAULT_FOLLOWUP_DAYS


# -- letters to states -------------------------------------------------------------------------

def case_letters(session: Session, case: Case, letter: str | None = None) -> list[tuple[Letter, Mission]]:
    q = select(Letter, Mission).join(Mission, col(Mission.id) == Letter.mission_id).where(Letter.case_id == case.id)
    if letter:
        q = q.where(Letter.letter == letter)
    return [(lt, m) for lt, m in session.exec(q.order_by(col(Letter.id)))]


def letter_events(session: Session, letter_ids: list[int]) -> dict[int, list[LetterEvent]]:
    out: dict[int, list[LetterEvent]] = defaultdict(list)
    if not letter_ids:
        return out
    for ev in session.exec(select(LetterEvent).where(col(LetterEvent.letter_id).in_(letter_ids))
                           .order_by(col(LetterEvent.on), col(LetterEvent.id))):
        out[ev.letter_id].append(ev)
    return out


def _select_states(session: Session, case: Case, pairs: list[tuple[Letter, Mission]],
                   to: str) -> list[tuple[Letter, Mission]]:
    """The letters on record that --to picks, by the one recipient rule: `all` and groups leave out the
    case's threat and cautioned states; a state named explicitly may be any state with a letter."""
    from plea.recipients import for_case, parse_to

    spec = parse_to(to)
    by_state = {m.sending: (lt, m) for lt, m in pairs}
    missing = [c for c in spec.named if c not in by_state]
    if missing:
        listed = ", ".join(f"{states.name(c)} ({c})" for c in missing)  # in the interface language
        raise NotFound(f"no {pairs[0][0].letter} letter for: {listed}" if pairs
                       else f"no rendered letter for: {listed}",
                       hint="render them first with `plea letters render`")
    res = for_case(session, case, spec, universe=by_state, records=True)
    return [by_state[c] for c in res.states if c in by_state]


def _check_day(on: date, today: date, what: str) -> None:
    if on > today:
        raise InvalidInput(f"--on: {on.isoformat()} is in the future; {what} can only be recorded once it happened")


def transition(session: Session, case: Case, letter: Letter, status: str, *, on: date, actor: str, via: str = "",
               proof: tuple[Path, str] | None = None, event_data: dict[str, Any] | None = None,
               tracking: str = "") -> LetterEvent:
    now = datetime.now(UTC)
    ev = LetterEvent(letter_id=letter.id or 0, status=status, on=on, via=via,
                     proof_path=str(proof[0]) if proof else "", proof_sha256=proof[1] if proof else "",
                     tracking=tracking, recorded_at=now, actor=actor)
    session.add(ev)
    previous = letter.status
    letter.status = status
    letter.updated_at = now
    session.add(letter)
    record(session, f"letter.{status}", actor=actor, case_id=case.id, subject=f"letter:{letter.id}",
           data={"letter": letter.letter, "mission": letter.mission_id, "from": previous, "on": on.isoformat(),
                 **({"via": via} if via else {}), **({"proof_sha256": proof[1]} if proof else {}),
                 **({"tracking": tracking} if tracking else {}),
                 **(event_data or {})})
    return ev


def mark_sent(session: Session, case: Case, *, to: str, on: date, via: str, letter: str = FIRST_LETTER,
              proof: Path | None = None, actor: str, today: date, force: bool = False,
              tracking: dict[str, str] | None = None) -> list[tuple[Letter, Mission]]:
    """Record the chosen letters as sent on `on`; a day before a letter was rendered needs `force`.
    `tracking`: state code or mission id → the post's tracking number."""
    if via not in CHANNELS:
        raise InvalidInput(f"--via: {via!r} is not one of {', '.join(CHANNELS)}")
    _check_day(on, today, "a sending")
    pairs = case_letters(session, case, letter)
    if not pairs:
        raise NotFound(f"{case.ref} has no {letter!r} letters yet", hint="render them first with `plea letters render`")
    chosen = _select_states(session, case, pairs, to)
    events = letter_events(session, [lt.id for lt, _ in chosen if lt.id])
    if not force:
        _check_rendered_before(chosen, events, on)
    stored = None
    if proof is not None:
        from plea.storage import store_file

        stored = store_file(proof, "proofs", session.info.get("plea_file_key"))
    numbers = _tracking_for(chosen, tracking or {})
    from plea.tracking import refuse_reuse

    refuse_reuse(session, numbers)
    if via == "post" and not force:
        refuse_unpostable([m for _, m in chosen])
    marked = []
    for lt, m in chosen:
        last = max(events.get(lt.id or 0, []), key=lambda e: e.id or 0, default=None)  # the latest recorded
        number = numbers.get(lt.id or 0, "")
        if (last and last.status == "sent" and last.on == on and last.via == via and lt.status == "sent"
                and last.tracking == number):
            continue  # the same sending recorded twice (a repeated command): nothing to add
        transition(session, case, lt, "sent", on=on, via=via, proof=stored, actor=actor, tracking=number)
        marked.append((lt, m))
    return marked


def refuse_unpostable(missions: list[Mission]) -> None:
    """InvalidInput listing the missions with no postal address in their host's format (plea.postal)."""
    from plea.postal import missing

    lacking = [(m, missing(m)) for m in missions]
    lacking = [(m, fields) for m, fields in lacking if fields]
    if not lacking:
        return
    problems = []
    for m, fields in lacking:
        listed = ", ".join(fields)  # the columns' names, as `embassies edit` takes them
        problems.append(N_(f"{states.name(m.sending)} ({m.sending}), mission {m.id}: no {listed}"))
    raise InvalidInput(
        f"--via post: {len(lacking)} mission(s) have no postal address; nothing was recorded",
        problems=problems,
        hint="add the address with `plea embassies edit ID --address … --postcode …`, send these letters "
             "by another channel, or pass --force if they were posted all the same")


def _tracking_for(chosen: list[tuple[Letter, Mission]], tracking: dict[str, str]) -> dict[int, str]:
    """letter id → tracking number, for the letters being marked; InvalidInput for a number given for a
    state or mission that is not among them. (Numbers used by another letter: plea.tracking.)"""
    if not tracking:
        return {}
    out: dict[int, str] = {}
    for lt, m in chosen:
        number = tracking.get(m.id) or tracking.get(m.sending)
        if number:
            out[lt.id or 0] = number
    known = {m.id for _, m in chosen} | {m.sending for _, m in chosen}
    stray = [k for k in tracking if k not in known]
    if stray:
        raise InvalidInput(f"tracking numbers given for {', '.join(stray)}, which --to does not mark sent",
                           hint="nothing was recorded")
    return out


def rendered_on(letter: Letter, events: list[LetterEvent]) -> date:
    """The day a letter was first rendered (the date it carries): its first 'drafted' event."""
    drafted = [e.on for e in events if e.status == "drafted"]
    return min(drafted) if drafted else letter.created_at.date()


def _check_rendered_before(chosen: list[tuple[Letter, Mission]], events: dict[int, list[LetterEvent]],
                           on: date) -> None:
    early = [(m, rendered_on(lt, events.get(lt.id or 0, []))) for lt, m in chosen]
    early = [(m, day) for m, day in early if day > on]
    if not early:
        return
    named = ", ".join(f"{states.name(m.sending)} ({m.sending}) on {day.isoformat()}" for m, day in early[:3])
    more = len(early) - 3
    raise InvalidInput(
        f"--on: {on.isoformat()} is before the letter was rendered: {named} and {more} more" if more > 0
        else f"--on: {on.isoformat()} is before the letter was rendered: {named}",
        hint="a letter is sent after it is written: check --on, or pass --force if it was sent earlier "
             "(a letter written outside plea)")


def mark_status(session: Session, case: Case, status: str, *, to: str, on: date, actor: str, today: date,
                letter: str = FIRST_LETTER) -> list[tuple[Letter, Mission]]:
    _check_day(on, today, f"a letter {status}")
    chosen = _select_states(session, case, case_letters(session, case, letter), to)
    for lt, m in chosen:
        if status == "bounced" and lt.status != "sent":
            raise Conflict(f"the letter to {states.name(m.sending)} is {lt.status}, not sent: it cannot have bounced")
        transition(session, case, lt, status, on=on, actor=actor)
    return chosen


# -- responses ---------------------------------------------------------------------------------

def sent_dates(session: Session, case: Case) -> dict[str, list[date]]:
    """State → dates its letters for this case were sent."""
    pairs = case_letters(session, case)
    events = letter_events(session, [lt.id for lt, _ in pairs if lt.id])
    out: dict[str, list[date]] = defaultdict(list)
    for lt, m in pairs:
        out[m.sending] += [e.on for e in events.get(lt.id or 0, []) if e.status == "sent"]
    return {k: sorted(v) for k, v in out.items() if v}


def log_response(session: Session, case: Case, state_text: str, *, on: date, outcome: str, summary: str,
                 channel: str = "", attachments: list[Any] | None = None, force: bool = False, actor: str,
                 today: date, referred_to: str | None = None) -> Response:
    from plea.routes import check_referral

    state = states.resolve(state_text, states.user_langs())
    if outcome not in OUTCOMES:
        from difflib import get_close_matches

        close = get_close_matches(outcome, OUTCOMES, n=1)
        listed = ", ".join(OUTCOMES)
        raise InvalidInput(f"--outcome: {outcome!r} is not one of {listed} (did you mean {close[0]}?)" if close
                           else f"--outcome: {outcome!r} is not one of {listed}")
    if channel and channel not in CHANNELS:
        raise InvalidInput(f"--channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    _check_day(on, today, "a response")
    referred_to = check_referral(session, state, outcome, referred_to)
    sent = sent_dates(session, case).get(state, [])
    if not sent and not force:
        raise Conflict(f"{case.ref} never wrote to {states.name(state)} ({state})",
                       hint="if this is an unsolicited reply, log it with --force")
    if sent and on < sent[0] and not force:
        raise InvalidInput(f"--on: {on.isoformat()} is before the first letter to {states.name(state)} was sent "
                           f"({sent[0].isoformat()})", hint="check the date, or pass --force if it is right")
    stored = []
    if attachments:
        from plea.storage import store_file

        for path in attachments:
            if isinstance(path, dict):  # already stored (received mail: plea.storage.store_bytes)
                stored.append(path)
                continue
            target, digest = store_file(path, "attachments", session.info.get("plea_file_key"))
            stored.append({"name": Path(path).name, "path": str(target), "sha256": digest})
    same = session.exec(select(Response).where(
        Response.case_id == case.id, Response.state == state, Response.on == on, Response.outcome == outcome,
        Response.summary == clean(summary).strip(), Response.channel == channel)).first()
    if same is not None and [a["sha256"] for a in same.attachments] == [a["sha256"] for a in stored] \
            and same.referred_to == referred_to:
        return same  # the same answer logged twice (a repeated command): nothing to add
    response = Response(case_id=case.id or 0, state=state, on=on, outcome=outcome, summary=clean(summary).strip(),
                        channel=channel, attachments=stored, unsolicited=not sent, recorded_at=datetime.now(UTC),
                        actor=actor, referred_to=referred_to)
    session.add(response)
    session.flush()
    record(session, "response.logged", actor=actor, case_id=case.id, subject=f"response:{response.id}",
           data={"state": state, "outcome": outcome, "on": on.isoformat(), "attachments": [a["sha256"] for a in stored],
                 "unsolicited": not sent} | ({"referred_to": referred_to} if referred_to else {}))
    for lt, m in case_letters(session, case):
        if m.sending == state and lt.status in ("sent", "bounced"):
            transition(session, case, lt, "answered", on=on, actor=actor, event_data={"response": response.id})
    return response


def list_responses(session: Session, case: Case | None = None) -> list[tuple[Response, Case]]:
    q = select(Response, Case).join(Case, col(Case.id) == Response.case_id)
    if case is not None:
        q = q.where(Response.case_id == case.id)
    return [(r, c) for r, c in session.exec(q.order_by(col(Response.on), col(Response.id)))]


def response_dict(r: Response, c: Case) -> dict[str, Any]:
    return {"id": r.id, "case": c.ref, "state": r.state, "state_name": states.name(r.state), "on": r.on.isoformat(),
            "outcome": r.outcome, "summary": r.summary, "channel": r.channel, "unsolicited": r.unsolicited,
            "attachments": r.attachments, "referred_to": r.referred_to}


# -- status and follow-ups ---------------------------------------------------------------------

def case_status(session: Session, case: Case, today: date) -> list[StateStatus]:
    return statuses(session, [case], today)[case.id or 0]


def followups(session: Session, case: Case, today: date, to: str = "all") -> list[StateStatus]:
    """Letters due for a follow-up, among the states --to picks by the one recipient rule (a letter on record
    to a threat or cautioned state is followed up only when named)."""
    return [s for s in scheduled(session, case, today, to) if s.overdue(today)]


def scheduled(session: Session, case: Case, today: date, to: str = "all") -> list[StateStatus]:
    """Letters with a follow-up date, overdue or upcoming (sent, unanswered, not closed or bounced), among
    the states --to picks by the one recipient rule."""
    from plea.recipients import for_case

    due = [s for s in case_status(session, case, today) if s.due_on is not None]
    if not due:
        return []
    res = for_case(session, case, to, universe={s.state for s in due}, records=True, empty_ok=True)
    return [s for s in due if s.state in set(res.states)]


def next_followup(session: Session, cases: list[Case], today: date) -> tuple[date, list[str]] | None:
    """When the next follow-up falls due among these cases (none due yet): the day, and the
    states (with the case's reference when there are several cases) that fall due on it."""
    by_case = statuses(session, cases, today)
    waiting = [(st.due_on, case.ref, st.state) for case in cases for st in by_case.get(case.id or 0, [])
               if st.due_on is not None and st.due_on > today]
    if not waiting:
        return None
    day = min(d for d, _, _ in waiting)
    named = [f"{states.name(s)} ({s})" + (f" for {ref}" if len(cases) > 1 else "")
             for d, ref, s in sorted(waiting, key=lambda w: (w[1], states.name(w[2]))) if d == day]
    return day, named


def next_followup_text(found: tuple[date, list[str]] | None) -> str:
    """'the next follow-up falls due on DAY: STATES', or why none will."""
    if found is None:
        return "no sent letter is waiting for an answer, so no follow-up will fall due"
    day, named = found
    shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
    return f"the next follow-up falls due on {day.isoformat()}: {shown}"


def first_letter_info(session: Session, case: Case) -> dict[str, dict[str, Any]]:
    """State → the first letter's date and reference, for follow-ups."""
    info: dict[str, dict[str, Any]] = {}
    pairs = case_letters(session, case, FIRST_LETTER)
    events = letter_events(session, [lt.id for lt, _ in pairs if lt.id])
    for lt, m in pairs:
        sent = [e.on for e in events.get(lt.id or 0, []) if e.status == "sent"]
        if sent:
            info[m.sending] = {"date": min(sent), "ref": case.ref, "subject": ""}
    return info


def last_responses(session: Session, case: Case) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in session.exec(select(Response).where(Response.case_id == case.id).order_by(col(Response.on))):
        out[r.state] = {"date": r.on, "outcome": r.outcome}
    return out


# -- history -----------------------------------------------------------------------------------

def case_history(session: Session, case: Case) -> list[Event]:
    return list(session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id))))


def describe(event: Event, missions: dict[str, Mission]) -> str:
    d = event.data or {}

    def state_of(mid: str | None) -> str:
        m = missions.get(mid or "")
        return f"{states.name(m.sending)} ({m.sending})" if m else (mid or "?")

    kind = event.kind
    if kind == "case.created":
        return "case created"
    if kind == "case.edited":
        return "edited: " + ", ".join(d.get("fields", []))
    if kind in ("case.archived", "case.reopened"):
        return kind.split(".")[1]
    if kind == "letter.rendered":
        return f"{d.get('letter')} to {state_of(d.get('mission'))} rendered in {d.get('lang')} as {d.get('format')}"
    if kind == "letter.renamed":
        return f"{d.get('letter')} to {state_of(d.get('mission'))}: its {d.get('format')} renamed to {d.get('renamed_to')}"
    if kind.startswith("letter."):
        status = kind.split(".", 1)[1]
        via = f" via {d['via']}" if d.get("via") else ""
        via += f", tracking {d['tracking']}" if d.get("tracking") else ""
        return f"{d.get('letter')} to {state_of(d.get('mission'))} {status} on {d.get('on')}{via}"
    if kind == "mailing.prepared":
        from plea.timeline import mailing_summary

        return mailing_summary([d])
    if kind == "response.logged":
        extra = " (unsolicited)" if d.get("unsolicited") else ""
        return f"answer from {states.name(d.get('state', ''))} ({d.get('state')}) on {d.get('on')}: {d.get('outcome')}{extra}"
    return kind
