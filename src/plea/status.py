"""Where a campaign stands: per case and state, what was sent, what came back, what is due
(`plea status`, follow-ups, reports). Reads with Core statements on plea.db.tables, without the
ORM or the model classes, so `plea status` starts fast; plea.campaign re-exports all of it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import false, func, select

from plea import states
from plea.db import tables as T
from plea.settings import DEFAULT_FOLLOWUP_DAYS

FIRST_LETTER = "humanitarian-visa"


@dataclass
class StateStatus:
    state: str
    mission: Any
    first_sent: date
    last_sent: date
    letters: list[Any]
    responses: list[Any] = field(default_factory=list)  # rows of plea.db.tables.response
    bounced: bool = False
    closed: bool = False
    due_on: date | None = None

    @property
    def answered(self) -> bool:
        return bool(self.responses)

    @property
    def outcome(self) -> str:
        return self.responses[-1].outcome if self.responses else ("bounced" if self.bounced else "")

    def days_waiting(self, today: date) -> int | None:
        return None if self.answered or self.closed else (today - self.last_sent).days

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on <= today


@dataclass(frozen=True)
class MissionRef:
    id: str
    sending: str
    city: str


def statuses(conn: Any, cases: list[Any], today: date) -> dict[int, list[StateStatus]]:
    """Per case, per state written to: what was sent when, what came back, what is due.
    `conn` is a Connection or a Session (anything with .execute); cases need .id and
    .followup_days. Reads plain rows with Core statements on plea.db.tables, no ORM objects:
    `plea status` over 10,000 letters stays fast."""
    ids = [c.id for c in cases if c.id is not None]
    out: dict[int, list[StateStatus]] = {cid: [] for cid in ids}
    if not ids:
        return out
    days = _interval(conn)
    interval = {c.id: days(c) for c in cases}
    lt, mt, et, rt = T.letter.c, T.mission.c, T.letter_event.c, T.response.c
    letters = conn.execute(
        select(lt.id, lt.case_id, lt.letter, lt.status, mt.id, mt.sending, mt.city)
        .select_from(T.letter.join(T.mission, mt.id == lt.mission_id))
        .where(lt.case_id.in_(ids))).all()
    sent: dict[int, list[date]] = defaultdict(list)
    for lid, on in conn.execute(
            select(et.letter_id, et.on)
            .select_from(T.letter_event.join(T.letter, lt.id == et.letter_id))
            .where(lt.case_id.in_(ids), et.status == "sent")).all():
        sent[lid].append(on)
    responses: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for r in conn.execute(select(T.response).where(rt.case_id.in_(ids)).order_by(rt.on, rt.id)):
        responses[(r.case_id, r.state)].append(r)
    by_key: dict[tuple[int, str], StateStatus] = {}
    for lid, cid, name, status, mid, sending, city in letters:
        dates = sent.get(lid)
        if not dates:
            continue
        first, last = min(dates), max(dates)
        st = by_key.get((cid, sending))
        if st is None:
            st = by_key[(cid, sending)] = StateStatus(sending, MissionRef(mid, sending, city), first, last,
                                                      [], responses.get((cid, sending), []))
        else:
            st.first_sent, st.last_sent = min(st.first_sent, first), max(st.last_sent, last)
            if name == FIRST_LETTER:
                st.mission = MissionRef(mid, sending, city)
        st.letters.append(SimpleNamespace(id=lid, letter=name, status=status))
    for (cid, _state), st in by_key.items():
        kinds = {lt.status for lt in st.letters}
        st.bounced = "bounced" in kinds and "sent" not in kinds
        st.closed = kinds <= {"closed"}
        if not st.answered and not st.closed and not st.bounced:
            st.due_on = st.last_sent + interval[cid]
        out[cid].append(st)
    for cid in out:
        out[cid].sort(key=lambda s: (not s.answered, not s.overdue(today), states.name(s.state)))
    return out


def _interval(conn: Any) -> Callable[[Any], timedelta]:
    """case → its follow-up interval (its own, else the setting, else DEFAULT_FOLLOWUP_DAYS)."""
    global_days = conn.execute(select(T.setting.c.value).where(T.setting.c.key == "followup_days")).scalar()
    return lambda c: timedelta(days=c.followup_days or int(global_days or DEFAULT_FOLLOWUP_DAYS))


def open_headlines(conn: Any, today: date) -> list[dict[str, Any]]:
    """`plea status` over every open case: per case, by reference, {"case", "name", **headline}
    as headline(statuses(…)) gives it, read from the figures kept in report_case and report_appeal
    (plea.report.summary) instead of the letters. A case still noted in report_dirty (written
    from outside plea) is counted from its letters, as the report does."""
    cases = open_cases(conn)
    rc = T.report_case.c
    kept = {r.case_id: r for r in conn.execute(
        select(rc.case_id, rc.appeals, rc.replied, rc.replied_positive, rc.silent, rc.returned, rc.waiting,
               rc.waiting_first, rc.waiting_last, rc.un_members)
        .select_from(T.report_case.join(T.case, T.case.c.id == rc.case_id)).where(T.case.c.status == "open"))}
    noted = {cid for (cid,) in conn.execute(select(T.report_dirty.c.case_id))}
    recount = [c for c in cases if c.id in noted or (c.id in kept and kept[c.id].replied is None)]
    counted = statuses(conn, recount, today)
    interval, un = _interval(conn), len(states.un_members())
    cutoff = {c.id: today - interval(c) for c in cases}
    due = _due(conn, kept, cutoff)
    out = []
    for c in cases:
        row = kept.get(c.id)
        if c.id in counted:
            h = headline(counted[c.id], today)
        elif row is None:  # nothing sent yet
            h = headline([], today)
        else:
            h = {"wrote_to": row.appeals, "un_members_written": row.un_members,
                 "un_members": un, "answered": row.replied, "positive": row.replied_positive,
                 "silent": row.silent, "bounced": row.returned, "due": due.get(c.id, 0), "unsolicited": 0}
        out.append({"case": c.ref, "name": c.name_latin, **h})
    return out


def _due(conn: Any, kept: dict[int, Any], cutoff: dict[int, date]) -> dict[int, int]:
    """case id → its appeals due for a follow-up (waiting, last sent on or before its cutoff).
    report_case's first and last sending among the waiting settle most cases; the others (some
    due, some not yet) read their waiting appeals."""
    due: dict[int, int] = {}
    mixed: list[int] = []
    for cid, row in kept.items():
        if not row.waiting or cid not in cutoff or row.replied is None or row.waiting_first > cutoff[cid]:
            continue
        if row.waiting_last <= cutoff[cid]:
            due[cid] = row.waiting
        else:
            mixed.append(cid)
    a = T.report_appeal.c
    for start in range(0, len(mixed), 500):
        chunk = mixed[start:start + 500]
        for cid, last in conn.execute(select(a.case_id, a.last_sent).where(
                a.case_id.in_(chunk), a.replied == false(), a.closed == false(), a.returned == false())):
            if last <= cutoff[cid]:
                due[cid] = due.get(cid, 0) + 1
    return due


def open_cases(conn: Any) -> list[Any]:
    """The open cases as rows (id, ref, name_latin, followup_days, threat_states), by reference."""
    c = T.case.c
    return list(conn.execute(select(c.id, c.ref, c.name_latin, c.followup_days, c.threat_states)
                             .where(c.status == "open").order_by(c.ref)))


def find_case(conn: Any, ref: str) -> Any:
    """One case as a row (id, ref, name_latin, followup_days, threat_states) by its reference (or its
    number), with the same error and suggestions as plea.cases.get_case."""
    c = T.case.c
    columns = (c.id, c.ref, c.name_latin, c.followup_days, c.threat_states)
    ref_u = ref.strip().upper()
    row = conn.execute(select(*columns).where(c.ref == ref_u)).first()
    if row is None and ref_u.isdigit():
        found = list(conn.execute(select(*columns).where(c.ref.endswith(f"-{int(ref_u):04d}")).order_by(c.ref)))
        if len(found) > 1:
            from plea.errors import InvalidInput

            raise InvalidInput(f"case number {ref} is ambiguous: {' or '.join(r.ref for r in found)}",
                               hint="give the whole reference")
        row = found[0] if found else None
    if row is None:
        from difflib import get_close_matches

        from plea.errors import NotFound

        close = get_close_matches(ref_u, [r for (r,) in conn.execute(select(c.ref))], n=3)
        raise NotFound(f"no case {ref!r}",
                       hint=f"did you mean {' or '.join(close)}?" if close else "list cases with `plea cases list`")
    return row


def letters_to_threats(conn: Any, case_ids: list[int] | None = None) -> list[tuple[str, str, str, date]]:
    """Letters on record to a case's own threat states: (case ref, state, status, on), `on` being the last
    sending or, for a letter never sent, the day it was written. They stay on record; status and doctor
    warn about them."""
    c, lt, m, ev = T.case.c, T.letter.c, T.mission.c, T.letter_event.c
    q = (select(c.ref, c.threat_states, m.sending, lt.status, func.max(ev.on))
         .select_from(T.letter.join(T.case, c.id == lt.case_id).join(T.mission, m.id == lt.mission_id)
                      .join(T.letter_event, ev.letter_id == lt.id))
         .where(c.threat_states != "").group_by(c.ref, c.threat_states, m.sending, lt.status))
    if case_ids is not None:
        q = q.where(c.id.in_(case_ids))
    out = [(ref, state, st, on) for ref, threats, state, st, on in conn.execute(q) if state in threats.split()]
    return sorted(out)


def tracking_numbers(conn: Any, case_id: int) -> dict[str, str]:
    """State → the tracking number of its latest posted letter that has one."""
    lt, mt, et = T.letter.c, T.mission.c, T.letter_event.c
    q = (select(mt.sending, et.tracking).select_from(
        T.letter_event.join(T.letter, lt.id == et.letter_id).join(T.mission, mt.id == lt.mission_id))
         .where(lt.case_id == case_id, et.status == "sent", et.tracking != "").order_by(et.on, et.id))
    return {state: number for state, number in conn.execute(q)}


def case_responses(conn: Any, case_id: int) -> list[Any]:
    """A case's responses as rows (state, on, outcome), in the order they were logged."""
    r = T.response.c
    return list(conn.execute(select(r.state, r.on, r.outcome).where(r.case_id == case_id)
                             .order_by(r.on, r.id)))


def headline(rows: list[StateStatus], today: date, *, unsolicited: int = 0) -> dict[str, int]:
    un = states.un_members()
    return {
        "wrote_to": len(rows),
        "un_members_written": sum(1 for r in rows if r.state in un),
        "un_members": len(un),
        "answered": sum(r.answered for r in rows),
        "positive": sum(1 for r in rows if r.answered and any(x.outcome == "positive" for x in r.responses)),
        "silent": sum(1 for r in rows if not r.answered and not r.closed),
        "bounced": sum(r.bounced for r in rows),
        "due": sum(r.overdue(today) for r in rows),
        "unsolicited": unsolicited,
    }


def headline_text(h: dict[str, int]) -> str:
    from plea.i18n import translate

    un = translate(f"{h['un_members_written']} of {h['un_members']} UN member states")
    wrote = un if h["wrote_to"] == h["un_members_written"] else translate(f"{h['wrote_to']} states ({un})")
    text = translate(f"Wrote to {wrote} · {h['answered']} answered ({h['positive']} positive) · "
                     f"{h['silent']} silent · {h['due']} due for follow-up")
    if h["bounced"]:
        text += translate(f" · {h['bounced']} bounced")
    if h["unsolicited"]:
        text += translate(f" · {h['unsolicited']} unsolicited answer(s)")
    if h.get("held_back"):
        text += translate(f" · {h['held_back']} held back (threat or cautioned states)")
    return text


def held_back_counts(conn: Any, cases: list[Any]) -> dict[str, int]:
    """Case reference → how many states the recipient rule holds back for it (its threat states and the
    states cautioned for them) that it did not write to. Reads only the sendings to those few states."""
    from plea.cautions import by_threats, effective

    cautions = effective(conn)
    held = {c.id: set((c.threat_states or "").split()) for c in cases}
    for c in cases:
        held[c.id] |= set(by_threats(cautions, sorted(held[c.id])))
    codes = sorted(set().union(*held.values())) if held else []
    written: dict[int, set[str]] = defaultdict(set)
    if codes:
        lt, mt, et = T.letter.c, T.mission.c, T.letter_event.c
        q = (select(lt.case_id, mt.sending).distinct()
             .select_from(T.letter.join(T.mission, mt.id == lt.mission_id).join(T.letter_event, et.letter_id == lt.id))
             .where(et.status == "sent", mt.sending.in_(codes)))
        for case_id, state in conn.execute(q):
            written[case_id].add(state)
    return {c.ref: len(held[c.id] - written[c.id]) for c in cases}


def held_back(conn: Any, case: Any, written: set[str]) -> list[Any]:
    """The states the recipient rule keeps from `all` for this case (its threat states, then the states
    cautioned for them) that were not written to, as plea.recipients.Held."""
    from plea.cautions import for_threats
    from plea.recipients import THREAT_REASON, Held

    threats = (case.threat_states or "").split()
    out = [Held(code, THREAT_REASON) for code in threats if code not in written]
    out += [Held(code, c.reason, c.source_url, c.source_title, "caution")
            for code, c in sorted(for_threats(conn, threats).items()) if code not in written]
    return out


def status_dict(st: StateStatus, today: date) -> dict[str, Any]:
    return {
        "state": st.state, "name": states.name(st.state), "mission": st.mission.id, "city": st.mission.city,
        "first_sent": st.first_sent.isoformat(), "last_sent": st.last_sent.isoformat(),
        "days_waiting": st.days_waiting(today), "answered": st.answered, "outcome": st.outcome,
        "answered_on": st.responses[-1].on.isoformat() if st.responses else None,
        "due_on": st.due_on.isoformat() if st.due_on else None, "overdue": st.overdue(today),
        "letters": {lt.letter: lt.status for lt in st.letters},
    }
