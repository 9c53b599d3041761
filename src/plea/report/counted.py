"""A report counted from the letters, for any filters: one pass builds the appeals in a temporary
table, one more the answered appeals (first answer, days, latest outcome), and the rest reads them;
only summaries reach Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from plea.report.figures import conn_of, day, median
from plea.report.outside import unsolicited

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def counted_parts(
    session: Session | Connection,
    *,
    case_id: int | None,
    all_cases: bool,
    host: str | None,
    since: date | None,
    until: date | None,
) -> dict[str, Any]:
    """The report's parts counted from the letters (any filters), in temporary tables."""
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
    conn = conn_of(session)
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
            return _parts(session, conn, ans, filters)
        finally:
            conn.execute(text("DROP TABLE IF EXISTS plea_report_answer"))
    finally:
        conn.execute(text("DROP TABLE IF EXISTS plea_report_appeal"))


def _answers(conn: Any, params: dict[str, Any], until: date | None) -> dict[str, Any]:
    """Answered appeals, summarised in SQL (one row per answered appeal in a temporary table:
    first answer, days from the first letter, latest outcome); only small results reach Python."""
    # over 60 lines: one temporary table and the few GROUP BY reads of it, each SQL statement whole
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
        (day(d), int(n), int(pos or 0))
        for d, n, pos in q(
            text(
                f"SELECT a.first_sent, COUNT(*), {positive.replace('outcome', 'x.outcome')} "
                "FROM plea_report_answer x JOIN plea_report_appeal a ON a.case_id = x.case_id "
                "AND a.state = x.state GROUP BY a.first_sent"
            )
        )
    ]
    return out


def _parts(
    session: Session | Connection, conn: Any, ans: dict[str, Any], filters: dict[str, Any]
) -> dict[str, Any]:
    """The report's parts from the appeals and answers counted in the temporary tables."""
    # over 60 lines: the counted parts, each read from the temporary tables in one statement
    q = conn.execute
    per_state = {
        row[0]: {"appeals": int(row[1]), "letters": int(row[2]), "first_sent": day(row[3])}
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
        m = months[day(d).isoformat()[:7]]
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
                "median_days": median(got["median"]),
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
        "unsolicited": unsolicited(session, filters, "plea_report_appeal"),
    }
