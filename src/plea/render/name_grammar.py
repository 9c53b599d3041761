"""data/state_names/grammar.json: the words and word lists plea.render.name_fallback builds a state's
name forms with, read once and checked against the shape below (a broken file is one clear error).

Each table in the file is an object with an "_about" that says what it holds; the tables returned here
leave "_about" out.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

Table = dict[str, Any]

_ARTICLES = ("nom", "gen", "in", "to")

#: language → table → its shape: "words" (a list of strings under "words"), "strings" (words by key),
#: "articles" (per key, an object of strings with nom, gen, in, to), or a tuple of the keys a "strings"
#: table must have
_SHAPE: dict[str, dict[str, str | tuple[str, ...]]] = {
    "en": {"the_words": "words", "words": ("the", "gen", "in", "to")},
    "de": {"heads": "strings", "apposition": ("gen", "in", "to")},
    "ru": {"heads": "strings", "apposition": ("gen", "in", "to")},
    "pl": {"heads": "strings", "adjective_endings": "words", "apposition": ("gen", "in", "to")},
    "fr": {
        "heads": "articles",
        "no_article": "words",
        "island_prefixes": "words",
        "saint_prefixes": "words",
        "plural_endings": "words",
        "singular_in_s": "words",
        "masculine_e": "words",
        "feminine_first_words": "words",
        "initials": ("vowels", "elide_also_before"),
        "articles": "articles",
    },
    "it": {"heads": "articles", "prepositions": ("gen", "gen_elided", "in", "to"), "initials": ("vowels",)},
    "es": {"heads": "articles", "prepositions": ("gen", "in", "to")},
    "pt": {"heads": "articles", "prepositions": ("gen", "in", "to")},
    "ar": {"prepositions": ("in", "to")},
    "tr": {
        "letters": ("vowels", "back_vowels", "voiceless", "possessive_endings"),
        "harmony": ("back", "front"),
        "suffixes": "suffixes",
    },
}
#: the sets of articles the French rules and the Turkish suffixes name
_SETS = {
    ("fr", "articles"): ("no_article", "plural", "vowel", "saint", "feminine", "masculine"),
    ("tr", "suffixes"): ("compound", "vowel", "voiceless", "voiced"),
}


def path() -> Path:
    from plea.resources import data_dir

    return data_dir() / "state_names" / "grammar.json"


@lru_cache(maxsize=1)
def grammar() -> dict[str, dict[str, Table]]:
    """language → table name → table, from data/state_names/grammar.json."""
    from plea.errors import InvalidInput, NotFound

    file = path()
    hint = "data/state_names/README.md describes the file; reinstall plea to restore the shipped one"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"{file}: missing from the installation", hint=hint) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{file}: not valid JSON ({exc})", hint=hint) from None
    problems = _problems(data)
    if problems:
        raise InvalidInput(f"{file}: {problems[0]}", problems=problems[1:], hint=hint)
    return {
        lang: {name: _without_about(data[lang][name]) for name in tables} for lang, tables in _SHAPE.items()
    }


def table(lang: str, name: str) -> Table:
    return grammar()[lang][name]


def _without_about(table: Table) -> Table:
    return {key: value for key, value in table.items() if key != "_about"}


def _problems(data: Any) -> list[str]:  # noqa: ANN401 - any JSON
    if not isinstance(data, dict):
        return ["the file must hold one object, by language"]
    problems = []
    for lang, tables in _SHAPE.items():
        if not isinstance(data.get(lang), dict):
            problems.append(f"{lang}: missing (an object of tables: {', '.join(tables)})")
            continue
        for name, shape in tables.items():
            found = data[lang].get(name)
            if not isinstance(found, dict) or not isinstance(found.get("_about"), str):
                problems.append(f'{lang}.{name}: missing, or not an object with its "_about"')
                continue
            problems += [
                f"{lang}.{name}: {p}"
                for p in _table_problems(_without_about(found), shape, _SETS.get((lang, name), ()))
            ]
    return problems


def _table_problems(table: Table, shape: str | tuple[str, ...], sets: tuple[str, ...]) -> list[str]:
    def strings(value: Any, keys: tuple[str, ...] = ()) -> bool:  # noqa: ANN401
        return (
            isinstance(value, dict)
            and all(isinstance(v, str) for v in value.values())
            and all(k in value for k in keys)
        )

    if shape == "words":
        words = table.get("words")
        ok = isinstance(words, list) and all(isinstance(w, str) and w for w in words)
        return [] if ok else ['needs "words": a list of non-empty strings']
    if isinstance(shape, tuple):
        return [] if strings(table, shape) else [f"needs the strings {', '.join(shape)} (and strings only)"]
    if shape == "strings":
        return [] if strings(table) else ["its values must be strings"]
    keys = _ARTICLES if shape == "articles" else ("in", "to")
    problems = [
        f'"{k}" needs the strings {", ".join(keys)}' for k, v in table.items() if not strings(v, keys)
    ]
    return problems + [f'"{k}" is missing' for k in sets if k not in table]
