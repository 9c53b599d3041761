"""The columns of `plea cases import/export` that are not fields of the case row itself: the story's
translations (`persecution_<lang>`, one column per language) and the consent in force
(`consent_date`, `consent_states`, `consent_channels`, `consent_share_story`, `consent_expires`).

- A `persecution_<lang>` cell holds a person's translation; an empty cell removes that translation
  (as an empty cell clears a field). Its language may not be the original's (`persecution_lang`).
- Consent cells describe the consent in force. Import records a new consent only when they differ from
  the latest one (importing the same sheet twice records nothing); empty consent cells change nothing:
  a consent record is history, never removed by a sheet. With any consent cell filled, consent_date is
  required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

STORY_COLUMN = re.compile(r"^persecution_([a-z]{2,3})$")
CONSENT_COLUMNS = [
    "consent_date",
    "consent_states",
    "consent_channels",
    "consent_share_story",
    "consent_expires",
]
_YES = {"yes", "y", "true", "1", "oui", "ja", "да"}
_NO = {"no", "n", "false", "0", "non", "nein", "нет"}


@dataclass(frozen=True)
class ConsentCells:
    given_on: date
    expires_on: date | None
    states: str
    channels: str  # space-separated, as stored
    share_story: bool


def is_extra(column: str) -> bool:
    return column in CONSENT_COLUMNS or bool(STORY_COLUMN.match(column))


def pop_stories(values: dict[str, Any]) -> dict[str, str]:
    """Pop the persecution_<lang> cells: {lang: text ("" to remove)}."""
    from plea.text import clean

    return {
        STORY_COLUMN.match(c).group(1): clean(str(values.pop(c) or "")).strip()  # type: ignore[union-attr]
        for c in [c for c in values if STORY_COLUMN.match(c)]
    }


def check_stories(stories: dict[str, str], original: str) -> list[str]:
    problems = []
    for lang, text in stories.items():
        column = f"persecution_{lang}"
        if lang == original and text:
            problems.append(
                f"{column}: {lang} is the language of the original story (put it in the persecution "
                "column, or set persecution_lang to the original's language)"
            )
    return problems


def _share(cell: str) -> bool:
    word = cell.strip().lower()
    if word in _YES or not word:
        return True
    if word in _NO:
        return False
    raise ValueError(f"{cell!r} is not yes or no")


def take_consent(
    values: dict[str, Any], order: str | None, today: date
) -> tuple[ConsentCells | None, list[str]]:
    """Pop the consent_* cells: (the consent they describe, or None when all are empty; problems)."""
    from plea.consent import check_channels
    from plea.csvio import iso_date
    from plea.errors import InvalidInput, NotFound
    from plea.recipients import parse_to

    cells = {c: str(values.pop(c) or "").strip() for c in CONSENT_COLUMNS if c in values}
    if not any(cells.values()):
        return None, []
    problems = []

    def day(column: str) -> date | None:
        if not cells.get(column):
            return None
        try:
            return date.fromisoformat(iso_date(cells[column], order))
        except ValueError as exc:
            problems.append(f"{column}: {exc}")
            return None

    given, expires = day("consent_date"), day("consent_expires")
    if given is None and not cells.get("consent_date"):
        problems.append(
            "consent_date: the day the consent was given is needed with the other consent columns"
        )
    if given and given > today:
        problems.append(f"consent_date: {given.isoformat()} is in the future")
    if given and expires and expires < given:
        problems.append(f"consent_expires: {expires.isoformat()} is before the day it was given")
    states = cells.get("consent_states") or "all"
    try:
        parse_to(states)
    except (NotFound, InvalidInput) as exc:
        problems.append("consent_states: " + exc.message.removeprefix("--to: "))
    try:
        channels = " ".join(check_channels(cells.get("consent_channels", "")))
    except InvalidInput as exc:
        problems.append("consent_channels: " + exc.message.removeprefix("--channels: "))
        channels = ""
    try:
        share = _share(cells.get("consent_share_story", ""))
    except ValueError as exc:
        problems.append(f"consent_share_story: {exc}")
        share = True
    if problems or given is None:
        return None, problems
    return ConsentCells(given, expires, states, channels, share), []


def _latest(session: Any, case: Any) -> Any:
    from sqlmodel import col, select

    from plea.db.models import Consent

    if case is None or case.id is None:
        return None
    return session.exec(
        select(Consent).where(Consent.case_id == case.id).order_by(col(Consent.id).desc())
    ).first()


def consent_differs(session: Any, case: Any, cells: ConsentCells | None) -> bool:
    if cells is None:
        return False
    now = _latest(session, case)
    return now is None or (now.given_on, now.expires_on, now.states, now.channels, bool(now.share_story)) != (
        cells.given_on,
        cells.expires_on,
        cells.states,
        cells.channels,
        cells.share_story,
    )


def stories_differ(case: Any, stories: dict[str, str]) -> bool:
    have = (case.stories or {}) if case is not None else {}
    return any((have.get(lang, {}).get("text", "") != text) for lang, text in stories.items())


def apply(
    session: Any, case: Any, stories: dict[str, str], cells: ConsentCells | None, *, actor: str, today: date
) -> bool:
    """Write a row's translations and consent (each with its history event); whether anything changed."""
    from plea import consent
    from plea.stories import remove_story, set_story

    changed = False
    for lang, text in sorted(stories.items()):
        if text:
            changed |= set_story(session, case, lang=lang, text=text, actor=actor)
        elif lang in (case.stories or {}):
            remove_story(session, case, lang=lang, actor=actor)
            changed = True
    if cells is not None and consent_differs(session, case, cells):
        consent.record(
            session,
            case,
            given_on=cells.given_on,
            expires_on=cells.expires_on,
            states=cells.states,
            channels=cells.channels,
            share_story=cells.share_story,
            document=None,
            actor=actor,
            today=today,
        )
        changed = True
    return changed


def export_cells(session: Any, case: Any, langs: list[str]) -> dict[str, str]:
    """A case's translations (one column per language in `langs`) and its consent in force."""
    row = {f"persecution_{lang}": (case.stories or {}).get(lang, {}).get("text", "") for lang in langs}
    now = _latest(session, case)
    row |= {
        "consent_date": now.given_on.isoformat() if now else "",
        "consent_states": now.states if now else "",
        "consent_channels": ",".join(now.channels.split()) if now else "",
        "consent_share_story": ("yes" if now.share_story else "no") if now else "",
        "consent_expires": now.expires_on.isoformat() if now and now.expires_on else "",
    }
    return row
