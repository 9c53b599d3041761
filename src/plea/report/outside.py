"""What lies outside the appeals: answers no letter asked for (unsolicited), and the states the
recipient rule holds back for the cases in scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from plea import states
from plea.report.figures import conn_of, day

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def held_back(conn: Any, filters: dict[str, Any], *, written: set[str]) -> list[dict[str, Any]]:
    """States not written to that the recipient rule holds back for cases in scope (their threat states
    and the states cautioned for them), each with how many cases and why: counted apart from the states
    simply not written to."""
    from plea.cautions import by_threats, effective
    from plea.recipients import THREAT_REASON

    if filters["case_id"] is not None:
        q, params = 'SELECT threat_states, count(*) FROM "case" WHERE id = :id GROUP BY threat_states', {
            "id": filters["case_id"]}
    elif filters["all_cases"]:
        q, params = 'SELECT threat_states, count(*) FROM "case" GROUP BY threat_states', {}
    else:
        q, params = """SELECT threat_states, count(*) FROM "case" WHERE status = 'open' GROUP BY threat_states""", {}
    cautions = effective(conn)
    out: dict[str, dict[str, Any]] = {}
    for threat_states, n in conn.execute(text(q), params):
        threats = (threat_states or "").split()
        why = {code: (THREAT_REASON, "") for code in threats}
        for code, c in by_threats(cautions, threats).items():
            why.setdefault(code, (c.reason, c.source_url))
        for code, (reason, url) in why.items():
            if code in written:
                continue
            row = out.setdefault(code, {"state": code, "name": states.name(code), "cases": 0, "reason": reason,
                                        "source_url": url})
            row["cases"] += n
    return sorted(out.values(), key=lambda r: (-r["cases"], r["name"]))


def unsolicited(
    session: Session | Connection, filters: dict[str, Any], appeals: str
) -> list[dict[str, Any]]:
    """Answers logged as unsolicited from a state the case never wrote to (no appeal in the
    table `appeals`)."""
    where = [
        f"NOT EXISTS (SELECT 1 FROM {appeals} a WHERE a.case_id = r.case_id AND a.state = r.state)",
        "r.unsolicited = :yes",
    ]
    p = {"yes": True}
    if filters["case_id"] is not None:
        where.append("r.case_id = :case_id")
        p["case_id"] = filters["case_id"]
    elif not filters["all_cases"]:
        where.append("""r.case_id IN (SELECT id FROM "case" WHERE status = 'open')""")
    for key, op in (("since", ">="), ("until", "<=")):
        if filters[key]:
            where.append(f'r."on" {op} :{key}')
            p[key] = filters[key]
    rows = conn_of(session).execute(
        text(
            'SELECT c.ref, r.state, r."on", r.outcome FROM response r JOIN "case" c ON c.id = r.case_id '
            f'WHERE {" AND ".join(where)} ORDER BY r."on", r.id'
        ),
        p,
    )
    return [
        {"case": ref, "state": st, "name": states.name(st), "on": day(on).isoformat(), "outcome": outcome}
        for ref, st, on, outcome in rows
    ]


def tracking(conn: Any, filters: dict[str, Any]) -> dict[str, list[str]]:
    """Sending state → the tracking numbers of letters posted to its missions, for cases in scope."""
    where, p = ["e.status = 'sent'", "e.tracking != ''"], {}
    if filters["case_id"] is not None:
        where.append("l.case_id = :case_id")
        p["case_id"] = filters["case_id"]
    elif not filters["all_cases"]:
        where.append("""l.case_id IN (SELECT id FROM "case" WHERE status = 'open')""")
    if filters["host"]:
        where.append("m.host = :host")
        p["host"] = filters["host"]
    for key, op in (("since", ">="), ("until", "<=")):
        if filters[key]:
            where.append(f'e."on" {op} :{key}')
            p[key] = filters[key]
    rows = conn.execute(
        text(
            "SELECT m.sending, e.tracking FROM letter_event e JOIN letter l ON l.id = e.letter_id "
            f'JOIN mission m ON m.id = l.mission_id WHERE {" AND ".join(where)} ORDER BY e."on", e.id'
        ),
        p,
    )
    out: dict[str, list[str]] = {}
    for state, number in rows:
        if number not in out.setdefault(state, []):
            out[state].append(number)
    return out
