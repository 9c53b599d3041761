"""plea.dates: the days a user types in date options."""

from __future__ import annotations

from datetime import date

import pytest

from plea.dates import parse_day
from plea.errors import InvalidInput

BASE = date(2026, 3, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("today", date(2026, 3, 1)), ("Today", date(2026, 3, 1)), ("yesterday", date(2026, 2, 28)),
    ("-1d", date(2026, 2, 28)), ("-0d", date(2026, 3, 1)), ("-30d", date(2026, 1, 30)),
    ("-365d", date(2025, 3, 1)), ("2024-02-29", date(2024, 2, 29)), (" 2026-12-10 ", date(2026, 12, 10)),
    (None, date(2026, 3, 1)),
])
def test_forms_a_day_can_take(text: str | None, expected: date) -> None:
    assert parse_day(text, today=BASE) == expected


def test_default_base_is_the_local_date() -> None:
    assert parse_day("today") == date.today()
    assert parse_day(None) == date.today()


@pytest.mark.parametrize("text", ["2026-02-30", "tomorrow", "-d", "-3", "3d", "+3d", "-3w", "", "12/10/2026"])
def test_anything_else_is_refused_naming_the_option_and_the_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_day(text, "--since", today=BASE)
    assert str(exc.value) == (f"--since: not a date {text!r} "
                              "(use YYYY-MM-DD, today, yesterday or -Nd (N days ago))")
