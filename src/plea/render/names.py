"""States and missions named as a letter must name them: "Embassy of the United Kingdom",
"Ambassade de France", "Botschaft der Bundesrepublik Deutschland", "Посольство Республики Казахстан".

The forms come from data/state_names/<lang>.csv (see its README: columns, sources, the grammar of each
form). A state or form the table lacks falls back to pycountry's names (iso-codes translations) or CLDR's,
in a construction that stays grammatical without knowing the name's gender or case ("des Staates X",
"государства X"). Tables are read on first use and cached.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

FORMS = ("nom", "formal", "gen", "in", "to", "mission")
SOURCE_COLUMNS = ("source_url", "retrieved")

#: the kinds of mission, per language, as the title's head word (the templates' kind_label)
KIND_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "embassy": "Embassy",
        "high-commission": "High Commission",
        "nunciature": "Apostolic Nunciature",
        "consulate-general": "Consulate General",
        "consulate": "Consulate",
        "honorary-consulate": "Honorary Consulate",
        "permanent-mission": "Permanent Mission",
        "foreign-ministry": "Ministry of Foreign Affairs",
        "": "Diplomatic Mission",
    },
    "fr": {
        "embassy": "Ambassade",
        "high-commission": "Haut-Commissariat",
        "nunciature": "Nonciature apostolique",
        "consulate-general": "Consulat général",
        "consulate": "Consulat",
        "honorary-consulate": "Consulat honoraire",
        "permanent-mission": "Mission permanente",
        "foreign-ministry": "Ministère des Affaires étrangères",
        "": "Mission diplomatique",
    },
    "de": {
        "embassy": "Botschaft",
        "high-commission": "Hochkommission",
        "nunciature": "Apostolische Nuntiatur",
        "consulate-general": "Generalkonsulat",
        "consulate": "Konsulat",
        "honorary-consulate": "Honorarkonsulat",
        "permanent-mission": "Ständige Vertretung",
        "foreign-ministry": "Ministerium für Auswärtige Angelegenheiten",
        "": "Diplomatische Vertretung",
    },
    "es": {
        "embassy": "Embajada",
        "high-commission": "Alta Comisión",
        "nunciature": "Nunciatura Apostólica",
        "consulate-general": "Consulado General",
        "consulate": "Consulado",
        "honorary-consulate": "Consulado Honorario",
        "permanent-mission": "Misión Permanente",
        "foreign-ministry": "Ministerio de Relaciones Exteriores",
        "": "Misión Diplomática",
    },
    "it": {
        "embassy": "Ambasciata",
        "high-commission": "Alto Commissariato",
        "nunciature": "Nunziatura Apostolica",
        "consulate-general": "Consolato Generale",
        "consulate": "Consolato",
        "honorary-consulate": "Consolato Onorario",
        "permanent-mission": "Rappresentanza Permanente",
        "foreign-ministry": "Ministero degli Affari Esteri",
        "": "Rappresentanza diplomatica",
    },
    "pt": {
        "embassy": "Embaixada",
        "high-commission": "Alto Comissariado",
        "nunciature": "Nunciatura Apostólica",
        "consulate-general": "Consulado-Geral",
        "consulate": "Consulado",
        "honorary-consulate": "Consulado Honorário",
        "permanent-mission": "Missão Permanente",
        "foreign-ministry": "Ministério das Relações Exteriores",
        "": "Missão Diplomática",
    },
    "ru": {
        "embassy": "Посольство",
        "high-commission": "Высокая комиссия",
        "nunciature": "Апостольская нунциатура",
        "consulate-general": "Генеральное консульство",
        "consulate": "Консульство",
        "honorary-consulate": "Почетное консульство",
        "permanent-mission": "Постоянное представительство",
        "foreign-ministry": "Министерство иностранных дел",
        "": "Дипломатическое представительство",
    },
    "pl": {
        "embassy": "Ambasada",
        "high-commission": "Wysoka Komisja",
        "nunciature": "Nuncjatura Apostolska",
        "consulate-general": "Konsulat Generalny",
        "consulate": "Konsulat",
        "honorary-consulate": "Konsulat Honorowy",
        "permanent-mission": "Stałe Przedstawicielstwo",
        "foreign-ministry": "Ministerstwo Spraw Zagranicznych",
        "": "Przedstawicielstwo Dyplomatyczne",
    },
    "tr": {
        "embassy": "Büyükelçiliği",
        "high-commission": "Yüksek Komiserliği",
        "nunciature": "Apostolik Nunsiyatür",
        "consulate-general": "Başkonsolosluğu",
        "consulate": "Konsolosluğu",
        "honorary-consulate": "Fahri Konsolosluğu",
        "permanent-mission": "Daimi Temsilciliği",
        "foreign-ministry": "Dışişleri Bakanlığı",
        "": "Diplomatik Temsilciliği",
    },
    "ja": {
        "embassy": "大使館",
        "high-commission": "高等弁務官事務所",
        "nunciature": "ローマ教皇庁大使館",
        "consulate-general": "総領事館",
        "consulate": "領事館",
        "honorary-consulate": "名誉領事館",
        "permanent-mission": "政府代表部",
        "foreign-ministry": "外務省",
        "": "在外公館",
    },
    "zh": {
        "embassy": "大使馆",
        "high-commission": "高级专员公署",
        "nunciature": "教廷大使馆",
        "consulate-general": "总领事馆",
        "consulate": "领事馆",
        "honorary-consulate": "名誉领事馆",
        "permanent-mission": "常驻代表团",
        "foreign-ministry": "外交部",
        "": "外交代表机构",
    },
    # Arabic titles are idafas built around the name: see _arabic_title
    "ar": {"nunciature": "السفارة البابوية"},
}

_AR_TITLES = {
    "embassy": "سفارة {}",
    "high-commission": "مفوضية {} العليا",
    "consulate-general": "قنصلية {} العامة",
    "consulate": "قنصلية {}",
    "honorary-consulate": "قنصلية {} الفخرية",
    "permanent-mission": "بعثة {} الدائمة",
    "foreign-ministry": "وزارة خارجية {}",
    "": "بعثة {} الدبلوماسية",
}


def _lang(lang: str) -> str:
    return re.split(r"[-_]", lang or "en")[0].lower()


@lru_cache(maxsize=32)
def table(lang: str) -> dict[str, dict[str, str]]:
    """The shipped rows for one language, by ISO code ({} when the language has no table)."""
    from plea.resources import data_dir

    path = data_dir() / "state_names" / f"{_lang(lang)}.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"].upper(): row for row in csv.DictReader(f)}


def state_form(code: str, lang: str, form: str = "nom") -> str:
    """The state's name in the letter's language, in the grammatical form a sentence needs:
    nom ("the United Kingdom"), formal, gen ("of the United Kingdom"), in ("in the United Kingdom"),
    to ("to the United Kingdom") or mission ("of the United Kingdom", after "Embassy")."""
    if form not in FORMS:
        raise ValueError(f"state(): unknown form {form!r} (use one of: {', '.join(FORMS)})")
    if not code:
        return ""
    code, lang = code.upper(), _lang(lang)
    row = table(lang).get(code)
    if row and row.get(form):
        return row[form]
    if row and form == "mission" and row.get("gen"):
        return row["gen"]
    if row and form == "formal":  # left empty on purpose (README): the short name rather than a bad one
        return row.get("nom", "")
    from plea.render import name_fallback

    return name_fallback.forms(lang, short_name(code, lang), formal_name(code, lang))[form]


def mission_title(kind: str, sending: str, lang: str, host: str = "") -> str:
    """A mission's title in the letter's language: "Embassy of the United Kingdom", "Ambassade de
    France", "Botschaft der Bundesrepublik Deutschland", "Посольство Республики Казахстан",
    "Apostolic Nunciature"; in Chinese with the host ("法国驻美国大使馆")."""
    lang = _lang(lang)
    labels = KIND_LABELS.get(lang, KIND_LABELS["en"])
    if lang not in KIND_LABELS:
        lang = "en"
    kind = kind if kind in KIND_LABELS["en"] else ""
    if kind == "nunciature":
        if lang == "zh" and host:
            return f"教廷驻{state_form(host, lang)}大使馆"
        return labels["nunciature"]
    name = state_form(sending, lang, "mission")
    if lang == "ar":
        return _AR_TITLES[kind].format(name)
    if lang == "ja":
        return f"{name}{labels[kind]}"
    if lang == "zh":
        stationed = (
            f"驻{state_form(host, lang)}"
            if kind in ("embassy", "high-commission") and host and host.upper() != sending.upper()
            else ""
        )
        return f"{name}{stationed}{labels[kind]}"
    if lang == "tr":
        return f"{name} {labels[kind]}"
    if kind == "foreign-ministry" and lang in ("en", "fr", "es", "it", "pt", "de", "ru", "pl"):
        return f"{labels[kind]} {state_form(sending, lang, 'gen')}"
    return f"{labels[kind]} {name}"


# -- the fallback's names: pycountry (iso-codes translations), else CLDR --------------------------------


@lru_cache(maxsize=32)
def _catalog(lang: str):  # noqa: ANN202 - gettext's own type
    import gettext

    import pycountry

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


#: a comma that separates the items of a name rather than inverting it ("Bonaire, Sint Eustatius and Saba")
_LIST_TAIL = re.compile(r", .*\b(and|et|und|y|e|i|и|ve|و)\b")


def _uninvert(name: str) -> str:
    """iso-codes' list forms, "Korea, Republic of" → "Republic of Korea" (not for CLDR-like names)."""
    head, sep, tail = name.partition(", ")
    return f"{tail} {head}" if sep else name


def _country(code: str):  # noqa: ANN202
    import pycountry

    return pycountry.countries.get(alpha_2=code)


@lru_cache(maxsize=4096)
def short_name(code: str, lang: str) -> str:
    """pycountry's common or short name translated (iso-codes' list forms un-inverted: "Korea, Republic
    of" → "Republic of Korea"), else CLDR's; "&" in CLDR's English written out."""
    from plea.render.locale import state_name

    country = _country(code)
    if country is not None:
        english = getattr(country, "common_name", None) or country.name
        name = _catalog(lang).gettext(english)
        if "(" not in name and (name != english or lang == "en") and not _LIST_TAIL.search(name):
            name = _uninvert(name)  # "Korea, Republic of" → "Republic of Korea", as the UN writes it
            return _typeset(name[4:] if name.startswith("The ") else name, lang)
    name = _typeset(state_name(code, lang) or code, lang)
    return name.replace(" & ", " and ") if lang == "en" else name


@lru_cache(maxsize=4096)
def formal_name(code: str, lang: str) -> str:
    """The official long name from pycountry (iso-codes), un-inverted; "" when there is none."""
    country = _country(code)
    official = getattr(country, "official_name", None) if country is not None else None
    if not official:
        return ""
    name = _catalog(lang).gettext(official)
    return "" if name == official and lang != "en" else _typeset(_uninvert(name), lang)  # untranslated


def _typeset(name: str, lang: str) -> str:
    """iso-codes' stress marks in a few Russian names and Arabic vowel marks dropped; the typographic
    apostrophe the templates write (Turkish keeps the plain one before its suffixes)."""
    name = name.replace("\u0301", "")
    if lang == "ar":  # iso-codes writes shadda and short vowels, which letters leave out (النّمسا → النمسا)
        name = re.sub("[\u064b-\u0652]", "", name)
    return name if lang == "tr" else name.replace("'", "’")
