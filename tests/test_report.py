"""`plea report`: per state, per case, per month, never answered, unsolicited; filters; formats;
clear errors. Figures checked against the fixture's known campaign."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.ngo_fixtures import SENT_A, SENT_B, make_campaign


@pytest.fixture
def campaign(plea, db_file: Path, tmp_path: Path) -> dict:
    return make_campaign(plea, tmp_path)


def _report(plea, *args: str) -> dict:
    return json.loads(plea("report", "--format", "json", *args).stdout)


def test_figures_per_state_case_and_month(plea, campaign: dict) -> None:
    r = _report(plea)
    by = {s["state"]: s for s in r["states"]}
    assert set(by) == {"FR", "DE", "IT", "ES", "BR"}
    assert by["FR"] == {
        "state": "FR",
        "name": "France",
        "cases": 2,
        "letters": 2,
        "answered": 2,
        "response_rate": 1.0,
        "median_days": 7.0,
        "outcomes": {"negative": 1, "positive": 1},
        "best_outcome": "positive",
        "bounced": 0,
        "first_sent": SENT_A.isoformat(),
    }
    assert (by["DE"]["answered"], by["DE"]["response_rate"], by["DE"]["median_days"]) == (1, 0.5, 20.0)
    assert by["DE"]["best_outcome"] == "acknowledged"
    assert by["BR"]["bounced"] == 1 and by["BR"]["answered"] == 0 and by["BR"]["response_rate"] == 0.0
    assert [s["state"] for s in r["states"]][:2] == ["FR", "DE"]  # highest response rate first
    # held back (the cases' threat state, RU, and the states cautioned for it) counted apart
    from plea.cautions import shipped

    held = {h["state"]: h for h in r["held_back"]}
    assert held["RU"]["cases"] == 2 and held["RU"]["source_url"] == ""
    assert set(held) - {"RU"} == {c.state for c in shipped() if c.threat_state == "RU"} - set(by)
    assert r["totals"].pop("states_held_back") == len(held)
    assert r["totals"] == {
        "cases": 2,
        "states_written": 5,
        "appeals": 7,
        "letters": 7,
        "answered": 3,
        "response_rate": 0.4286,
        "median_days": 10.0,
        "positive": 1,
        "states_answered": 2,
        "states_never_answered": 3,
        "bounced": 1,
        "unsolicited": 1,
    }
    assert [n["state"] for n in r["never_answered"]] == ["BR", "IT", "ES"]  # most cases first, then by name
    assert r["unsolicited"] == [
        {
            "case": campaign["b"],
            "state": "JP",
            "name": "Japan",
            "on": (SENT_B + timedelta(days=5)).isoformat(),
            "outcome": "info-requested",
        }
    ]
    cases = {c["case"]: c for c in r["cases"]}
    assert cases[campaign["a"]] == {
        "case": campaign["a"],
        "states": 4,
        "letters": 4,
        "answered": 2,
        "response_rate": 0.5,
        "positive": 1,
        "median_days": 15.0,
    }
    assert cases[campaign["b"]]["answered"] == 1 and cases[campaign["b"]]["positive"] == 0
    months = {m["month"]: m for m in r["months"]}
    assert sum(m["appeals"] for m in months.values()) == 7 and sum(m["answers"] for m in months.values()) == 3
    assert months[SENT_A.isoformat()[:7]]["appeals"] >= 4
    head = plea("audit", "head").stdout.strip()
    assert r["history_head"] == head and r["filters"]["cases"] == "open"
    assert "Sidorenkov" not in json.dumps(r)  # cases by reference only


def test_filters(plea, campaign: dict) -> None:
    one = _report(plea, "--case", campaign["a"])
    assert one["totals"]["cases"] == 1 and one["totals"]["appeals"] == 4 and one["totals"]["unsolicited"] == 0
    assert one["filters"]["case"] == campaign["a"]
    assert _report(plea, "--host", "US")["totals"]["appeals"] == 7
    assert _report(plea, "--host", "France")["totals"]["appeals"] == 0
    late = _report(plea, "--since", SENT_B.isoformat())
    assert late["totals"]["appeals"] == 3 and late["totals"]["cases"] == 1
    early = _report(plea, "--until", SENT_A.isoformat())
    assert early["totals"]["appeals"] == 4 and early["totals"]["answered"] == 0  # answers came after --until
    plea("cases", "archive", campaign["b"])
    assert _report(plea)["totals"]["cases"] == 1
    assert _report(plea, "--all")["totals"]["cases"] == 2


def test_csv_and_table(plea, campaign: dict, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(plea("report", "--format", "csv").stdout)))
    assert {r["state"] for r in rows} == {"FR", "DE", "IT", "ES", "BR"}
    fr = next(r for r in rows if r["state"] == "FR")
    assert fr["response_rate"] == "100.0%" and fr["outcomes"] == "negative:1 positive:1"
    r = plea("report", "--format", "csv", "--table", "cases")
    assert r.stdout.splitlines()[0] == "case,states,letters,answered,response_rate,positive,median_days"
    assert "history head:" in r.stderr
    r = plea("report")
    assert r.stdout.startswith(
        "Wrote to 5 state(s) for 2 case(s): 7 letter(s), 3 of 7 appeal(s) answered (42.9%)"
    )
    assert "history head: " in r.stdout
    out = tmp_path / "r.json"
    assert plea("report", "--format", "json", "--out", str(out)).stdout.strip() == str(out)
    assert json.loads(out.read_text(encoding="utf-8"))["totals"]["appeals"] == 7


def test_clear_errors(plea, campaign: dict, tmp_path: Path) -> None:
    def err(*args: str, code: int) -> str:
        return plea("report", *args, code=code).stderr.strip()

    assert (
        err("--format", "pdf", code=3) == "plea: error: --format: 'pdf' is not one of table, json, csv, html"
    )
    assert err("--format", "html", code=3).startswith("plea: error: --format html writes a file")
    assert err("--case", campaign["a"], "--all", code=3) == "plea: error: --case and --all exclude each other"
    assert err("--since", "2026-13-01", code=3).startswith("plea: error: --since: not a date")
    assert err("--table", "x", "--format", "csv", code=3).startswith(
        "plea: error: --table: 'x' is not one of"
    )
    (tmp_path / "exists.html").write_text("mine", encoding="utf-8")
    assert err("--format", "html", "--out", str(tmp_path / "exists.html"), code=6).startswith(
        f"plea: error: {tmp_path / 'exists.html'} exists"
    )
    assert (tmp_path / "exists.html").read_text(encoding="utf-8") == "mine"
    assert "no case" in err("--case", "PLEA-1999-0042", code=4)


def test_empty_database_reports_zeroes(plea, db_file: Path) -> None:
    r = _report(plea)
    assert r["totals"]["appeals"] == 0 and r["totals"]["response_rate"] is None and r["states"] == []


def test_median_from_counts_equals_the_median_of_the_values() -> None:
    import random
    import statistics
    from collections import Counter

    from plea.report.figures import hist_median as _hist_median

    rnd = random.Random(6)
    for _ in range(500):
        values = [rnd.randint(0, 30) for _ in range(rnd.randint(1, 12))]
        assert _hist_median(Counter(values)) == float(statistics.median(values))
    assert _hist_median({}) is None


def test_months_count_answers_in_the_month_of_the_letter_they_answer(plea, db_file: Path,
                                                                    tmp_path: Path) -> None:
    """Letters sent in one month, answered 40 days later (always another month): the answers
    count in the letters' month, on both the kept totals and the recount from the letters."""
    from datetime import date

    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Month Person", "--nationality", "RU",
               "--persecution", "x").stdout.strip()
    plea("letters", "render", ref, "--to", "FR,DE,IT", "--format", "md", "--out", str(tmp_path / "l"))
    plea("letters", "sent", ref, "--to", "all", "--via", "post", "--on", "-60d", "--force")
    plea("responses", "log", ref, "FR", "--outcome", "positive", "--on", "-20d")
    plea("responses", "log", ref, "DE", "--outcome", "acknowledged", "--on", "-19d")
    sent_month = (date.today() - timedelta(days=60)).isoformat()[:7]
    expected = [{"month": sent_month, "appeals": 3, "letters": 3, "answers": 2, "positive": 1}]
    assert _report(plea)["months"] == expected  # the kept totals
    since = (date.today() - timedelta(days=365)).isoformat()
    assert _report(plea, "--since", since)["months"] == expected  # counted from the letters
    assert _report(plea, "--case", ref)["months"] == expected


def test_chart_shows_the_states_that_answered_then_one_bar_for_the_silent(plea, campaign: dict,
                                                                           tmp_path: Path) -> None:
    import re

    page = tmp_path / "report.html"
    plea("report", "--format", "html", "--out", str(page))
    html = page.read_text(encoding="utf-8")
    chart = html[html.index('<svg class="chart"'):]
    chart = chart[:chart.index("</svg>")]
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]+)</text>', chart)
    figures = re.findall(r'<text x="[\d.]+" y="[\d.]+" fill="#444">([^<]+)</text>', chart)
    # France (2 of 2) and Germany (1 of 2) answered; Italy, Spain and Brazil (bounced) did not
    assert labels == ["France", "Germany", "3 state(s) not answering"]
    assert figures == ["2/2 (100%)", "1/2 (50%)", "0/3 (0%): no answer yet"]
    (silent,) = re.findall(r"<title>([^<]+): 0/3 \(0%\): no answer yet</title>", chart)
    assert sorted(silent.split(", ")) == ["Brazil", "Italy", "Spain"]  # named in the bar's tooltip
