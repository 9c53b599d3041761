"""States: ISO 3166-1 alpha-2 codes, their names (Babel/CLDR), the UN member list, and
turning what a person typed ("France", "Frankreich", "fr", "Frnace") into a code."""

from __future__ import annotations

import csv
import unicodedata
from difflib import get_close_matches
from functools import lru_cache

from plea.errors import NotFound
from plea.resources import data_dir

#: codes CLDR lists that are not states (continents, unions, unknown region)
_NOT_STATES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}


@lru_cache(maxsize=1)
def un_members() -> dict[str, str]:
    """alpha-2 → English name, for the 193 UN member states (data/un_member_states.csv)."""
    with open(data_dir() / "un_member_states.csv", encoding="utf-8", newline="") as fh:
        return {row["iso2"]: row["name_en"] for row in csv.DictReader(fh)}


@lru_cache(maxsize=8)
def territory_names(lang: str = "en") -> dict[str, str]:
    from babel import Locale

    names = Locale.parse(lang).territories
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha() and code not in _NOT_STATES}


def is_code(code: str) -> bool:
    return code.upper() in territory_names("en")


def name(code: str, lang: str = "en") -> str:
    code = code.upper()
    if lang == "en" and code in un_members():  # CLDR's English names, without loading Babel (start-up)
        return un_members()[code]
    return territory_names(lang).get(code) or territory_names("en").get(code, code)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("&", "and").strip()


@lru_cache(maxsize=16)
def _index(langs: tuple[str, ...], aliases_too: bool = True) -> dict[str, str]:
    index: dict[str, str] = {}
    for lang in langs:
        for code, nm in territory_names(lang).items():
            index.setdefault(_fold(nm), code)
    for code in territory_names("en"):
        index[_fold(code)] = code
    if aliases_too:
        for alias, code in aliases().items():
            index.setdefault(_fold(alias), code)
    return index


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Names people type that are not CLDR's names: CLDR's own territory aliases (UK, USA, GBR … from
    Babel's supplemental data) and data/state_aliases.csv (UAE, DRC …, each with its source)."""
    from babel.core import get_global

    known = territory_names("en")
    out = {alias: targets[0] for alias, targets in get_global("territory_aliases").items()
           if alias.isalpha() and len(targets) == 1 and targets[0] in known}
    path = data_dir() / "state_aliases.csv"
    if path.exists():
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                code = row["state"].strip().upper()
                if code in known:
                    out[row["alias"].strip()] = code
    return out


def suggest(text: str, langs: tuple[str, ...] = ("en",)) -> list[str]:
    """Close names and codes (not aliases: a near-miss of an alias such as FX or ZR suggests nonsense)."""
    index = _index(langs, False)
    matches = get_close_matches(_fold(text), list(index), n=3, cutoff=0.6)
    seen: list[str] = []
    for m in matches:
        code = index[m]
        label = f"{code} ({name(code)})"
        if label not in seen:
            seen.append(label)
    return seen


def member_code(text: str) -> str | None:
    """The code of a UN member state written as its code ("us", "FR"), else None: what resolve()
    answers for it, without loading Babel's names (start-up speed)."""
    key = _fold(text)
    return key.upper() if len(key) == 2 and key.upper() in un_members() else None


def resolve(text: str, langs: tuple[str, ...] = ("en",), *, what: str = "state") -> str:
    """An alpha-2 code for a code or a name in one of langs; NotFound with suggestions."""
    key = _fold(text)
    index = _index(tuple(dict.fromkeys(("en", *langs))))
    if key in index:
        return index[key]
    close = suggest(text, tuple(dict.fromkeys(("en", *langs))))
    hint = f"did you mean {' or '.join(close)}?" if close else "use an ISO 3166 alpha-2 code such as FR"
    raise NotFound(f"unknown {what} {text!r}", hint=hint)


def named(text: str, langs: tuple[str, ...] = ("en", "fr", "de", "es", "ru")) -> str:
    """The state a line of an address names ("France", "USA", "Deutschland"), else "": names and
    aliases of three letters or more only, so that a US state's code ("IL", "CA") is never a country."""
    key = _fold(text).rstrip(".")
    if len(key) < 3:
        return ""
    return _index(tuple(dict.fromkeys(("en", *langs)))).get(key, "")


def user_langs() -> tuple[str, ...]:
    """The user's language(s) from the environment, for reading state names they type."""
    import os

    langs = []
    for var in ("PLEA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        code = value.split(".")[0].split("_")[0].lower()
        if code and code not in ("c", "posix") and code.isalpha():
            langs.append(code)
    from babel import Locale, UnknownLocaleError

    valid = []
    for code in dict.fromkeys([*langs, "en"]):
        try:
            Locale.parse(code)
            valid.append(code)
        except (UnknownLocaleError, ValueError):
            continue
    return tuple(valid)
