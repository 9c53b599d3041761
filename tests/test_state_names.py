"""Styled state names (plea.render.names, data/state_names/): the mission's title and the state's
name in the form the sentence needs, checked by hand pair by pair; the shipped table against its
sources; the fallback for a state the table lacks; the letters `letters render` writes."""

from __future__ import annotations

import csv
import gettext
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pycountry
import pytest
from babel import Locale
from docx import Document

from plea.render.jinja import make_environment
from plea.render.names import FORMS, SOURCE_COLUMNS, mission_title, state_form
from tests.dbcheck import rows

DATA = Path(__file__).resolve().parent.parent / "data" / "state_names"
LANGS = ("ar", "de", "en", "es", "fr", "it", "ja", "pl", "pt", "ru", "tr", "zh")

#: (sending state, language, kind of mission, host) → the title, each checked by hand
MISSION_TITLES = [
    ("GB", "en", "embassy", "", "Embassy of the United Kingdom"),
    ("FR", "fr", "embassy", "", "Ambassade de France"),
    ("DE", "de", "embassy", "", "Botschaft der Bundesrepublik Deutschland"),
    ("KZ", "ru", "embassy", "", "Посольство Республики Казахстан"),
    ("TT", "en", "embassy", "", "Embassy of Trinidad and Tobago"),
    ("US", "en", "embassy", "", "Embassy of the United States"),
    ("NL", "en", "embassy", "", "Embassy of the Netherlands"),
    ("GB", "en", "consulate-general", "", "Consulate General of the United Kingdom"),
    ("GB", "en", "high-commission", "", "High Commission of the United Kingdom"),
    ("VA", "en", "nunciature", "", "Apostolic Nunciature"),
    ("KZ", "en", "foreign-ministry", "KZ", "Ministry of Foreign Affairs of Kazakhstan"),
    ("JP", "fr", "embassy", "", "Ambassade du Japon"),
    ("DE", "fr", "embassy", "", "Ambassade d’Allemagne"),
    ("NL", "fr", "consulate-general", "", "Consulat général des Pays-Bas"),
    ("GB", "de", "embassy", "", "Botschaft des Vereinigten Königreichs Großbritannien und Nordirland"),
    ("JP", "de", "embassy", "", "Botschaft von Japan"),
    ("TR", "de", "consulate-general", "", "Generalkonsulat der Republik Türkei"),
    ("DE", "ru", "embassy", "", "Посольство Федеративной Республики Германия"),
    ("FR", "ru", "consulate-general", "", "Генеральное консульство Французской Республики"),
    ("JP", "ru", "embassy", "", "Посольство Японии"),
    ("KZ", "pl", "embassy", "", "Ambasada Republiki Kazachstanu"),
    ("FR", "pl", "embassy", "", "Ambasada Francji"),
    ("GB", "es", "embassy", "", "Embajada del Reino Unido"),
    ("US", "es", "embassy", "", "Embajada de los Estados Unidos"),
    ("FR", "it", "embassy", "", "Ambasciata di Francia"),
    ("JP", "it", "embassy", "", "Ambasciata del Giappone"),
    ("FR", "pt", "embassy", "", "Embaixada da França"),
    ("JP", "pt", "consulate", "", "Consulado do Japão"),
    ("GB", "ar", "embassy", "", "سفارة المملكة المتحدة"),
    ("FR", "ar", "consulate-general", "", "قنصلية فرنسا العامة"),
    ("GB", "ja", "embassy", "", "英国大使館"),
    ("FR", "zh", "embassy", "US", "法国驻美国大使馆"),
    ("DE", "tr", "embassy", "", "Almanya Federal Cumhuriyeti Büyükelçiliği"),
    ("GB", "tr", "consulate-general", "", "Birleşik Krallık Başkonsolosluğu"),
    ("CH", "de", "embassy", "", "Botschaft der Schweizerischen Eidgenossenschaft"),
    ("PL", "pl", "embassy", "", "Ambasada Rzeczypospolitej Polskiej"),
    ("BY", "ru", "embassy", "", "Посольство Республики Беларусь"),
    ("AM", "it", "embassy", "", "Ambasciata d’Armenia"),
    ("AT", "ru", "embassy", "", "Посольство Австрийской Республики"),
    ("CZ", "ru", "embassy", "", "Посольство Чешской Республики"),
    ("LT", "ru", "embassy", "", "Посольство Литовской Республики"),
    ("IL", "ru", "embassy", "", "Посольство Государства Израиль"),
    ("LU", "ru", "consulate-general", "", "Генеральное консульство Великого Герцогства Люксембург"),
    ("KG", "ru", "embassy", "", "Посольство Киргизии"),  # iso-codes' formal name is outdated: the short one
    ("AT", "de", "embassy", "", "Botschaft der Republik Österreich"),
    ("LI", "de", "embassy", "", "Botschaft des Fürstentums Liechtenstein"),
    ("CZ", "de", "embassy", "", "Botschaft der Tschechischen Republik"),
    ("HU", "de", "embassy", "", "Botschaft von Ungarn"),
    ("GR", "de", "consulate-general", "", "Generalkonsulat der Hellenischen Republik"),
    ("CZ", "pl", "embassy", "", "Ambasada Republiki Czeskiej"),
    ("LT", "pl", "embassy", "", "Ambasada Republiki Litewskiej"),
    ("HU", "pl", "embassy", "", "Ambasada Węgier"),
    ("IL", "pl", "consulate", "", "Konsulat Państwa Izrael"),
    ("CD", "fr", "embassy", "", "Ambassade de la République démocratique du Congo"),
    ("SN", "fr", "embassy", "", "Ambassade du Sénégal"),
    ("CI", "fr", "embassy", "", "Ambassade de Côte d’Ivoire"),
    ("HT", "fr", "embassy", "", "Ambassade d’Haïti"),
    ("VU", "fr", "embassy", "", "Ambassade du Vanuatu"),
    ("KM", "fr", "consulate", "", "Consulat des Comores"),
    ("DO", "es", "embassy", "", "Embajada de la República Dominicana"),
    ("SV", "es", "embassy", "", "Embajada de El Salvador"),
    ("MX", "es", "consulate-general", "", "Consulado General de México"),
    ("BR", "pt", "embassy", "", "Embaixada do Brasil"),
    ("AO", "pt", "embassy", "", "Embaixada de Angola"),
    ("GW", "pt", "consulate", "", "Consulado da Guiné-Bissau"),
    ("CH", "it", "embassy", "", "Ambasciata di Svizzera"),
    ("SM", "it", "embassy", "", "Ambasciata di San Marino"),
    ("SA", "ar", "embassy", "", "سفارة المملكة العربية السعودية"),
    ("AE", "ar", "consulate-general", "", "قنصلية الإمارات العربية المتحدة العامة"),
    ("PS", "ar", "embassy", "", "سفارة دولة فلسطين"),
    ("FM", "ar", "embassy", "", "سفارة ميكرونيزيا"),
    ("MD", "ar", "embassy", "", "سفارة مولدوفا"),  # iso-codes' Arabic short name is the Maldives'
    ("KH", "zh", "embassy", "US", "柬埔寨驻美国大使馆"),  # iso-codes: 柬埔塞
    ("CD", "ja", "embassy", "", "コンゴ民主共和国大使館"),
    ("BF", "es", "embassy", "", "Embajada de Burkina Faso"),  # iso-codes: Burquina Faso
    ("KE", "pt", "embassy", "", "Embaixada do Quênia"),  # iso-codes spells the European way: Quénia
    ("EG", "ar", "embassy", "", "سفارة مصر"),
    ("BB", "fr", "embassy", "", "Ambassade de la Barbade"),
    ("JM", "fr", "embassy", "", "Ambassade de la Jamaïque"),
    ("KR", "fr", "embassy", "", "Ambassade de la République de Corée"),
    ("AT", "fr", "embassy", "", "Ambassade d’Autriche"),
    ("BR", "fr", "embassy", "", "Ambassade du Brésil"),
    ("AG", "fr", "embassy", "", "Ambassade d’Antigua-et-Barbuda"),
    ("BR", "ru", "embassy", "", "Посольство Федеративной Республики Бразилия"),
    ("JO", "ru", "embassy", "", "Посольство Иорданского Хашимитского Королевства"),
    ("IR", "ru", "embassy", "", "Посольство Исламской Республики Иран"),
    ("KP", "ru", "consulate-general", "", "Генеральное консульство Корейской Народно-Демократической Республики"),
    ("AZ", "tr", "embassy", "", "Azerbaycan Cumhuriyeti Büyükelçiliği"),
    ("TM", "tr", "consulate-general", "", "Türkmenistan Başkonsolosluğu"),
    ("TH", "de", "embassy", "", "Botschaft des Königreichs Thailand"),
    ("AE", "de", "embassy", "", "Botschaft der Vereinigten Arabischen Emirate"),
    ("BR", "de", "embassy", "", "Botschaft der Föderativen Republik Brasilien"),
    ("NZ", "de", "embassy", "", "Botschaft von Neuseeland"),
    ("BR", "pl", "embassy", "", "Ambasada Federacyjnej Republiki Brazylii"),
    ("KR", "pl", "embassy", "", "Ambasada Republiki Korei"),
    ("AE", "pl", "embassy", "", "Ambasada Zjednoczonych Emiratów Arabskich"),
    ("TZ", "ru", "embassy", "", "Посольство Объединённой Республики Танзания"),
    ("CG", "ru", "embassy", "", "Посольство Республики Конго"),
    ("BS", "ru", "embassy", "", "Посольство Содружества Багамских Островов"),
    ("AT", "es", "embassy", "", "Embajada de Austria"),
    ("IN", "es", "embassy", "", "Embajada de la India"),
    ("AE", "es", "consulate", "", "Consulado de los Emiratos Árabes Unidos"),
    ("AT", "it", "embassy", "", "Ambasciata d’Austria"),
    ("BE", "it", "embassy", "", "Ambasciata del Belgio"),
    ("UZ", "it", "embassy", "", "Ambasciata dell’Uzbekistan"),
    ("SE", "it", "consulate-general", "", "Consolato Generale di Svezia"),
    ("AT", "pt", "embassy", "", "Embaixada da Áustria"),
    ("CY", "pt", "embassy", "", "Embaixada de Chipre"),
    ("AE", "pt", "embassy", "", "Embaixada dos Emirados Árabes Unidos"),
    ("CD", "de", "embassy", "", "Botschaft der Demokratischen Republik Kongo"),
    ("CD", "pl", "embassy", "", "Ambasada Demokratycznej Republiki Konga"),
    ("BN", "pl", "embassy", "", "Ambasada Brunei"),
    ("BO", "de", "embassy", "", "Botschaft des Plurinationalen Staates Bolivien"),
    ("GM", "en", "embassy", "", "Embassy of the Gambia"),
    ("KR", "en", "embassy", "", "Embassy of the Republic of Korea"),
    ("CG", "en", "embassy", "", "Embassy of the Republic of the Congo"),
    ("CF", "en", "high-commission", "", "High Commission of the Central African Republic"),
    ("NG", "en", "high-commission", "", "High Commission of Nigeria"),
    ("PH", "en", "consulate-general", "", "Consulate General of the Philippines"),
]

#: (state, language, form) → the form, each checked by hand
STATE_FORMS = [
    ("GB", "en", "nom", "the United Kingdom"),
    ("GB", "en", "gen", "of the United Kingdom"),
    ("GB", "en", "in", "in the United Kingdom"),
    ("RU", "en", "to", "to Russia"),
    ("FR", "fr", "nom", "la France"),
    ("FR", "fr", "gen", "de la France"),
    ("GB", "fr", "in", "au Royaume-Uni"),
    ("RU", "fr", "to", "en Russie"),
    ("US", "fr", "in", "aux États-Unis"),
    ("GB", "de", "gen", "des Vereinigten Königreichs"),
    ("DE", "de", "gen", "der Bundesrepublik Deutschland"),
    ("RU", "de", "to", "nach Russland"),
    ("TR", "de", "in", "in der Türkei"),
    ("US", "de", "to", "in die Vereinigten Staaten"),
    ("KZ", "ru", "gen", "Республики Казахстан"),
    ("KZ", "ru", "in", "в Казахстане"),
    ("RU", "ru", "to", "в Россию"),
    ("FR", "ru", "in", "во Франции"),
    ("RU", "pl", "to", "do Rosji"),
    ("DE", "pl", "in", "w Niemczech"),
    ("IT", "pl", "in", "we Włoszech"),
    ("GB", "es", "in", "en el Reino Unido"),
    ("GB", "es", "to", "al Reino Unido"),
    ("US", "it", "in", "negli Stati Uniti"),
    ("FR", "it", "gen", "della Francia"),
    ("FR", "pt", "to", "à França"),
    ("US", "pt", "in", "nos Estados Unidos"),
    ("RU", "ar", "to", "إلى روسيا"),
    ("US", "ar", "in", "في الولايات المتحدة"),
    ("RU", "tr", "to", "Rusya'ya"),
    ("TR", "tr", "in", "Türkiye'de"),
    ("CN", "tr", "to", "Çin'e"),
    ("GB", "tr", "in", "Birleşik Krallık'ta"),
    ("RU", "zh", "to", "俄罗斯"),
    ("GB", "ja", "gen", "英国"),
    ("TT", "en", "nom", "Trinidad and Tobago"),
    ("BY", "pl", "in", "na Białorusi"),
    ("BY", "ru", "to", "в Беларусь"),
    ("BY", "tr", "in", "Belarus'ta"),
    ("AM", "de", "to", "nach Armenien"),
    ("AM", "fr", "gen", "de l’Arménie"),
    ("AM", "ru", "in", "в Армении"),
    ("LT", "ru", "in", "в Литве"),
    ("CY", "ru", "in", "на Кипре"),
    ("MT", "ru", "to", "на Мальту"),
    ("MK", "ru", "to", "в Северную Македонию"),
    ("BA", "ru", "in", "в Боснии и Герцеговине"),
    ("FI", "ru", "gen", "Финляндской Республики"),
    ("SK", "de", "in", "in der Slowakei"),
    ("MD", "de", "to", "in die Republik Moldau"),
    ("AT", "de", "gen", "Österreichs"),
    ("LU", "de", "to", "nach Luxemburg"),
    ("CZ", "pl", "in", "w Czechach"),
    ("LT", "pl", "to", "na Litwę"),
    ("HU", "pl", "in", "na Węgrzech"),
    ("AD", "pl", "in", "w Andorze"),
    ("IN", "pl", "in", "w Indiach"),
    ("BE", "fr", "gen", "de la Belgique"),
    ("MG", "fr", "in", "à Madagascar"),
    ("SC", "fr", "to", "aux Seychelles"),
    ("BI", "fr", "in", "au Burundi"),
    ("DZ", "fr", "gen", "de l’Algérie"),
    ("SV", "es", "to", "a El Salvador"),
    ("DO", "es", "in", "en la República Dominicana"),
    ("AR", "es", "in", "en Argentina"),
    ("BR", "pt", "to", "ao Brasil"),
    ("MZ", "pt", "in", "em Moçambique"),
    ("GW", "pt", "to", "à Guiné-Bissau"),
    ("CH", "it", "gen", "della Svizzera"),
    ("JO", "ar", "in", "في الأردن"),
    ("MA", "ar", "to", "إلى المغرب"),
    ("SY", "ar", "nom", "سوريا"),
    ("CD", "ar", "in", "في جمهورية الكونغو الديموقراطية"),
    ("MM", "tr", "in", "Myanmar'da"),
    ("TN", "es", "in", "en Túnez"),  # iso-codes: Tunez
    ("VN", "pt", "in", "no Vietnã"),
    ("BS", "en", "in", "in the Bahamas"),
    ("CD", "en", "to", "to the Democratic Republic of the Congo"),
    ("KP", "en", "gen", "of the Democratic People’s Republic of Korea"),
    ("ER", "en", "formal", "State of Eritrea"),
    ("VC", "en", "nom", "Saint Vincent and the Grenadines"),
    ("AT", "fr", "in", "en Autriche"),
    ("GD", "fr", "to", "à la Grenade"),
    ("OM", "fr", "in", "à Oman"),
    ("IL", "fr", "to", "en Israël"),
    ("PH", "fr", "in", "aux Philippines"),
    ("BR", "fr", "gen", "du Brésil"),
    ("VN", "ru", "in", "во Вьетнаме"),
    ("CU", "ru", "to", "на Кубу"),
    ("PH", "ru", "in", "на Филиппинах"),
    ("ZA", "ru", "to", "в Южно-Африканскую Республику"),
    ("MX", "ru", "gen", "Мексиканских Соединённых Штатов"),
    ("AZ", "tr", "in", "Azerbaycan'da"),
    ("UZ", "tr", "to", "Özbekistan'a"),
    ("PH", "de", "in", "auf den Philippinen"),
    ("IR", "de", "to", "in den Iran"),
    ("AE", "de", "in", "in den Vereinigten Arabischen Emiraten"),
    ("LB", "de", "gen", "des Libanon"),
    ("LK", "pl", "in", "na Sri Lance"),
    ("CU", "pl", "to", "na Kubę"),
    ("MA", "pl", "in", "w Maroku"),
    ("EG", "pl", "in", "w Egipcie"),
    ("MG", "ru", "in", "на Мадагаскаре"),
    ("SS", "ru", "in", "в Южном Судане"),
    ("GW", "ru", "to", "в Гвинею-Бисау"),
    ("TG", "ru", "in", "в Того"),
    ("AT", "es", "in", "en Austria"),
    ("IN", "es", "to", "a la India"),
    ("KR", "es", "gen", "de la República de Corea"),
    ("MT", "it", "in", "a Malta"),
    ("AE", "it", "in", "negli Emirati Arabi Uniti"),
    ("PT", "it", "gen", "del Portogallo"),
    ("IE", "pt", "to", "à Irlanda"),
    ("CA", "pt", "in", "no Canadá"),
    ("IL", "pt", "to", "a Israel"),
    ("DO", "pl", "in", "w Republice Dominikańskiej"),
    ("DO", "de", "to", "in die Dominikanische Republik"),
    ("TL", "pl", "in", "w Timorze Wschodnim"),
]

#: states the table lacks: the fallback's constructions, each checked by hand
FALLBACK = [
    ("GD", "de", "embassy", "Botschaft des Staates Grenada"),
    ("BZ", "ru", "embassy", "Посольство государства Белиз"),
    ("XK", "fr", "embassy", "Ambassade du Kosovo"),
    ("NU", "fr", "embassy", "Ambassade de Nioue"),
    ("AW", "fr", "embassy", "Ambassade d’Aruba"),
    ("FO", "en", "embassy", "Embassy of the Faroe Islands"),  # plural
    ("XK", "en", "embassy", "Embassy of Kosovo"),  # not in iso-codes: CLDR's name
    ("AT", "ar", "embassy", "سفارة النمسا"),
    ("KE", "es", "embassy", "Embajada de la República de Kenia"),
    ("KE", "it", "embassy", "Ambasciata della Repubblica del Kenya"),
    ("GD", "pl", "embassy", "Ambasada państwa Grenada"),
    ("PS", "en", "embassy", "Embassy of the State of Palestine"),  # un-inverted: "Palestine, State of"
    ("PS", "fr", "embassy", "Ambassade de l’État de Palestine"),
    ("TV", "fr", "embassy", "Ambassade de Tuvalu"),  # no article
    ("FO", "fr", "embassy", "Ambassade des Îles Féroé"),  # plural
    ("CK", "fr", "embassy", "Ambassade des Îles Cook"),
    ("TH", "es", "embassy", "Embajada del Reino de Tailandia"),
    ("IR", "ar", "embassy", "سفارة إيران"),  # iso-codes has no Arabic name: CLDR's
]


def test_the_hand_checked_table_is_big_enough() -> None:
    assert len(MISSION_TITLES) + len(STATE_FORMS) >= 40
    for sending, lang, *_ in MISSION_TITLES + STATE_FORMS:
        assert lang in LANGS and len(sending) == 2


@pytest.mark.parametrize(("sending", "lang", "kind", "host", "title"), MISSION_TITLES)
def test_mission_title(sending: str, lang: str, kind: str, host: str, title: str) -> None:
    assert mission_title(kind, sending, lang, host=host) == title


@pytest.mark.parametrize(("code", "lang", "form", "expected"), STATE_FORMS)
def test_state_form(code: str, lang: str, form: str, expected: str) -> None:
    assert state_form(code, lang, form) == expected


def test_no_ampersand_in_english_names() -> None:
    """CLDR writes "Trinidad & Tobago", "Antigua & Barbuda": letters write "and"."""
    for code in ("TT", "AG", "BA", "KN", "VC", "ST"):
        for form in FORMS:
            assert "&" not in state_form(code, "en", form), (code, form)
    assert mission_title("embassy", "TT", "en") == "Embassy of Trinidad and Tobago"


@pytest.mark.parametrize(("sending", "lang", "kind", "title"), FALLBACK)
def test_fallback_for_a_state_the_table_lacks(sending: str, lang: str, kind: str, title: str) -> None:
    from plea.render.names import table

    assert sending not in table(lang)
    assert mission_title(kind, sending, lang) == title


def test_french_fallback_takes_the_first_word_s_gender() -> None:
    """Every UN member state has a French row now: the rule is checked on the fallback itself."""
    from plea.render import name_fallback

    assert name_fallback.forms("fr", "Corée du Sud", "")["mission"] == "de Corée du Sud"
    assert name_fallback.forms("fr", "Corée du Sud", "")["nom"] == "la Corée du Sud"


def test_turkish_fallback_follows_vowel_harmony() -> None:
    assert state_form("DK", "tr", "in") == "Danimarka'da"
    assert state_form("DK", "tr", "to") == "Danimarka'ya"
    assert state_form("AE", "tr", "to") == "Birleşik Arap Emirlikleri'ne"  # the compound's possessive: n
    assert state_form("FI", "tr", "in") == "Finlandiya'da"


# -- the fallback's grammar file (data/state_names/grammar.json) ----------------------------------------


@pytest.fixture
def grammar_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of data/state_names/grammar.json that the fallback reads instead of the shipped one: tests may
    break it at will."""
    from plea.render import name_fallback, name_grammar

    copy = tmp_path / "grammar.json"
    copy.write_bytes((DATA / "grammar.json").read_bytes())

    def clear() -> None:
        for cached in (name_grammar.grammar, name_fallback._words, name_fallback._the_en):
            cached.cache_clear()

    monkeypatch.setattr(name_grammar, "path", lambda: copy)
    clear()
    yield copy
    clear()


def _edit(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_the_fallback_reads_its_words_from_the_grammar_file(grammar_file: Path) -> None:
    """The file is read once, on first use: the edit comes first (the shipped words: FALLBACK)."""
    _edit(grammar_file, lambda g: g["de"]["apposition"].update(gen="EDITED"))
    assert mission_title("embassy", "GD", "de") == "Botschaft EDITED Grenada"
    assert state_form("GD", "de", "in") == "im Staat Grenada"  # the other words as the file has them


def test_every_table_of_the_grammar_file_says_what_it_is() -> None:
    data = json.loads((DATA / "grammar.json").read_text(encoding="utf-8"))
    assert data.pop("_about").startswith("The grammar plea.render.name_fallback")
    tables = [(lang, name, t) for lang, ts in data.items() for name, t in ts.items()]
    assert len(tables) >= 25
    for lang, name, t in tables:
        assert len(t["_about"]) > 20, (lang, name)
    assert "### grammar.json" in (DATA / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda g: g["de"]["apposition"].pop("to"),
         "de.apposition: needs the strings gen, in, to (and strings only)"),
        (lambda g: g["fr"]["no_article"].update(words="Cuba"),
         'fr.no_article: needs "words": a list of non-empty strings'),
        (lambda g: g["es"]["heads"]["Reino"].pop("in"),
         'es.heads: "Reino" needs the strings nom, gen, in, to'),
        (lambda g: g["fr"]["articles"].pop("saint"), 'fr.articles: "saint" is missing'),
        (lambda g: g["ru"]["heads"].pop("_about"), 'ru.heads: missing, or not an object with its "_about"'),
        (lambda g: g.pop("tr"), "tr: missing (an object of tables: letters, harmony, suffixes)"),
    ],
)
def test_a_broken_grammar_file_is_a_clear_error(grammar_file: Path, change: Callable[[dict], object],
                                               problem: str) -> None:
    from plea.errors import InvalidInput

    _edit(grammar_file, change)
    with pytest.raises(InvalidInput) as info:
        state_form("GD", "de", "gen")
    assert str(info.value) == f"{grammar_file}: {problem}\n{GRAMMAR_HINT}"


GRAMMAR_HINT = "data/state_names/README.md describes the file; reinstall plea to restore the shipped one"


def test_a_grammar_file_that_is_not_json_or_missing(grammar_file: Path) -> None:
    from plea.errors import InvalidInput, NotFound

    grammar_file.write_text('{"en": {', encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        state_form("GD", "de", "gen")
    assert str(info.value) == (f"{grammar_file}: not valid JSON (Expecting property name enclosed in double "
                               f"quotes: line 1 column 9 (char 8))\n{GRAMMAR_HINT}")
    grammar_file.unlink()
    with pytest.raises(NotFound) as missing:
        state_form("GD", "de", "gen")
    assert str(missing.value) == f"{grammar_file}: missing from the installation\n  {GRAMMAR_HINT}"
    assert state_form("GB", "de", "gen") == "des Vereinigten Königreichs"  # a row needs no grammar


def test_missing_code_and_unknown_form() -> None:
    assert state_form("", "de", "gen") == ""
    with pytest.raises(ValueError) as info:
        state_form("GB", "en", "dative")
    assert str(info.value) == "state(): unknown form 'dative' (use one of: nom, formal, gen, in, to, mission)"


def test_the_template_filters() -> None:
    root = Path(__file__).resolve().parent.parent / "templates" / "letters"
    env = make_environment(root, "de")
    text = env.from_string(
        '{{ mission | mission_title }}: die Regierung {{ code | state("gen") }}, {{ code | state }}'
    ).render(mission={"kind": "embassy", "sending": "DE", "host": "US"}, code="GB")
    assert text == ("Botschaft der Bundesrepublik Deutschland: die Regierung des Vereinigten Königreichs, "
                    "das Vereinigte Königreich")


# -- the shipped table -------------------------------------------------------------------------------


def _rows(lang: str) -> list[dict[str, str]]:
    with (DATA / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("lang", LANGS)
def test_table_rows_are_whole_and_cited(lang: str) -> None:
    with (DATA / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["code", *FORMS, *SOURCE_COLUMNS]
    rows = _rows(lang)
    assert len(rows) >= 13
    assert len({r["code"] for r in rows}) == len(rows)
    for r in rows:
        assert pycountry.countries.get(alpha_2=r["code"]) is not None, r["code"]
        for column in ("nom", "gen", "in", "to", "mission"):
            assert r[column].strip() == r[column] and r[column], (r["code"], column)
        assert r["source_url"] and all(u.startswith("https://") for u in r["source_url"].split()), r["code"]
        assert date.fromisoformat(r["retrieved"]) <= date(2026, 12, 31)


_ARTICLE = re.compile(r"^(the |le |la |les |l’|das |die |der |el |los |il |gli |i |o |os |a )")


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFC", name).replace("'", "’").replace("ё", "е").replace("Ё", "Е")
    name = name.replace("\u0301", "")  # iso-codes' stress marks in a few Russian names (Респу́блика)
    name = re.sub("[\u064b-\u0652]", "", name)  # Arabic vowel marks and shadda
    return re.sub(r"\s+", "", name).lower()


def _source_names(code: str, lang: str) -> set[str]:
    """CLDR's short name and iso-codes' short and official names (un-inverted), as installed."""
    catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
    country = pycountry.countries.get(alpha_2=code)
    names = {Locale.parse(lang).territories[code]}
    for name in (country.name, getattr(country, "official_name", None)):
        if name:
            translated = catalog.gettext(name)
            head, sep, tail = translated.partition(", ")
            names.add(re.sub("^the ", "", f"{tail} {head}" if sep else head, flags=re.IGNORECASE))
            if "، " in translated:  # Arabic list forms put the whole name after the comma
                names.add(translated.partition("، ")[2])
    return {_norm(n) for n in names}


def _strong(name: str) -> str:
    """German: the adjectives after the article back to their form without one (das Vereinigte Königreich →
    Vereinigtes Königreich, die Vereinigten Arabischen Emirate → Vereinigte Arabische Emirate)."""
    *adjectives, noun = name.split(" ")
    if len(adjectives) == 1 and adjectives[0].endswith("te"):
        return f"{adjectives[0]}s {noun}"
    return " ".join([a[:-1] if a.endswith("en") else a for a in adjectives] + [noun])


@pytest.mark.parametrize("lang", LANGS)
def test_table_names_are_the_sources_names(lang: str) -> None:
    """Every nom (without its article) and formal is CLDR's or iso-codes' name (README, Method)."""
    for r in _rows(lang):
        names = _source_names(r["code"], lang)
        bare = _ARTICLE.sub("", r["nom"]) if lang != "ar" else r["nom"]
        assert _norm(bare) in names or _norm(_strong(bare)) in names, (lang, r["code"], r["nom"], names)
        if r["formal"]:
            assert _norm(r["formal"]) in names, (lang, r["code"], r["formal"], names)


def _un_members() -> list[str]:
    with (DATA.parent / "un_member_states.csv").open(encoding="utf-8", newline="") as f:
        return [r["iso2"] for r in csv.DictReader(f)]


def test_every_state_has_a_row_in_the_language_its_letters_are_written_in() -> None:
    """A UN member state whose letters plea writes in one of its languages (plea.render.locale's
    official_languages, as recipients.choose_language picks them) is named from a row, not the fallback."""
    from plea.render.locale import official_languages
    from plea.render.names import table

    missing = []
    for code in _un_members():
        lang = next((x for x in official_languages(code) if x in LANGS), "en")
        if code not in table(lang):
            missing.append((code, lang))
    assert missing == []


def test_uninflected_languages_name_every_un_member_as_cldr_or_the_table_does() -> None:
    """zh, ja, ar: iso-codes' short names, which the fallback would use, misspell some states (柬埔塞,
    波利维亚) or name another (المالديف for Moldova): every UN member is named by CLDR or by a row."""
    from plea.render.names import table

    for lang in ("zh", "ja", "ar"):
        territories = Locale.parse(lang).territories
        for code in _un_members():
            if code not in table(lang):
                assert state_form(code, lang) == territories[code], (lang, code)


def test_english_covers_every_un_member_and_french_all_but_five() -> None:
    from plea.render.names import table

    members = set(_un_members())
    assert len(members) == 193
    assert members - set(table("en")) == set()
    assert members - set(table("fr")) == {"KI", "TV", "TO", "WS", "PW"}


def test_readme_documents_every_column() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for column in ("code", *FORMS, *SOURCE_COLUMNS):
        assert f"| `{column}` |" in readme, column


# -- the letters as written ------------------------------------------------------------------------


@pytest.fixture
def petrov(plea, db_file) -> str:
    plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--gender", "male",
         "--country", "US", "--situation", "detained", "--rep-name", "Jane Counsel",
         "--reply-to", "counsel@example.org",
         "--persecution", "He was arrested twice for posts against the war.")
    return f"PLEA-{date.today().year}-0001"


def _letter(folder: Path, state: str, line: int = 0) -> tuple[str, str]:
    """A line of the address block (the first: the addressee) and the letter's text. The block is a
    left-to-right frame: its right-to-left lines start with a right-to-left mark, left out here."""
    (path,) = folder.glob(f"*_{state}-US_*.docx")
    paragraphs = Document(str(path)).paragraphs
    (recipient,) = [p.text for p in paragraphs if p.style.name == "Plea Recipient"]
    return recipient.split("\n")[line].removeprefix("\u200f"), "\n".join(p.text for p in paragraphs)


def test_rendered_letters_name_states_as_styled(plea, petrov: str, tmp_path: Path) -> None:
    en, own = tmp_path / "en", tmp_path / "own"
    plea("letters", "render", petrov, "--host", "US", "--to", "GB,TT,KZ", "--lang", "en", "--out", str(en))
    plea("letters", "render", petrov, "--host", "US", "--to", "FR,DE", "--out", str(own))
    ru = tmp_path / "ru"
    plea("letters", "render", petrov, "--host", "US", "--to", "KZ", "--lang", "ru", "--out", str(ru))

    addressee, body = _letter(en, "GB")
    assert addressee == "Embassy of the United Kingdom"
    assert "a citizen of Russia" in body and "the Government of the United Kingdom grant" in body
    assert "cannot return to Russia" in body and "in the United States" in body
    assert _letter(en, "TT")[0] == "Embassy of Trinidad and Tobago"
    assert _letter(en, "KZ")[0] == "Embassy of Kazakhstan"

    assert _letter(own, "FR")[0] == "Ambassade de France"
    addressee, body = _letter(own, "DE")
    assert addressee == "Botschaft der Bundesrepublik Deutschland"
    assert "die Regierung der Bundesrepublik Deutschland möge" in body
    assert "kann nicht nach Russland zurückkehren" in body

    addressee, body = _letter(ru, "KZ")
    assert addressee == "Посольство Республики Казахстан"
    assert "Правительство Республики Казахстан предоставило" in body
    assert "не может вернуться в Россию" in body


def test_a_broken_grammar_file_stops_letters_render_with_one_error(
    plea, petrov: str, db_file, tmp_path: Path, grammar_file: Path
) -> None:
    """GD has no German row: its letter needs the fallback, which needs the file."""
    _edit(grammar_file, lambda g: g["de"]["apposition"].pop("to"))
    out = tmp_path / "de"
    result = plea("letters", "render", petrov, "--host", "US", "--to", "GD", "--lang", "de",
                  "--out", str(out), code=3)
    assert result.stderr == (f"plea: error: {grammar_file}: de.apposition: needs the strings gen, in, to "
                             f"(and strings only)\n{GRAMMAR_HINT}; nothing was written\n")
    assert not out.exists() or not any(out.iterdir())
    assert rows(db_file, "SELECT count(*) FROM letter") == [(0,)]


#: the letter to the British embassy in Washington in the other languages: the addressee (its line in
#: the address block: Japanese and Chinese blocks run from the country down to the mission) and the body
OTHER_LANGUAGES = [
    ("es", 0, "Embajada del Reino Unido", None),
    ("it", 0, "Ambasciata del Regno Unito", None),
    ("pt", 0, "Embaixada do Reino Unido", None),
    ("pl", 0, "Ambasada Zjednoczonego Królestwa Wielkiej Brytanii i Irlandii Północnej",
     "przez Rząd Wielkiej Brytanii"),
    ("tr", 0, "Birleşik Krallık Büyükelçiliği", "Birleşik Krallık Hükümeti tarafından"),
    ("ar", 0, "سفارة المملكة المتحدة", "من حكومة المملكة المتحدة"),
    ("zh", 0, "英国驻美国大使馆", "恳请英国政府"),
    ("ja", 0, "英国大使館", "英国政府におかれましては"),  # then the head of mission: 特命全権大使閣下
]


def test_rendered_letters_in_other_languages(plea, petrov: str, tmp_path: Path) -> None:
    for lang, line, addressee, phrase in OTHER_LANGUAGES:
        out = tmp_path / lang
        plea("letters", "render", petrov, "--host", "US", "--to", "GB", "--lang", lang, "--out", str(out))
        got, body = _letter(out, "GB", line)
        assert got == addressee, lang
        assert phrase is None or phrase in body, lang
        if lang == "tr":
            assert "Rusya'ya geri dönememektedir" in body  # the dative after the apostrophe
            assert _letter(out, "GB", -1)[0] == "AMERİKA BİRLEŞİK DEVLETLERİ"  # Turkish capitals: i → İ


#: letters in the mission's own language (no --lang: plea picks it) and Russian letters to EU states:
#: the addressee each row gives
OWN_LANGUAGE = [
    ("AT", "de", "Botschaft der Republik Österreich"),
    ("MX", "es", "Embajada de México"),
    ("SN", "fr", "Ambassade du Sénégal"),
    ("SA", "ar", "سفارة المملكة العربية السعودية"),
    ("BR", "pt", "Embaixada do Brasil"),
    ("CZ", "en", "Embassy of Czechia"),
]


def test_rendered_letters_to_states_in_their_own_language(plea, petrov: str, tmp_path: Path) -> None:
    own, ru = tmp_path / "own", tmp_path / "ru"
    plea("letters", "render", petrov, "--host", "US", "--to", ",".join(s for s, *_ in OWN_LANGUAGE),
         "--out", str(own))
    for state, lang, addressee in OWN_LANGUAGE:
        (path,) = own.glob(f"*_{state}-US_*.docx")
        assert path.stem.endswith(f"_{lang}"), path.name
        assert _letter(own, state)[0] == addressee, state
    assert "die Regierung Österreichs möge" in _letter(own, "AT")[1]

    plea("letters", "render", petrov, "--host", "US", "--to", "AT,CZ,LT", "--lang", "ru", "--out", str(ru))
    assert _letter(ru, "AT")[0] == "Посольство Австрийской Республики"
    assert _letter(ru, "CZ")[0] == "Посольство Чешской Республики"
    addressee, body = _letter(ru, "LT")
    assert addressee == "Посольство Литовской Республики"
    assert "Правительство Литовской Республики" in body
