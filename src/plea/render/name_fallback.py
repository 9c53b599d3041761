"""The forms of a state's name that data/state_names/ lacks, built from its short and official names in
constructions that stay grammatical without knowing the name's gender or case.

- A head noun whose gender is known fixes the article: the official name "République du Kazakhstan"
  gives "de la République du Kazakhstan", "Республика Казахстан" gives "Республики Казахстан".
- Otherwise the name stays in the nominative after a noun in apposition ("des Staates X",
  "государства X", "państwa X") or after a preposition alone ("de X", "في X").

The words (head nouns, articles, prepositions, word lists) are in data/state_names/grammar.json, read
once by plea.render.name_grammar; this module holds the rules that use them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from plea.render.name_grammar import Table, grammar, table

Forms = dict[str, str]


def _all(nom: str, formal: str, gen: str, in_: str, to: str, mission: str | None = None) -> Forms:
    return {
        "nom": nom,
        "formal": formal,
        "gen": gen,
        "in": in_,
        "to": to,
        "mission": gen if mission is None else mission,
    }


def _head(formal: str, heads: Table) -> tuple[Any, str] | None:
    """(the head noun's grammar, the rest) when the official name starts with a known head noun."""
    for head, words in heads.items():
        if formal.startswith(head + " "):
            return words, formal[len(head) :]
    return None


def _before(words: Table, short: str, formal: str) -> Forms:
    """Each form's words (articles or prepositions ending in their space) written before the short name."""
    mission = words["mission"] + short if "mission" in words else None
    return _all(
        words["nom"] + short,
        formal or short,
        words["gen"] + short,
        words["in"] + short,
        words["to"] + short,
        mission,
    )


def _initial_in(name: str, letters: str) -> bool:
    return name[:1] != "" and name[0] in letters


@lru_cache(maxsize=32)
def _words(lang: str, name: str) -> tuple[str, ...]:
    """A word list of grammar.json as a tuple (what str.startswith and str.endswith take)."""
    return tuple(table(lang, name)["words"])


@lru_cache(maxsize=1)
def _the_en() -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(word) for word in _words("en", "the_words")) + r")\b")


def english(short: str, formal: str) -> Forms:
    words = table("en", "words")
    the, of = words["the"], words["gen"]
    nom = f"{the} {short}" if _the_en().search(short) else short
    takes_the = _the_en().search(formal) or f" {of} " in formal
    full = f"{the} {formal}" if formal and takes_the else formal or nom
    return _all(nom, full, f"{of} {nom}", f"{words['in']} {nom}", f"{words['to']} {nom}")


def _apposition(lang: str) -> Callable[[str, str], Forms]:
    """German, Russian, Polish: the head noun in the genitive before the rest of the official name, else
    a noun in apposition before the short name in the nominative ("des Staates X")."""

    def build(short: str, formal: str) -> Forms:
        head = _head(formal, table(lang, "heads"))
        adjective = "adjective_endings" in grammar()[lang] and _words(lang, "adjective_endings")
        if head and adjective and head[1].split()[0].endswith(adjective):
            head = None  # "Republika Włoska": the adjective declines too (Polish)
        words = table(lang, "apposition")
        gen = f"{head[0]}{head[1]}" if head else f"{words['gen']} {short}"
        return _all(short, formal or short, gen, f"{words['in']} {short}", f"{words['to']} {short}")

    return build


def _headed(short: str, formal: str, heads: Table) -> Forms | None:
    """A Romance official name (or short name) that starts with a known head noun, with its articles."""
    if _head(short, heads):  # "República Dominicana": the short name is itself headed
        formal = short
    head = _head(formal, heads)
    if not head:
        return None
    articles = head[0]
    return _all(short, formal, articles["gen"] + formal, articles["in"] + formal, articles["to"] + formal)


def _romance(lang: str) -> Callable[[str, str], Forms]:
    """Spanish, Italian, Portuguese: the official name with its head noun's articles, else a preposition
    before the short name (Italian: elided before a vowel, "d’Austria")."""

    def build(short: str, formal: str) -> Forms:
        headed = _headed(short, formal, table(lang, "heads"))
        if headed:
            return headed
        words = table(lang, "prepositions")
        vowels = table(lang, "initials")["vowels"] if "gen_elided" in words else ""
        if vowels and _initial_in(short, vowels):
            gen = words["gen_elided"] + short
        else:
            gen = f"{words['gen']} {short}"
        return _all(short, formal or short, gen, f"{words['in']} {short}", f"{words['to']} {short}")

    return build


def french(short: str, formal: str) -> Forms:
    bare = _french_bare(short, formal)
    heads = table("fr", "heads")
    headed = _headed(short, formal, heads) if _head(formal, heads) else None
    if headed:
        headed["nom"], headed["mission"] = bare["nom"], bare["mission"]  # "Ambassade d’Autriche"
        return headed
    return bare


def _french_bare(short: str, formal: str) -> Forms:
    """The rules of French usage for a name without a known head (README: Fallback)."""
    articles, initials = table("fr", "articles"), table("fr", "initials")
    head = _head(short, table("fr", "heads"))
    if head:  # a short name that is itself "République centrafricaine", "République du Congo"
        return _before(head[0], short, formal)
    if short in _words("fr", "no_article"):  # island and city states: "Ambassade de Madagascar", "à Monaco"
        words = dict(articles["no_article"])
        if _initial_in(short, initials["vowels"] + initials["elide_also_before"]):
            words["gen"] = words["gen_elided"]
        return _before(words, short, formal)
    if short.startswith(_words("fr", "island_prefixes")):  # les Îles Marshall, les Îles Salomon
        return _before(articles["plural"], short, formal)
    if _initial_in(short, initials["vowels"]):  # vowel-initial names take "en" whatever their gender
        return _before(articles["vowel"], short, formal)
    if short.startswith(_words("fr", "saint_prefixes")):  # island states named after a saint: no article
        return _before(articles["saint"], short, formal)
    if short.endswith(_words("fr", "plural_endings")) and short not in _words("fr", "singular_in_s"):
        return _before(articles["plural"], short, formal)  # les Seychelles, les Comores, les Bahamas
    first = re.split(r"[ -]", short)[0]  # the gender is the first word's: "Corée du Sud", "Guinée-Bissau"
    if (first.endswith("e") and first not in _words("fr", "masculine_e")) or first in _words(
        "fr", "feminine_first_words"
    ):
        return _before(articles["feminine"], short, formal)
    return _before(articles["masculine"], short, formal)


def arabic(short: str, formal: str) -> Forms:
    words = table("ar", "prepositions")
    return _all(short, formal or short, short, f"{words['in']} {short}", f"{words['to']} {short}")


def uninflected(short: str, formal: str) -> Forms:
    return _all(short, formal or short, short, short, short)


def turkish(short: str, formal: str) -> Forms:
    """Locative and dative after the apostrophe Turkish writes after proper names, by vowel harmony;
    a compound whose last word carries the possessive (Cumhuriyeti, Devletleri) takes the buffer n."""
    letters, harmony = table("tr", "letters"), table("tr", "harmony")
    vowels = [ch for ch in short if ch in letters["vowels"]]
    a = harmony["back"] if not vowels or vowels[-1] in letters["back_vowels"] else harmony["front"]
    last = short[-1]
    if " " in short and last in letters["possessive_endings"]:
        kind = "compound"
    elif last in letters["vowels"]:
        kind = "vowel"
    else:
        kind = "voiceless" if last in letters["voiceless"] else "voiced"
    suffixes = table("tr", "suffixes")[kind]
    loc, dat = (suffixes[case].replace("{a}", a) for case in ("in", "to"))
    return _all(short, formal or short, short, short + loc, short + dat)


BUILDERS: dict[str, Callable[[str, str], Forms]] = {
    "en": english,
    "de": _apposition("de"),
    "ru": _apposition("ru"),
    "pl": _apposition("pl"),
    "fr": french,
    "it": _romance("it"),
    "es": _romance("es"),
    "pt": _romance("pt"),
    "ar": arabic,
    "zh": uninflected,
    "ja": uninflected,
    "tr": turkish,
}


def forms(lang: str, short: str, formal: str) -> Forms:
    return BUILDERS.get(lang, uninflected)(short, formal)
