"""Small pieces every part of a report uses: rates, medians, days, the connection under a session."""

from __future__ import annotations

import statistics
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def rate(answered: int, total: int) -> float | None:
    return round(answered / total, 4) if total else None


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def conn_of(session: Session | Connection) -> Connection:
    """The connection under an ORM session, or the Core connection itself: a report only runs
    SQL, so it can be built from either."""
    from sqlalchemy.engine import Connection

    return session if isinstance(session, Connection) else session.connection()


def hist_median(hist: dict[int, int]) -> float | None:
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
