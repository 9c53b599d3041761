"""Outreach reports: who was written to, who answered, how fast, with what outcome.

The unit is an *appeal*: one case's letters to one state (any letter kinds, any of its missions
in scope). An appeal starts on its first sending; it is answered when that state logged an answer
for that case. Rates and medians are over appeals; "letters" counts sendings.

Scope: the open cases (default), every case (`all_cases`), or one case; `host` keeps letters to
missions in that state; `since`/`until` keep appeals whose first sending falls in the range, and
answers logged up to `until`. Reports name cases by reference only, never by name.

Everything is aggregated in SQL (one pass builds the appeals in a temporary table, the rest
reads it), so a report over a million letters does not pull a million rows into Python.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from plea import states

OUTCOME_ORDER = (
    "positive",
    "info-requested",
    "referred",
    "acknowledged",
    "other",
    "unclassified",
    "negative",
)
TABLES = ("states", "cases", "months", "never_answered", "unsolicited")


def _best(outcomes: dict[str, int]) -> str:
    for o in OUTCOME_ORDER:
        if outcomes.get(o):
            return o
    return ""


def _rate(answered: int, total: int) -> float | None:
    return round(answered / total, 4) if total else None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def build(
    session: Session,
    *,
    case_id: int | None = None,
    all_cases: bool = False,
    host: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The report as one JSON-able document."""
    from plea.audit import current_head

    params: dict[str, Any] = {}
    where = ["le.status = 'sent'"]
    if case_id is not None:
        where.append("l.case_id = :case_id")
        params["case_id"] = case_id
    elif not all_cases:
        where.append("""l.case_id IN (SELECT id FROM "case" WHERE status = 'open')""")
    if host:
        where.append("m.host = :host")
        params["host"] = host
    having = []
    if since:
        having.append('MIN(le."on") >= :since')
        params["since"] = since
    if until:
        having.append('MIN(le."on") <= :until')
        params["until"] = until
    appeal_sql = (
        'SELECT l.case_id AS case_id, m.sending AS state, MIN(le."on") AS first_sent, COUNT(*) AS letters '
        "FROM letter_event le JOIN letter l ON l.id = le.letter_id JOIN mission m ON m.id = l.mission_id "
        f"WHERE {' AND '.join(where)} GROUP BY l.case_id, m.sending"
        + (f" HAVING {' AND '.join(having)}" if having else "")
    )
    conn = session.connection()
    conn.execute(text("DROP TABLE IF EXISTS plea_report_appeal"))
    # keyed by (case, state): the joins below look appeals up instead of scanning them
    without_rowid = " WITHOUT ROWID" if conn.dialect.name == "sqlite" else ""
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE plea_report_appeal (case_id INTEGER NOT NULL, state VARCHAR(2) NOT NULL, "
            "first_sent DATE NOT NULL, letters INTEGER NOT NULL, "
            f"PRIMARY KEY (case_id, state)){without_rowid}"
        )
    )
    conn.execute(
        text(f"INSERT INTO plea_report_appeal (case_id, state, first_sent, letters) {appeal_sql}"), params
    )
    try:
        return _aggregate(
            session,
            conn,
            params,
            case_id=case_id,
            all_cases=all_cases,
            host=host,
            since=since,
            until=until,
            head=current_head(session),
        )
    finally:
        conn.execute(text("DROP TABLE IF EXISTS plea_report_appeal"))


def _aggregate(
    session: Session, conn: Any, params: dict[str, Any], *, head: tuple[str, int], **filters: Any
) -> dict:
    q = conn.execute
    until = filters["until"]
    # answers to appeals in scope: the first answer's date, and the latest answer's outcome
    resp_filter = ' AND r."on" <= :until' if until else ""
    answers: dict[tuple[int, str], dict[str, Any]] = {}
    for cid, state, on, outcome, first_sent in q(
        text(
            'SELECT r.case_id, r.state, r."on", r.outcome, a.first_sent FROM response r '
            "JOIN plea_report_appeal a ON a.case_id = r.case_id AND a.state = r.state "
            f'WHERE r."on" >= a.first_sent{resp_filter} ORDER BY r."on", r.id'
        ),
        params,
    ):
        key = (cid, state)
        day = _day(on)
        if key not in answers:
            answers[key] = {"first": day, "days": (day - _day(first_sent)).days, "outcome": outcome}
        answers[key]["outcome"] = outcome
        answers[key]["last"] = day

    per_state = {
        row[0]: {"appeals": int(row[1]), "letters": int(row[2]), "first_sent": _day(row[3])}
        for row in q(
            text(
                "SELECT state, COUNT(*), SUM(letters), MIN(first_sent) FROM plea_report_appeal GROUP BY state"
            )
        )
    }
    per_case = {
        row[0]: {"appeals": int(row[1]), "letters": int(row[2])}
        for row in q(text("SELECT case_id, COUNT(*), SUM(letters) FROM plea_report_appeal GROUP BY case_id"))
    }
    by_day = [
        (_day(d), int(n), int(lt))
        for d, n, lt in q(
            text("SELECT first_sent, COUNT(*), SUM(letters) FROM plea_report_appeal GROUP BY first_sent")
        )
    ]
    bounced = {
        (cid, st)
        for cid, st in q(
            text(
                "SELECT DISTINCT l.case_id, m.sending FROM letter_event le "
                "JOIN letter l ON l.id = le.letter_id "
                "JOIN mission m ON m.id = l.mission_id JOIN plea_report_appeal a ON a.case_id = l.case_id "
                "AND a.state = m.sending WHERE le.status = 'bounced'"
            )
        )
    }
    refs = dict(q(text('SELECT id, ref FROM "case"')).all()) if per_case else {}

    state_rows = []
    days_by_state: dict[str, list[int]] = defaultdict(list)
    outcomes_by_state: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    case_answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (cid, st), a in answers.items():
        days_by_state[st].append(a["days"])
        outcomes_by_state[st][a["outcome"]] += 1
        case_answers[cid].append(a)
    bounced_by_state: dict[str, int] = defaultdict(int)
    for _cid, st in bounced:
        bounced_by_state[st] += 1
    for st, s in per_state.items():
        answered = len(days_by_state.get(st, []))
        outcomes = dict(sorted(outcomes_by_state.get(st, {}).items()))
        state_rows.append(
            {
                "state": st,
                "name": states.name(st),
                "cases": s["appeals"],
                "letters": s["letters"],
                "answered": answered,
                "response_rate": _rate(answered, s["appeals"]),
                "median_days": _median(days_by_state.get(st, [])),
                "outcomes": outcomes,
                "best_outcome": _best(outcomes),
                "bounced": bounced_by_state.get(st, 0),
                "first_sent": s["first_sent"].isoformat(),
            }
        )
    state_rows.sort(key=lambda r: (-(r["response_rate"] or 0), -r["cases"], r["name"]))

    case_rows = []
    for cid, c in per_case.items():
        got = case_answers.get(cid, [])
        case_rows.append(
            {
                "case": refs.get(cid, str(cid)),
                "states": c["appeals"],
                "letters": c["letters"],
                "answered": len(got),
                "response_rate": _rate(len(got), c["appeals"]),
                "positive": sum(1 for a in got if a["outcome"] == "positive"),
                "median_days": _median([a["days"] for a in got]),
            }
        )
    case_rows.sort(key=lambda r: r["case"])

    months: dict[str, dict[str, int]] = defaultdict(
        lambda: {"appeals": 0, "letters": 0, "answers": 0, "positive": 0}
    )
    for d, n, lt in by_day:
        m = months[d.isoformat()[:7]]
        m["appeals"] += n
        m["letters"] += lt
    for a in answers.values():
        m = months[a["first"].isoformat()[:7]]
        m["answers"] += 1
        m["positive"] += a["outcome"] == "positive"
    month_rows = [{"month": k, **v} for k, v in sorted(months.items())]

    never = sorted(
        (
            {"state": r["state"], "name": r["name"], "cases": r["cases"], "first_sent": r["first_sent"]}
            for r in state_rows
            if not r["answered"]
        ),
        key=lambda r: (-r["cases"], r["name"]),
    )

    unsolicited = _unsolicited(session, params, filters)
    appeals = sum(s["appeals"] for s in per_state.values())
    all_days = [a["days"] for a in answers.values()]
    totals = {
        "cases": len(per_case),
        "states_written": len(per_state),
        "appeals": appeals,
        "letters": sum(s["letters"] for s in per_state.values()),
        "answered": len(answers),
        "response_rate": _rate(len(answers), appeals),
        "median_days": _median(all_days),
        "positive": sum(1 for a in answers.values() if a["outcome"] == "positive"),
        "states_answered": sum(1 for r in state_rows if r["answered"]),
        "states_never_answered": len(never),
        "bounced": len(bounced),
        "unsolicited": len(unsolicited),
    }
    return {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "filters": {
            "case": refs.get(filters["case_id"]) if filters["case_id"] is not None else None,
            "cases": "one" if filters["case_id"] is not None else ("all" if filters["all_cases"] else "open"),
            "host": filters["host"],
            "since": filters["since"].isoformat() if filters["since"] else None,
            "until": until.isoformat() if until else None,
        },
        "history_head": head[0],
        "history_events": head[1],
        "totals": totals,
        "states": state_rows,
        "cases": case_rows,
        "months": month_rows,
        "never_answered": never,
        "unsolicited": unsolicited,
    }


def _unsolicited(session: Session, params: dict[str, Any], filters: dict[str, Any]) -> list[dict[str, Any]]:
    where = [
        "NOT EXISTS (SELECT 1 FROM plea_report_appeal a WHERE a.case_id = r.case_id AND a.state = r.state)",
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
    rows = session.connection().execute(
        text(
            'SELECT c.ref, r.state, r."on", r.outcome FROM response r JOIN "case" c ON c.id = r.case_id '
            f'WHERE {" AND ".join(where)} ORDER BY r."on", r.id'
        ),
        p,
    )
    return [
        {"case": ref, "state": st, "name": states.name(st), "on": _day(on).isoformat(), "outcome": outcome}
        for ref, st, on, outcome in rows
    ]


def table_rows(report: dict[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the report's tables as columns and rows of plain values (CSV, terminal)."""

    def pct(v: float | None) -> str:
        return "" if v is None else f"{v * 100:.1f}%"

    def num(v: float | None) -> str:
        return "" if v is None else (f"{v:g}")

    if name == "states":
        cols = [
            "state",
            "name",
            "cases",
            "letters",
            "answered",
            "response_rate",
            "median_days",
            "best_outcome",
            "outcomes",
            "bounced",
        ]
        return cols, [
            [
                r["state"],
                r["name"],
                r["cases"],
                r["letters"],
                r["answered"],
                pct(r["response_rate"]),
                num(r["median_days"]),
                r["best_outcome"],
                " ".join(f"{k}:{v}" for k, v in r["outcomes"].items()),
                r["bounced"],
            ]
            for r in report["states"]
        ]
    if name == "cases":
        cols = ["case", "states", "letters", "answered", "response_rate", "positive", "median_days"]
        return cols, [
            [
                r["case"],
                r["states"],
                r["letters"],
                r["answered"],
                pct(r["response_rate"]),
                r["positive"],
                num(r["median_days"]),
            ]
            for r in report["cases"]
        ]
    if name == "months":
        cols = ["month", "appeals", "letters", "answers", "positive"]
        return cols, [[r[c] for c in cols] for r in report["months"]]
    if name == "never_answered":
        cols = ["state", "name", "cases", "first_sent"]
        return cols, [[r[c] for c in cols] for r in report["never_answered"]]
    if name == "unsolicited":
        cols = ["case", "state", "name", "on", "outcome"]
        return cols, [[r[c] for c in cols] for r in report["unsolicited"]]
    raise ValueError(name)
