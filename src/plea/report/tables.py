"""The report's tables as columns and rows of plain values (`plea report --table`, CSV, the HTML page)."""

from __future__ import annotations

from typing import Any

TABLES = ("states", "cases", "months", "never_answered", "unsolicited", "held_back")


def table_rows(report: dict[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the report's tables as columns and rows of plain values (CSV, terminal)."""
    # over 60 lines: one branch per table, its columns written one a line; nothing in it to share

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
