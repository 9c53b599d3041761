"""The one file-name rule of written letters: REF_STATE-HOST_LETTER_LANG (file_stem), and each
case's stems with the mission id added where two would clash."""

from __future__ import annotations

from collections import Counter

from plea.db.models import Case
from plea.fileio import safe_name
from plea.recipients import Recipient


def file_stem(ref: str, state: str, host: str, letter: str, lang: str) -> str:
    """The one file-name rule: REF_STATE-HOST_LETTER_LANG (reference, sending state, the state
    the mission is in, letter, language; never a person's name), made safe."""
    return safe_name(f"{ref}_{state}-{host}_{letter}_{lang}")


def stems(case: Case, found: list[Recipient], letter: str) -> dict[str, str]:
    """mission id → file stem (file_stem); the mission id is added where two would clash."""
    base = {r.mission.id: file_stem(case.ref, r.state, r.mission.host, letter, r.lang) for r in found}
    clashes = Counter(base.values())
    return {mid: stem if clashes[stem] == 1 else safe_name(f"{stem}_{mid}") for mid, stem in base.items()}
