"""Which paper a letter is printed on, by the host state of its mission: US Letter where Unicode
CLDR says it is the usual paper (data/paper_sizes.json, with its source), A4 everywhere else.
Loads nothing heavy: planning a batch needs it, rendering one does not."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from plea.errors import InvalidInput


@lru_cache(maxsize=1)
def letter_paper_states() -> frozenset[str]:
    from plea.resources import data_dir

    path = data_dir() / "paper_sizes.json"
    try:
        codes = json.loads(path.read_text(encoding="utf-8"))["letter"]
        if not isinstance(codes, list) or not all(isinstance(c, str) and re.fullmatch("[A-Z]{2}", c)
                                                  for c in codes):
            raise ValueError('"letter" must be a list of two-letter state codes')
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: {exc}",
                           hint="reinstall plea: its data files are damaged") from None
    return frozenset(codes)


def paper_for_host(host: str) -> str:
    """"letter" for a mission in a state that uses US Letter paper, else "a4"."""
    return "letter" if host.upper() in letter_paper_states() else "a4"
