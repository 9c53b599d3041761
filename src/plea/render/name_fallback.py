"""The forms of a state's name that data/state_names/ lacks, built from its short and official names in
constructions that stay grammatical without knowing the name's gender or case.

- A head noun whose gender is known fixes the article: the official name "République du Kazakhstan"
  gives "de la République du Kazakhstan", "Республика Казахстан" gives "Республики Казахстан".
- Otherwise the name stays in the nominative after a noun in apposition ("des Staates X",
  "государства X", "państwa X") or after a preposition alone ("de X", "في X").
"""

from __future__ import annotations

import re
from collections.abc import Callable

Forms = dict[str, str]

_THE_EN = re.compile(
    r"\b(Republic|Kingdom|United|Union|Federation|Emirates|States|Islands|Netherlands|"
    r"Philippines|Bahamas|Gambia|Maldives|Comoros|Seychelles|Holy See|Principality|"
    r"Commonwealth|Sultanate|Grand Duchy|Federated|Congo|State)\b"
)


def _all(nom: str, formal: str, gen: str, in_: str, to: str, mission: str | None = None) -> Forms:
    return {
        "nom": nom,
        "formal": formal,
        "gen": gen,
        "in": in_,
        "to": to,
        "mission": gen if mission is None else mission,
    }


def _head(formal: str, heads: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], str] | None:
    """(the head noun's forms, the rest) when the official name starts with a known head noun."""
    for head, grammar in heads.items():
        if formal.startswith(head + " "):
            return grammar, formal[len(head) :]
    return None


def english(short: str, formal: str) -> Forms:
    nom = f"the {short}" if _THE_EN.search(short) else short
    full = f"the {formal}" if formal and (_THE_EN.search(formal) or " of " in formal) else formal or nom
    return _all(nom, full, f"of {nom}", f"in {nom}", f"to {nom}")


# German: head noun → its genitive with the article
_DE_HEADS = {
    "Republik": ("der Republik",),
    "Föderation": ("der Föderation",),
    "Königreich": ("des Königreichs",),
    "Fürstentum": ("des Fürstentums",),
    "Großherzogtum": ("des Großherzogtums",),
    "Staat": ("des Staates",),
    "Sultanat": ("des Sultanats",),
    "Emirat": ("des Emirats",),
}


def german(short: str, formal: str) -> Forms:
    head = _head(formal, _DE_HEADS)
    gen = f"{head[0][0]}{head[1]}" if head else f"des Staates {short}"
    return _all(short, formal or short, gen, f"im Staat {short}", f"in den Staat {short}")


_RU_HEADS = {
    "Республика": ("Республики",),
    "Королевство": ("Королевства",),
    "Княжество": ("Княжества",),
    "Государство": ("Государства",),
    "Султанат": ("Султаната",),
    "Великое Герцогство": ("Великого Герцогства",),
    "Федерация": ("Федерации",),
}


def russian(short: str, formal: str) -> Forms:
    head = _head(formal, _RU_HEADS)
    gen = f"{head[0][0]}{head[1]}" if head else f"государства {short}"
    return _all(short, formal or short, gen, f"в государстве {short}", f"в государство {short}")


_PL_HEADS = {
    "Republika": ("Republiki",),
    "Królestwo": ("Królestwa",),
    "Księstwo": ("Księstwa",),
    "Wielkie Księstwo": ("Wielkiego Księstwa",),
    "Państwo": ("Państwa",),
    "Rzeczpospolita": ("Rzeczypospolitej",),
}


_PL_ADJECTIVE = (
    "ska",
    "cka",
    "dzka",
    "na",
    "wa",
    "ła",
    "ta",
    "ka",
)  # "Republika Włoska": the adjective declines too


def polish(short: str, formal: str) -> Forms:
    head = _head(formal, _PL_HEADS)
    if head and head[1].split()[0].endswith(_PL_ADJECTIVE):
        head = None
    gen = f"{head[0][0]}{head[1]}" if head else f"państwa {short}"
    return _all(short, formal or short, gen, f"w państwie {short}", f"do państwa {short}")


# Romance languages: head noun → (nominative article, "of", "in", "to") with the article contracted
_FR_HEADS = {
    "République": ("la ", "de la ", "en ", "en "),
    "Royaume": ("le ", "du ", "au ", "au "),
    "Principauté": ("la ", "de la ", "en ", "en "),
    "État": ("l’", "de l’", "dans l’", "dans l’"),
    "Grand-Duché": ("le ", "du ", "au ", "au "),
    "Sultanat": ("le ", "du ", "au ", "au "),
    "Fédération": ("la ", "de la ", "en ", "en "),
    "Confédération": ("la ", "de la ", "en ", "en "),
    "Commonwealth": ("le ", "du ", "au ", "au "),
    "États": ("les ", "des ", "aux ", "aux "),
    "Émirats": ("les ", "des ", "aux ", "aux "),
}
_ES_HEADS = {
    "República": ("la ", "de la ", "en la ", "a la "),
    "Reino": ("el ", "del ", "en el ", "al "),
    "Estado": ("el ", "del ", "en el ", "al "),
    "Principado": ("el ", "del ", "en el ", "al "),
    "Gran Ducado": ("el ", "del ", "en el ", "al "),
    "Federación": ("la ", "de la ", "en la ", "a la "),
    "Confederación": ("la ", "de la ", "en la ", "a la "),
    "Sultanato": ("el ", "del ", "en el ", "al "),
    "Mancomunidad": ("la ", "de la ", "en la ", "a la "),
    "Estados": ("los ", "de los ", "en los ", "a los "),
}
_IT_HEADS = {
    "Repubblica": ("la ", "della ", "nella ", "nella "),
    "Regno": ("il ", "del ", "nel ", "nel "),
    "Stato": ("lo ", "dello ", "nello ", "nello "),
    "Principato": ("il ", "del ", "nel ", "nel "),
    "Granducato": ("il ", "del ", "nel ", "nel "),
    "Federazione": ("la ", "della ", "nella ", "nella "),
    "Confederazione": ("la ", "della ", "nella ", "nella "),
    "Sultanato": ("il ", "del ", "nel ", "nel "),
    "Stati": ("gli ", "degli ", "negli ", "negli "),
    "Emirati": ("gli ", "degli ", "negli ", "negli "),
}
_PT_HEADS = {
    "República": ("a ", "da ", "na ", "à "),
    "Reino": ("o ", "do ", "no ", "ao "),
    "Estado": ("o ", "do ", "no ", "ao "),
    "Principado": ("o ", "do ", "no ", "ao "),
    "Grão-Ducado": ("o ", "do ", "no ", "ao "),
    "Federação": ("a ", "da ", "na ", "à "),
    "Confederação": ("a ", "da ", "na ", "à "),
    "Sultanato": ("o ", "do ", "no ", "ao "),
    "Estados": ("os ", "dos ", "nos ", "aos "),
    "Emirados": ("os ", "dos ", "nos ", "aos "),
}
_VOWEL = re.compile(r"^[AEIOUÉÈÊÎÔÂÀÙÜŒaeiouéèêîôâ]")


def _romance(heads: dict[str, tuple[str, ...]], of: str, in_: str, to: str) -> Callable[[str, str], Forms]:
    def build(short: str, formal: str) -> Forms:
        if _head(short, heads):  # "República Dominicana": the short name is itself headed
            formal = short
        head = _head(formal, heads)
        if head:
            (art, art_of, art_in, art_to), _ = head
            return _all(short, formal, art_of + formal, art_in + formal, art_to + formal)
        return _all(short, formal or short, f"{of} {short}", f"{in_} {short}", f"{to} {short}")

    return build


def french(short: str, formal: str) -> Forms:
    bare = _french_bare(short, formal)
    if _head(formal, _FR_HEADS):
        forms = _romance(_FR_HEADS, "de", "en", "en")(short, formal)
        forms["nom"], forms["mission"] = bare["nom"], bare["mission"]  # "Ambassade d’Autriche"
        return forms
    return bare


def _french_bare(short: str, formal: str = "") -> Forms:
    head = _head(short, _FR_HEADS)
    if head:  # a short name that is itself "République centrafricaine", "République du Congo"
        art, art_of, art_in, art_to = head[0]
        return _all(art + short, formal or short, art_of + short, art_in + short, art_to + short)
    if short in _FR_NO_ARTICLE:  # island and city states: "Ambassade de Madagascar", "à Monaco"
        of = "d’" if _VOWEL.match(short) or short.startswith("H") else "de "
        return _all(short, formal or short, of + short, f"à {short}", f"à {short}")
    if short.startswith("Îles "):  # les Îles Marshall, les Îles Salomon
        return _all(f"les {short}", formal or short, f"des {short}", f"aux {short}", f"aux {short}")
    if _VOWEL.match(short):  # vowel-initial names take "en" whatever their gender
        return _all(
            f"l’{short}", formal or short, f"de l’{short}", f"en {short}", f"en {short}", f"d’{short}"
        )
    if short.startswith(("Saint", "Sainte", "Sao ", "São ")):  # island states named after a saint: no article
        return _all(short, formal or short, f"de {short}", f"à {short}", f"à {short}")
    if short.endswith(("es", "as")) and short != "Honduras":  # les Seychelles, les Comores, les Bahamas
        return _all(f"les {short}", formal or short, f"des {short}", f"aux {short}", f"aux {short}")
    first = re.split(r"[ -]", short)[0]  # the gender is the first word's: "Corée du Sud", "Guinée-Bissau"
    if (first.endswith("e") and first not in _FR_MASCULINE_E) or first in ("Sierra", "Trinité"):
        return _all(
            f"la {short}", formal or short, f"de la {short}", f"en {short}", f"en {short}", f"de {short}"
        )
    return _all(f"le {short}", formal or short, f"du {short}", f"au {short}", f"au {short}")


#: names French writes without an article (islands, city states)
_FR_NO_ARTICLE = {
    "Fidji",
    "Palaos",
    "Taïwan",
    "Bahreïn",
    "Chypre",
    "Cuba",
    "Djibouti",
    "Haïti",
    "Israël",
    "Madagascar",
    "Malte",
    "Maurice",
    "Monaco",
    "Oman",
    "Singapour",
    "Tonga",
    "Kiribati",
    "Nauru",
    "Tuvalu",
    "Vanuatu",
    "Samoa",
}
#: the names in -e that are masculine (the others in -e are feminine; the rest masculine)
_FR_MASCULINE_E = {"Belize", "Cambodge", "Mexique", "Mozambique", "Zimbabwe", "Suriname"}


def italian(short: str, formal: str) -> Forms:
    build = _romance(_IT_HEADS, "d’" if _VOWEL.match(short) else "di", "in", "in")
    forms = build(short, formal)
    if forms["gen"].startswith("d’ "):
        forms["gen"] = forms["mission"] = "d’" + short
    return forms


def arabic(short: str, formal: str) -> Forms:
    return _all(short, formal or short, short, f"في {short}", f"إلى {short}")


def uninflected(short: str, formal: str) -> Forms:
    return _all(short, formal or short, short, short, short)


_TR_BACK = set("aıouAIOU")
_TR_VOWELS = set("aeıioöuüAEIİOÖUÜ")
_TR_VOICELESS = set("çfhkpsştÇFHKPSŞT")


def turkish(short: str, formal: str) -> Forms:
    """Locative and dative after the apostrophe Turkish writes after proper names, by vowel harmony;
    a compound whose last word carries the possessive (Cumhuriyeti, Devletleri) takes the buffer n."""
    vowels = [ch for ch in short if ch in _TR_VOWELS]
    a = "a" if not vowels or vowels[-1] in _TR_BACK else "e"
    last = short[-1]
    compound = " " in short and last in "iıuü"
    if compound:
        loc, dat = f"'nd{a}", f"'n{a}"
    elif last in _TR_VOWELS:
        loc, dat = f"'d{a}", f"'y{a}"
    else:
        loc, dat = (f"'t{a}" if last in _TR_VOICELESS else f"'d{a}"), f"'{a}"
    return _all(short, formal or short, short, short + loc, short + dat)


BUILDERS: dict[str, Callable[[str, str], Forms]] = {
    "en": english,
    "de": german,
    "ru": russian,
    "pl": polish,
    "fr": french,
    "it": italian,
    "es": _romance(_ES_HEADS, "de", "en", "a"),
    "pt": _romance(_PT_HEADS, "de", "em", "para"),
    "ar": arabic,
    "zh": uninflected,
    "ja": uninflected,
    "tr": turkish,
}


def forms(lang: str, short: str, formal: str) -> Forms:
    return BUILDERS.get(lang, uninflected)(short, formal)
