"""Days the user types in date options: YYYY-MM-DD, `today`, `yesterday`, or `-Nd` (N days ago)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from plea.errors import InvalidInput

#: what a date option accepts, for help texts and error messages
DAY_FORMS = "YYYY-MM-DD, today, yesterday or -Nd (N days ago)"

_DAYS_AGO = re.compile(r"-(\d{1,5})d")


def parse_day(value: str | None, option: str = "--on", *, today: date | None = None) -> date:
    """The day `value` names, counted from `today` (default: the local date); None means today."""
    base = today or date.today()
    if value is None:
        return base
    text = value.strip().lower()
    if text == "today":
        return base
    if text == "yesterday":
        return base - timedelta(days=1)
    ago = _DAYS_AGO.fullmatch(text)
    if ago:
        return base - timedelta(days=int(ago.group(1)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option}: not a date {value!r} (use {DAY_FORMS})") from None
