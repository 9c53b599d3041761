"""Tracking numbers of posted letters: the post office's article number, recorded with the sending.

One number for one state (`letters sent --to FR --tracking RR123456785FR`), or a CSV of many
(`--tracking-file`: columns `state` or `mission`, and `tracking`). A number already recorded for another
letter is refused: two letters never share one article number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from plea.errors import Conflict, InvalidInput

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{2,62}[A-Za-z0-9]$")


def check(number: str) -> str | None:
    """What is wrong with a tracking number, or None."""
    if not _NUMBER.match(number.strip()):
        return f"{number!r} is not a tracking number (4 to 64 letters, digits, spaces or hyphens)"
    return None


def normal(number: str) -> str:
    return re.sub(r"[\s-]+", "", number.strip()).upper()


def read_file(path: Path) -> dict[str, str]:
    """state or mission id → tracking number, from a CSV; InvalidInput with FILE:LINE: column: problem,
    nothing recorded, when any row is bad."""
    from plea import states
    from plea.csvio import read_sheet

    sheet = read_sheet(path)
    header = [h.strip().lower() for h in sheet.header]
    key = "state" if "state" in header else "mission" if "mission" in header else None
    if key is None or "tracking" not in header:
        raise InvalidInput(f"{path}:1: the columns should be state (or mission) and tracking",
                           hint="e.g. state,tracking / France,RR123456785FR")
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    problems = []
    for line, raw in sheet.rows:
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items()}
        target, number = row.get(key, ""), row.get("tracking", "")
        if key == "state" and target:
            try:
                target = states.resolve(target, states.user_langs())
            except Exception as exc:  # NotFound: said per line
                problems.append(f"{path}:{line}: state: {getattr(exc, 'message', exc)}")
                continue
        if not target:
            problems.append(f"{path}:{line}: {key}: empty")
            continue
        if bad := check(number):
            problems.append(f"{path}:{line}: tracking: {bad}")
            continue
        n = normal(number)
        if n in seen:
            problems.append(f"{path}:{line}: tracking: {number} is given twice (also on line {seen[n]})")
        elif target in out:
            problems.append(f"{path}:{line}: {key}: {target} is given twice")
        seen.setdefault(n, line)
        out[target] = n
    if problems:
        raise InvalidInput(f"{path}: {len(problems)} problem(s); nothing was recorded", problems=problems)
    return out


def refuse_reuse(session: Any, numbers: dict[int, str]) -> None:
    """Conflict when a number is already recorded for another letter (letter id → number)."""
    from sqlmodel import col, select

    from plea.db.models import Letter, LetterEvent

    if not numbers:
        return
    taken = session.exec(select(LetterEvent.letter_id, LetterEvent.tracking, Letter.case_id)
                         .join(Letter, col(Letter.id) == LetterEvent.letter_id)
                         .where(col(LetterEvent.tracking).in_(list(numbers.values())))).all()
    clashes = sorted({number for lid, number, _ in taken if numbers.get(lid) != number})
    if clashes:
        raise Conflict(f"tracking number {', '.join(clashes)} is already recorded for another letter",
                       hint="check the number on the receipt; nothing was recorded")
