"""A report's parts from the totals kept up to date by plea.report.summary (a few thousand rows,
whatever the number of letters): the open cases' or every case's, without other filters."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from plea.report.figures import conn_of, day
from plea.report.outside import unsolicited

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def kept_parts(session: Session | Connection, *, all_cases: bool) -> dict[str, Any]:
    """The report's parts from the totals kept by plea.report.summary: the open cases' (scope
    "open") or every case's."""
    # over 60 lines: one pass over report_total and two small reads, each SQL statement whole
    q = conn_of(session).execute
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
        per_state[state]["first_sent"] = day(first)
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
        "unsolicited": unsolicited(session, filters, "report_appeal"),
    }
