"""Babel's locale data for letters: dates, state names, plural forms, official languages."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date

RTL_LANGS = {"ar", "he", "fa", "ur"}
EAST_ASIAN_LANGS = {"zh", "ja", "ko"}


@lru_cache(maxsize=64)
def locale(lang: str) -> Locale:
    return Locale.parse(lang.replace("-", "_"))


def long_date(value: date, lang: str) -> str:
    return format_date(value, "long", locale=locale(lang))


def state_name(code: str, lang: str) -> str:
    """A state's name in the letter's language (CLDR), e.g. FR in de → Frankreich."""
    if not code:
        return ""
    return locale(lang).territories.get(code.upper()) or locale("en").territories.get(code.upper(), code)


def english_state_name(code: str) -> str:
    return state_name(code, "en")


def language_name(lang: str, in_lang: str = "en") -> str:
    return locale(in_lang).languages.get(lang, lang)


def plural(lang: str, n: int, forms: dict[str, Any]) -> str:
    """Pick the CLDR plural form for n: forms by category (zero one two few many other)."""
    category = locale(lang).plural_form(n)
    if category in forms:
        return str(forms[category])
    if "other" in forms:
        return str(forms["other"])
    raise ValueError(f"plural(): no form for category {category!r} (give other=…)")


#: an official language spoken by less of the population than this is not chosen for a letter
MIN_POPULATION_PERCENT = 25.0


def official_languages(state: str) -> tuple[str, ...]:
    """The state's official languages in CLDR, most widely spoken first, leaving out those
    spoken by under a quarter of the population (Turkish in Cyprus, Arabic in Israel,
    Russian in Belarus) and regional ones. De facto official languages count only where a
    state has no de jure one (English in the US): Russian is not chosen for Ukraine.
    A script CLDR names stays in the code (sr-Latn, zh-Hant): `candidates` falls back to the
    language alone when no template is written in that script."""
    from babel.core import get_global

    info = get_global("territory_languages").get(state.upper(), {})

    def pick(statuses: tuple[str, ...]) -> list[str]:
        langs = [(lang, d) for lang, d in info.items() if d.get("official_status") in statuses
                 and float(d.get("population_percent") or 0) >= MIN_POPULATION_PERCENT]
        langs.sort(key=lambda item: -float(item[1].get("population_percent") or 0))
        return [lang.replace("_", "-") for lang, _ in langs]  # the script kept: sr-Latn for Montenegro

    return tuple(dict.fromkeys(pick(("official",)) or pick(("de_facto_official",))))


def candidates(code: str) -> tuple[str, ...]:
    """The template languages to try for a language code, most specific first: sr-Latn, then sr."""
    code = code.replace("_", "-")
    return tuple(dict.fromkeys((code, code.split("-")[0])))
