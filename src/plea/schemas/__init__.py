"""The JSON Schemas (draft 2020-12) of plea's `--json` outputs, one file a command: NAME.schema.json,
NAME being the command's words joined by "-" (`plea embassies list --json` → embassies-list). Read
with importlib.resources, so they work from a wheel as from a checkout."""

from __future__ import annotations

import json
from difflib import get_close_matches
from importlib.resources import files
from typing import Any

SUFFIX = ".schema.json"


def names() -> list[str]:
    """Every schema's name, sorted."""
    return sorted(f.name[: -len(SUFFIX)] for f in files(__name__).iterdir() if f.name.endswith(SUFFIX))


def name_for(command: list[str] | tuple[str, ...]) -> str:
    """The schema name of a command, given its words: ("db", "status") → db-status."""
    return "-".join(command)


def text(name: str) -> str:
    """The schema NAME as shipped (JSON text)."""
    from plea.errors import NotFound

    known = names()
    if name not in known:
        close = get_close_matches(name, known, n=3, cutoff=0.6)
        guess = " or ".join([", ".join(close[:-1]), close[-1]] if len(close) > 1 else close)
        raise NotFound(f"no schema named {name!r}",
                       hint=(f"did you mean {guess}? " if close else "") + "see `plea schema list`")
    return files(__name__).joinpath(name + SUFFIX).read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """The schema NAME, parsed."""
    found: dict[str, Any] = json.loads(text(name))
    return found
