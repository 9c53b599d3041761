"""Groups of states for --to (`@eu`, `@un`, `@cis` …): data/groups.csv, each membership with its source.

A group is data like every other fact plea ships: one row per member state, with the URL of the page
that states the membership and the day it was read (data/README.md says how each group was checked).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from plea.resources import data_dir

COLUMNS = ("group", "state", "source_url", "source_title", "retrieved")


@dataclass(frozen=True)
class Group:
    name: str
    members: tuple[str, ...]
    source_url: str
    source_title: str
    retrieved: str


@lru_cache(maxsize=1)
def groups() -> dict[str, Group]:
    """Every shipped group by its lower-case name (without '@'), members in the file's order."""
    path = data_dir() / "groups.csv"
    members: dict[str, list[dict[str, str]]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            from plea.errors import InvalidInput

            raise InvalidInput(f"{path}:1: the header should be {','.join(COLUMNS)}",
                               hint="reinstall plea: its data files are damaged")
        for row in reader:
            members.setdefault(row["group"].strip().lower(), []).append(row)
    out = {}
    for name, rows in members.items():
        first = rows[0]
        out[name] = Group(name, tuple(dict.fromkeys(r["state"].strip().upper() for r in rows)),
                          first["source_url"], first["source_title"], first["retrieved"])
    return out


def names() -> list[str]:
    return sorted(groups())


def members(name: str) -> tuple[str, ...]:
    return groups()[name.lower()].members
