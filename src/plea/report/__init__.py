"""Outreach reports: who was written to, who answered, how fast, with what outcome.

The unit is an *appeal*: one case's letters to one state (any letter kinds, any of its missions
in scope). An appeal starts on its first sending; it is answered when that state logged an answer
for that case. Rates and medians are over appeals; "letters" counts sendings.

Scope: the open cases (default), every case (`all_cases`), or one case; `host` keeps letters to
missions in that state; `since`/`until` keep appeals whose first sending falls in the range, and
answers logged up to `until`. Reports name cases by reference only, never by name.

A report over the open cases or over all of them, without other filters, reads the totals kept
up to date by plea.report.summary (a few thousand rows, whatever the number of letters). Any
other report is counted from the letters, aggregated in SQL: one pass builds the appeals in a
temporary table, one more the answered appeals (first answer, days, latest outcome), and the rest
reads them; only summaries reach Python. Both ways give the same document (tests/test_report.py).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from plea import states

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

OUTCOME_ORDER = (
    "positive",
    "info-requested",
    "referred",
    "acknowledged",
    "other",
    "unclassified",
    "negative",
)
TABLES = ("states", "cases", "months", "never_answered", "unsolicited", "held_back")


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
    session: Session | Connection,
    *,
    case_id: int | None = None,
    all_cases: bool = False,
    host: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The report as one JSON-able document."""
    filters = {"case_id": case_id, "all_cases": all_cases, "host": host, "since": since, "until": until}
    if case_id is None and not host and not since and not until and not _summary_pending(session):
        return _assemble(session, _kept_parts(session, all_cases=all_cases), head=_head(session), **filters)
    return _counted(session, head=_head(session), **filters)


def _conn(session: Session | Connection) -> Connection:
    """The connection under an ORM session, or the Core connection itself: a report only runs
    SQL, so it can be built from either."""
    from sqlalchemy.engine import Connection

    return session if isinstance(session, Connection) else session.connection()


def _head(session: Session | Connection) -> tuple[str, int]:
    """The history chain's head and length, as plea.audit.current_head gives them (read here
    with plain SQL: a report need not load the ORM models)."""
    conn = _conn(session)
    last = conn.execute(text("SELECT hash FROM event ORDER BY id DESC LIMIT 1")).scalar()
    count = conn.execute(text("SELECT COUNT(*) FROM event")).scalar()
    return last or "0" * 64, int(count or 0)  # plea.history.GENESIS before the first event


def _summary_pending(session: Session | Connection) -> bool:
    """Whether a case is still noted for recounting (written from outside plea): then the kept
    totals are not to be trusted and the report counts from the letters."""
    return _conn(session).execute(text("SELECT 1 FROM report_dirty LIMIT 1")).first() is not None


def _counted(
    session: Session | Connection,
    *,
    case_id: int | None,
    all_cases: bool,
    host: str | None,
    since: date | None,
    until: date | None,
    head: tuple[str, int],
) -> dict[str, Any]:
    """The report counted from the letters (any filters)."""
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
    conn = _conn(session)
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
    filters = {"case_id": case_id, "all_cases": all_cases, "host": host, "since": since, "until": until}
    try:
        ans = _answers(conn, params, until)
        try:
            return _assemble(session, _counted_parts(session, conn, ans, filters), head=head, **filters)
        finally:
            conn.execute(text("DROP TABLE IF EXISTS plea_report_answer"))
    finally:
        conn.execute(text("DROP TABLE IF EXISTS plea_report_appeal"))


def _hist_median(hist: dict[int, int]) -> float | None:
    """The median of values given as {value: count}."""
    n = sum(hist.values())
    if not n:
        return None
    wanted = {(n - 1) // 2, n // 2}
    picked, seen = [], 0
    for value in sorted(hist):
        count = hist[value]
        picked += [value for pos in wanted if seen <= pos < seen + count]
        seen += count
    return float(sum(picked) / len(picked))


def _answers(conn: Any, params: dict[str, Any], until: date | None) -> dict[str, Any]:
    """Answered appeals, summarised in SQL (one row per answered appeal in a temporary table:
    first answer, days from the first letter, latest outcome); only small results reach Python."""
    q = conn.execute
    sqlite = conn.dialect.name == "sqlite"
    days = (
        "CAST(julianday(first_on) - julianday(first_sent) AS INTEGER)" if sqlite else "first_on - first_sent"
    )
    until_r = ' AND r."on" <= :until' if until else ""
    q(text("DROP TABLE IF EXISTS plea_report_answer"))
    q(
        text(
            "CREATE TEMPORARY TABLE plea_report_answer (case_id INTEGER NOT NULL, state VARCHAR(2) NOT NULL, "
            "first_on DATE NOT NULL, days INTEGER NOT NULL, outcome VARCHAR(32), "
            "PRIMARY KEY (case_id, state))" + (" WITHOUT ROWID" if sqlite else "")
        )
    )
    # one pass over the answers: the first one's date and the latest one's outcome per appeal
    q(
        text(
            "INSERT INTO plea_report_answer (case_id, state, first_on, days, outcome) "
            f"SELECT case_id, state, first_on, {days}, outcome FROM ("
            "SELECT r.case_id AS case_id, r.state AS state, r.outcome AS outcome, "
            "a.first_sent AS first_sent, "
            'MIN(r."on") OVER (PARTITION BY r.case_id, r.state) AS first_on, '
            'ROW_NUMBER() OVER (PARTITION BY r.case_id, r.state ORDER BY r."on" DESC, r.id DESC) AS rn '
            "FROM response r JOIN plea_report_appeal a ON a.case_id = r.case_id AND a.state = r.state "
            f'WHERE r."on" >= a.first_sent{until_r}) t WHERE rn = 1'
        ),
        params,
    )
    positive = "SUM(CASE WHEN outcome = 'positive' THEN 1 ELSE 0 END)"
    out: dict[str, Any] = {
        "outcomes": defaultdict(dict),
        "days": defaultdict(dict),
        "cases": {},
        "by_day": [],
    }
    for st, outcome, n in q(
        text("SELECT state, outcome, COUNT(*) FROM plea_report_answer GROUP BY state, outcome")
    ):
        out["outcomes"][st][outcome] = int(n)
    for st, d, n in q(text("SELECT state, days, COUNT(*) FROM plea_report_answer GROUP BY state, days")):
        out["days"][st][int(d)] = int(n)
    for cid, n, pos in q(
        text(f"SELECT case_id, COUNT(*), {positive} FROM plea_report_answer GROUP BY case_id")
    ):
        out["cases"][cid] = {"answered": int(n), "positive": int(pos or 0), "median": []}
    for cid, d in q(
        text(
            "SELECT case_id, days FROM (SELECT case_id, days, "
            "ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY days) AS rn, "
            "COUNT(*) OVER (PARTITION BY case_id) AS n FROM plea_report_answer) t "
            "WHERE rn = (n + 1) / 2 OR rn = n / 2 + 1"
        )
    ):
        out["cases"][cid]["median"].append(int(d))
    # by the day of the first letter each answer answers (the months table counts them there)
    out["by_day"] = [
        (_day(d), int(n), int(pos or 0))
        for d, n, pos in q(
            text(
                f"SELECT a.first_sent, COUNT(*), {positive.replace('outcome', 'x.outcome')} "
                "FROM plea_report_answer x JOIN plea_report_appeal a ON a.case_id = x.case_id "
                "AND a.state = x.state GROUP BY a.first_sent"
            )
        )
    ]
    return out


def _counted_parts(
    session: Session | Connection, conn: Any, ans: dict[str, Any], filters: dict[str, Any]
) -> dict[str, Any]:
    """The report's parts from the appeals and answers counted in the temporary tables."""
    q = conn.execute
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
    months: dict[str, dict[str, int]] = defaultdict(
        lambda: {"appeals": 0, "letters": 0, "answers": 0, "positive": 0}
    )
    for d, n, lt in q(
        text("SELECT first_sent, COUNT(*), SUM(letters) FROM plea_report_appeal GROUP BY first_sent")
    ):
        m = months[_day(d).isoformat()[:7]]
        m["appeals"] += int(n)
        m["letters"] += int(lt)
    for d, n, pos in ans["by_day"]:
        m = months[d.isoformat()[:7]]
        m["answers"] += n
        m["positive"] += pos
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
    bounced_by_state: dict[str, int] = defaultdict(int)
    for _cid, st in bounced:
        bounced_by_state[st] += 1
    refs = dict(q(text('SELECT id, ref FROM "case"')).all()) if per_case else {}
    cases = []
    for cid, c in per_case.items():
        got = ans["cases"].get(cid, {"answered": 0, "positive": 0, "median": []})
        cases.append(
            {
                "case": refs.get(cid, str(cid)),
                "appeals": c["appeals"],
                "letters": c["letters"],
                "answered": got["answered"],
                "positive": got["positive"],
                "median_days": _median(got["median"]),
            }
        )
    return {
        "states": per_state,
        "outcomes": ans["outcomes"],
        "days": ans["days"],
        "bounced": bounced_by_state,
        "cases": cases,
        "months": months,
        "case_ref": refs.get(filters["case_id"]) if filters["case_id"] is not None else None,
        "unsolicited": _unsolicited(session, filters, "plea_report_appeal"),
    }


def _kept_parts(session: Session | Connection, *, all_cases: bool) -> dict[str, Any]:
    """The report's parts from the totals kept by plea.report.summary: the open cases' (scope
    "open") or every case's."""
    q = _conn(session).execute
    scope = "" if all_cases else "scope = 'open' AND "
    per_state: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, dict[str, int]] = defaultdict(dict)
    days: dict[str, dict[int, int]] = defaultdict(dict)
    bounced: dict[str, int] = defaultdict(int)
    months: dict[str, dict[str, int]] = defaultdict(
        lambda: {"appeals": 0, "letters": 0, "answers": 0, "positive": 0}
    )
    # summed over the scopes here: cheaper than a GROUP BY (which sorts)
    for dim, key, sub, n in q(text(f"SELECT dim, key, sub, n FROM report_total WHERE {scope}n <> 0")).all():
        n = int(n)
        if dim == "state":
            if sub == "bounced":
                bounced[key] += n
            else:
                per_state.setdefault(key, {"appeals": 0, "letters": 0})[sub] += n
        elif dim == "outcome":
            outcomes[key][sub] = outcomes[key].get(sub, 0) + n
        elif dim == "days":
            days[key][int(sub)] = days[key].get(int(sub), 0) + n
        elif dim == "month":
            months[key][sub] += n
    # the first sending per state: the first appeal in (state, first_sent) order that is in scope
    open_only = "" if all_cases else """ AND a.case_id IN (SELECT id FROM "case" WHERE status = 'open')"""
    for state, first in q(
        text(
            "SELECT t.key, (SELECT a.first_sent FROM report_appeal a WHERE a.state = t.key"
            f"{open_only} ORDER BY a.first_sent LIMIT 1) FROM report_total t "
            f"WHERE {scope}t.dim = 'state' AND t.sub = 'appeals'"
        )
    ):
        per_state[state]["first_sent"] = _day(first)
    cases = [
        {
            "case": ref,
            "appeals": int(appeals),
            "letters": int(letters),
            "answered": int(answered),
            "positive": int(positive),
            "median_days": None if median is None else float(median),
        }
        for ref, appeals, letters, answered, positive, median in q(
            text(
                "SELECT c.ref, r.appeals, r.letters, r.answered, r.positive, r.median_days "
                'FROM report_case r JOIN "case" c ON c.id = r.case_id'
                + ("" if all_cases else " WHERE c.status = 'open'")
            )
        )
    ]
    filters = {"case_id": None, "all_cases": all_cases, "since": None, "until": None}
    return {
        "states": dict(sorted(per_state.items())),
        "outcomes": outcomes,
        "days": days,
        "bounced": bounced,
        "cases": cases,
        "months": months,
        "case_ref": None,
        "unsolicited": _unsolicited(session, filters, "report_appeal"),
    }


def _assemble(
    session: Session | Connection, parts: dict[str, Any], *, head: tuple[str, int], **filters: Any
) -> dict:
    """The report document from its parts, however they were counted."""
    until = filters["until"]
    state_rows = []
    for st, s in parts["states"].items():
        outcomes = dict(sorted(parts["outcomes"].get(st, {}).items()))
        answered = sum(outcomes.values())
        state_rows.append(
            {
                "state": st,
                "name": states.name(st),
                "cases": s["appeals"],
                "letters": s["letters"],
                "answered": answered,
                "response_rate": _rate(answered, s["appeals"]),
                "median_days": _hist_median(parts["days"].get(st, {})),
                "outcomes": outcomes,
                "best_outcome": _best(outcomes),
                "bounced": parts["bounced"].get(st, 0),
                "first_sent": s["first_sent"].isoformat(),
            }
        )
    state_rows.sort(key=lambda r: (-(r["response_rate"] or 0), -r["cases"], r["name"]))

    case_rows = [
        {
            "case": c["case"],
            "states": c["appeals"],
            "letters": c["letters"],
            "answered": c["answered"],
            "response_rate": _rate(c["answered"], c["appeals"]),
            "positive": c["positive"],
            "median_days": c["median_days"],
        }
        for c in parts["cases"]
    ]
    case_rows.sort(key=lambda r: r["case"])
    month_rows = [{"month": k, **v} for k, v in sorted(parts["months"].items())]

    never = sorted(
        (
            {"state": r["state"], "name": r["name"], "cases": r["cases"], "first_sent": r["first_sent"]}
            for r in state_rows
            if not r["answered"]
        ),
        key=lambda r: (-r["cases"], r["name"]),
    )
    tracked = _tracking(_conn(session), filters) if never else {}
    for r in never:  # a posted letter never answered: its tracking number says whether it arrived
        r["tracking"] = tracked.get(r["state"], [])

    unsolicited = parts["unsolicited"]
    per_state = parts["states"]
    appeals = sum(s["appeals"] for s in per_state.values())
    all_days: dict[int, int] = defaultdict(int)
    for hist in parts["days"].values():
        for d, n in hist.items():
            all_days[d] += n
    answered_total = sum(m["answers"] for m in parts["months"].values())
    totals = {
        "cases": len(case_rows),
        "states_written": len(per_state),
        "appeals": appeals,
        "letters": sum(s["letters"] for s in per_state.values()),
        "answered": answered_total,
        "response_rate": _rate(answered_total, appeals),
        "median_days": _hist_median(all_days),
        "positive": sum(m["positive"] for m in parts["months"].values()),
        "states_answered": sum(1 for r in state_rows if r["answered"]),
        "states_never_answered": len(never),
        "bounced": sum(parts["bounced"].values()),
        "unsolicited": len(unsolicited),
    }
    held = _held_back(_conn(session), filters, written=set(per_state))
    totals["states_held_back"] = len(held)
    return {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "filters": {
            "case": parts["case_ref"],
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
        "held_back": held,
    }


def _held_back(conn: Any, filters: dict[str, Any], *, written: set[str]) -> list[dict[str, Any]]:
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


def _tracking(conn: Any, filters: dict[str, Any]) -> dict[str, list[str]]:
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


def _unsolicited(
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
    rows = _conn(session).execute(
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
        cols = ["state", "name", "cases", "first_sent", "tracking"]
        return cols, [[r["state"], r["name"], r["cases"], r["first_sent"], " ".join(r["tracking"])]
                      for r in report["never_answered"]]
    if name == "unsolicited":
        cols = ["case", "state", "name", "on", "outcome"]
        return cols, [[r[c] for c in cols] for r in report["unsolicited"]]
    if name == "held_back":
        cols = ["state", "name", "cases", "reason", "source_url"]
        return cols, [[r[c] for c in cols] for r in report["held_back"]]
    raise ValueError(name)
