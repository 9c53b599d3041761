"""Checking one mission's values: states, kind, email, web addresses, coordinates, languages,
dates and edited fields; and turning checked values into the stored form."""

from __future__ import annotations

import re
from datetime import date
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlparse

from plea import states
from plea.directory.queries import AUTHORITY_KINDS, COLUMNS, EDITABLE, EDITED, MISSION_KINDS

REQUIRED = ("id", "sending", "host")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

def _state_problem(value: str) -> str | None:
    if states.is_code(value):
        return None
    close = states.suggest(value)
    return f"unknown ISO 3166 code {value!r}" + (f" (did you mean {' or '.join(close)}?)" if close else "")


def _valid_language(code: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code)
        return True
    except (UnknownLocaleError, ValueError):
        return False


def check_email(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
        return None
    except EmailNotValidError as exc:
        return f"not a valid email address {value!r}: {exc}"


def check_url(value: str) -> str | None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        return f"not a valid web address {value!r} (it should start with https:// or http://)"
    return None


def validate_fields(row: dict[str, str]) -> list[tuple[str, str]]:
    """(column, problem) for every bad value in one mission row; empty values are fine
    except the required ones."""
    problems: list[tuple[str, str]] = []
    for column in REQUIRED:
        if column in row and not row[column]:
            problems.append((column, "missing value"))
    if row.get("id") and not _ID.match(row["id"]):
        problems.append(("id", f"not a usable id {row['id']!r} (letters, digits, . _ : - ; at most 64)"))
    for column in ("sending", "host"):
        if row.get(column) and (p := _state_problem(row[column])):
            problems.append((column, p))
    if row.get("kind") and row["kind"] not in MISSION_KINDS:
        close = get_close_matches(row["kind"].lower().replace(" ", "-"), MISSION_KINDS, n=1)
        problems.append(("kind", f"unknown kind {row['kind']!r}"
                         + (f" (did you mean {close[0]}?)" if close
                            else f"; one of {', '.join(MISSION_KINDS)}")))
    if row.get("kind") in AUTHORITY_KINDS and row.get("sending") and row.get("host") \
            and row["sending"].upper() != row["host"].upper():
        problems.append(("host", f"a {row['kind']} is in its own state: host should be {row['sending'].upper()}"))
    if len(row.get("name") or "") > 200 or "\n" in (row.get("name") or ""):
        problems.append(("name", "a name is one line of at most 200 characters (the addressee's first line)"))
    if row.get("email") and (p := check_email(row["email"])):
        problems.append(("email", p))
    if row.get("area") and row.get("host") and (p := _area_problem(row["host"], row["area"])):
        problems.append(("area", p))
    for column in ("website", "web_form"):
        if row.get(column) and (p := check_url(row[column])):
            problems.append((column, p))
    for column, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if row.get(column):
            try:
                if abs(float(row[column])) > bound:
                    raise ValueError
            except ValueError:
                problems.append((column, f"not a {column} {row[column]!r} "
                                         f"(a number from -{bound:g} to {bound:g})"))
    for code in (row.get("accredited_to") or "").split():
        if p := _state_problem(code):
            problems.append(("accredited_to", p))
    for code in (row.get("languages") or "").replace(",", " ").split():
        if not _valid_language(code):
            problems.append(("languages", f"unknown language code {code!r} (use codes such as fr, en, ar)"))
    if row.get("verified_on"):
        try:
            date.fromisoformat(row["verified_on"])
        except ValueError:
            problems.append(("verified_on", f"not a date {row['verified_on']!r} (use YYYY-MM-DD)"))
    for name in (row.get(EDITED) or "").split():
        if name not in EDITABLE:
            problems.append((EDITED, f"not an editable field {name!r}; one of {', '.join(EDITABLE)}"))
    return problems


def _area_problem(host: str, area: str) -> str | None:
    """An area the host's postal format does not know (where it lists its areas): a typo to catch."""
    from plea.postal import area_key, rules

    choices = rules(host.upper()).areas
    if not choices or area_key(host.upper(), area):
        return None
    close = get_close_matches(area, [name for _, name in choices] + [key for key, _ in choices], n=1)
    return f"unknown area {area!r} for {host.upper()}" + (f" (did you mean {close[0]}?)" if close else "")


def normalise(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if EDITED in row:
        values[EDITED] = " ".join(sorted(set(row[EDITED].split())))
    for column in COLUMNS:
        if column not in row:
            continue
        v = row[column]
        if column in ("sending", "host"):
            v = v.upper()
        elif column == "accredited_to":
            v = " ".join(dict.fromkeys(c.upper() for c in v.split()))
        elif column == "languages":
            v = " ".join(dict.fromkeys(c.lower() for c in v.replace(",", " ").split()))
        elif column == "email":
            v = v.removeprefix("mailto:")
        elif column == "area" and row.get("host"):
            from plea.postal import area_key

            v = area_key(row["host"].upper(), v) or v  # "District of Columbia", "d.c." → DC
        if column in ("latitude", "longitude"):
            values[column] = float(v) if v else None
        elif column == "verified_on":
            values[column] = date.fromisoformat(v) if v else None
        else:
            values[column] = v
    return values
