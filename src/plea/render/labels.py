"""Words a letter prints from the case's own data, in the letter's language: family relations
("wife" → "épouse"), the kinds of identity documents ("Passport" → "Reisepass"), and which of
the applicant's names a letter uses (the native-script name in a letter of the same script).
The words are in data/letter_labels.json.

Only words known here are translated; anything else is printed as the user typed it (never
guessed, never machine-translated). Keys are English, compared without case or extra spaces.
The translations were written and checked by hand (see the README section on letters).
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, Any]]:
    """data/letter_labels.json: relations and identity documents by their English key, per language,
    with the other English words people type for them (aliases)."""
    from plea.resources import data_dir

    with open(data_dir() / "letter_labels.json", encoding="utf-8") as fh:
        return dict(json.load(fh))


#: the script each letter language is written in
LANG_SCRIPT = {"ru": "cyrillic", "ar": "arabic", "zh": "han", "ja": "japanese", "uk": "cyrillic",
               "sr": "cyrillic", "kk": "cyrillic", "he": "hebrew", "ka": "georgian", "hy": "armenian"}
# the rest: latin (sr-Latn too)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def relation(word: str, lang: str) -> str:
    """A family relation in the letter's language; unknown words as typed."""
    key = _key(word)
    key = _tables()["relation_aliases"].get(key, key)
    return str(_tables()["relations"].get(key, {}).get(lang, word)) if lang != "en" else word


def relation_key(word: str) -> str:
    """The English key of a known relation ("Brother " → "brother"), or "" for free text."""
    key = _key(word or "")
    key = _tables()["relation_aliases"].get(key, key)
    return key if key in _tables()["relations"] else ""


def id_label(label: str, lang: str) -> str:
    """An identity document's label in the letter's language; unknown labels as typed."""
    key = _key(label)
    key = _tables()["id_aliases"].get(key, key)
    return str(_tables()["id_kinds"].get(key, {}).get(lang, label)) if lang != "en" else label


def script(text: str) -> str:
    """The script most of a name's letters are in: latin, cyrillic, arabic, han, japanese, greek …"""
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        first = unicodedata.name(ch, "").split(" ")[0].lower()
        name = {"cjk": "han", "hiragana": "japanese", "katakana": "japanese"}.get(first, first)
        counts[name] = counts.get(name, 0) + 1
    if counts.get("japanese"):  # kana anywhere: Japanese (its names mix kanji and kana)
        return "japanese"
    return max(counts, key=lambda k: counts[k]) if counts else ""


def letter_name(name_latin: str, name_native: str, lang: str) -> str:
    """The name a letter in `lang` uses: the native-script name when the letter is written in that
    script (Cyrillic for ru, Arabic for ar, Chinese characters for zh and ja …), else the Latin name."""
    if not name_native:
        return name_latin
    wanted = LANG_SCRIPT.get(lang, "latin")
    found = script(name_native)
    if found == wanted or (wanted == "japanese" and found == "han"):
        return name_native
    return name_latin
