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

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from plea import states
from plea.report.counted import counted_parts
from plea.report.figures import conn_of, hist_median, rate
from plea.report.kept import kept_parts
from plea.report.outside import held_back, tracking

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


def _best(outcomes: dict[str, int]) -> str:
    for o in OUTCOME_ORDER:
        if outcomes.get(o):
            return o
    return ""


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
        parts = kept_parts(session, all_cases=all_cases)
        return _assemble(session, parts, head=history_head(session), **filters)
    return counted(session, head=history_head(session), **filters)


def counted(session: Session | Connection, *, head: tuple[str, int], **filters: Any) -> dict[str, Any]:
    """The report counted from the letters (any filters)."""
    return _assemble(session, counted_parts(session, **filters), head=head, **filters)


def history_head(session: Session | Connection) -> tuple[str, int]:
    """The history chain's head and length, as plea.audit.current_head gives them (read here
    with plain SQL: a report need not load the ORM models)."""
    conn = conn_of(session)
    last = conn.execute(text("SELECT hash FROM event ORDER BY id DESC LIMIT 1")).scalar()
    count = conn.execute(text("SELECT COUNT(*) FROM event")).scalar()
    return last or "0" * 64, int(count or 0)  # plea.history.GENESIS before the first event


def _summary_pending(session: Session | Connection) -> bool:
    """Whether a case is still noted for recounting (written from outside plea): then the kept
    totals are not to be trusted and the report counts from the letters."""
    return conn_of(session).execute(text("SELECT 1 FROM report_dirty LIMIT 1")).first() is not None


def _assemble(
    session: Session | Connection, parts: dict[str, Any], *, head: tuple[str, int], **filters: Any
) -> dict:
    """The report document from its parts, however they were counted."""
    until = filters["until"]
    state_rows = _state_rows(parts)
    case_rows = _case_rows(parts)
    month_rows = [{"month": k, **v} for k, v in sorted(parts["months"].items())]
    never = sorted(
        (
            {"state": r["state"], "name": r["name"], "cases": r["cases"], "first_sent": r["first_sent"]}
            for r in state_rows
            if not r["answered"]
        ),
        key=lambda r: (-r["cases"], r["name"]),
    )
    tracked = tracking(conn_of(session), filters) if never else {}
    for r in never:  # a posted letter never answered: its tracking number says whether it arrived
        r["tracking"] = tracked.get(r["state"], [])
    totals = _totals(parts, state_rows, cases=len(case_rows), never=len(never))
    held = held_back(conn_of(session), filters, written=set(parts["states"]))
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
        "unsolicited": parts["unsolicited"],
        "held_back": held,
    }


def _state_rows(parts: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per state written to, the best response rates first."""
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
                "response_rate": rate(answered, s["appeals"]),
                "median_days": hist_median(parts["days"].get(st, {})),
                "outcomes": outcomes,
                "best_outcome": _best(outcomes),
                "bounced": parts["bounced"].get(st, 0),
                "first_sent": s["first_sent"].isoformat(),
            }
        )
    state_rows.sort(key=lambda r: (-(r["response_rate"] or 0), -r["cases"], r["name"]))
    return state_rows


def _case_rows(parts: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per case, by reference."""
    case_rows = [
        {
            "case": c["case"],
            "states": c["appeals"],
            "letters": c["letters"],
            "answered": c["answered"],
            "response_rate": rate(c["answered"], c["appeals"]),
            "positive": c["positive"],
            "median_days": c["median_days"],
        }
        for c in parts["cases"]
    ]
    case_rows.sort(key=lambda r: r["case"])
    return case_rows


def _totals(
    parts: dict[str, Any], state_rows: list[dict[str, Any]], *, cases: int, never: int
) -> dict[str, Any]:
    """The report's headline figures (states held back are added by the caller)."""
    per_state = parts["states"]
    appeals = sum(s["appeals"] for s in per_state.values())
    all_days: dict[int, int] = defaultdict(int)
    for hist in parts["days"].values():
        for d, n in hist.items():
            all_days[d] += n
    answered_total = sum(m["answers"] for m in parts["months"].values())
    return {
        "cases": cases,
        "states_written": len(per_state),
        "appeals": appeals,
        "letters": sum(s["letters"] for s in per_state.values()),
        "answered": answered_total,
        "response_rate": rate(answered_total, appeals),
        "median_days": hist_median(all_days),
        "positive": sum(m["positive"] for m in parts["months"].values()),
        "states_answered": sum(1 for r in state_rows if r["answered"]),
        "states_never_answered": never,
        "bounced": sum(parts["bounced"].values()),
        "unsolicited": len(parts["unsolicited"]),
    }
