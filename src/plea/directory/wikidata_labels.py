"""How Wikidata's labels become plea's values: mission types to kinds, districts to the city they
are part of, contact values cleaned, several values reduced to one.

One copy for both users: scripts/build_embassies.py (which builds data/embassies.csv from the 2022
snapshot; tests/test_embassy_data.py checks the build still reproduces it byte for byte) and
plea.directory.wikidata (`plea embassies refresh`). Standard library only.
"""

from __future__ import annotations

import re

# Source `type` (lower-cased) -> kind slug. Anything not listed becomes "other".
# fmt: off
KINDS: dict[str, str] = {
    "embassy": "embassy", "embassy of the united states": "embassy",
    "high commission": "high-commission", "british high commission": "high-commission",
    "australian high commission": "high-commission",
    "apostolic nunciature": "nunciature",
    "consulate general": "consulate-general", "consulate general of sweden": "consulate-general",
    "consulate general of belgium": "consulate-general",
    "consulate": "consulate", "vice consulate": "consulate", "consulates of sweden": "consulate",
    "consular office": "consulate", "consular agency": "consulate",
    "assistant high commission": "consulate",  # the Commonwealth name of a consulate-level post
    "honorary consulate": "honorary-consulate",
    "permanent mission": "permanent-mission", "delegation": "permanent-mission",
    "permanent delegation": "permanent-mission",
    "ministry of foreign affairs": "foreign-ministry", "foreign ministry": "foreign-ministry",
    # De facto embassies/consulates (e.g. Taipei offices), liaison, trade and representative offices,
    # interests sections, apostolic delegations (not diplomatic) and untyped missions -> "other".
}
# fmt: on

# City -> the districts or municipalities (by the source's cityQID, with its label as a check) that
# are part of it. Each was checked against the rows' coordinates. Other cities stay as given.
# fmt: off
CITY_DISTRICTS: dict[str, dict[str, str]] = {
    # Germany
    "Berlin": {"Q163966": "Mitte", "Q158064": "Steglitz-Zehlendorf", "Q163012": "Pankow",
               "Q158095": "Charlottenburg-Wilmersdorf", "Q4071168": "Neukölln"},
    "Hamburg": {"Q1626": "Hamburg-Mitte"},
    "Munich": {"Q256012": "Maxvorstadt", "Q537044": "Ludwigsvorstadt-Isarvorstadt"},
    # United Kingdom
    "London": {"Q179351": "City of Westminster", "Q188801": "Royal Borough of Kensington and Chelsea",
               "Q202088": "London Borough of Camden", "Q210563": "London Borough of Wandsworth",
               "Q124184": "Mayfair", "Q123634": "Marylebone", "Q288781": "Kensington",
               "Q1045096": "South Kensington", "Q123024": "Belgravia", "Q189960": "Westminster",
               "Q277162": "Hammersmith"},
    "Edinburgh": {"Q2379199": "City of Edinburgh"},
    # Belgium: municipalities of the Brussels-Capital Region
    "Brussels": {"Q242393": "Woluwe-Saint-Pierre - Sint-Pieters-Woluwe",
                 "Q211764": "Woluwe-Saint-Lambert - Sint-Lambrechts-Woluwe", "Q208713": "Ixelles - Elsene",
                 "Q203312": "Uccle", "Q192859": "Etterbeek", "Q12887": "Schaerbeek - Schaarbeek",
                 "Q72946": "Forest", "Q272228": "Auderghem - Oudergem",
                 "Q237674": "Saint-Gilles - Sint-Gillis",
                 "Q272262": "Watermael-Boitsfort / Watermaal-Bosvoorde"},
    # United States
    "Washington, D.C.": {"Q7985046": "West End"},  # the Washington neighbourhood
    "New York City": {"Q11299": "Manhattan"},
    # Spain, Sweden, Norway, Poland, Georgia, Turkey
    "Madrid": {"Q1766348": "Chamartín"},
    "Stockholm": {"Q506250": "Stockholm Municipality", "Q862144": "Norrmalm city district",
                  "Q12904658": "Östermalm city district", "Q298489": "Östermalm"},
    "Oslo": {"Q5245991": "Oslo municipality"},
    "Warsaw": {"Q7095": "Śródmieście", "Q1887504": "Wilanów"},
    "Gdańsk": {"Q9378197": "Wrzeszcz Górny"},
    "Tbilisi": {"Q445572": "Old Tbilisi"},
    "Istanbul": {"Q459495": "Beşiktaş", "Q217411": "Beyoğlu"},
    "Ankara": {"Q6379026": "Kavaklıdere, Çankaya"},
    # Russia: districts and a street of Moscow
    "Moscow": {"Q862100": "Khamovniki District", "Q2320761": "Presnensky District",
               "Q1669860": "Basmanny District", "Q2358875": "Dorogomilovo District",
               "Q2710104": "Tverskoy District", "Q626920": "Arbat District", "Q4280628": "Mansurovsky Lane"},
    # Japan: wards and neighbourhoods (the same ward name exists in several cities: hence the QIDs)
    "Tokyo": {"Q190088": "Minato-ku", "Q193638": "Shibuya-ku", "Q214051": "Chiyoda-ku",
              "Q233903": "Meguro-ku", "Q233495": "Shinagawa-ku", "Q231645": "Setagaya-ku",
              "Q179645": "Shinjuku", "Q212704": "Chūō-ku", "Q416131": "Akasaka", "Q4832010": "Azabudai",
              "Q11401302": "Kita-Shinagawa", "Q11528788": "Higashi-Azabu", "Q5358662": "Nishi-Azabu",
              "Q265071": "Roppongi", "Q1185069": "Kōjimachi", "Q3346530": "Kudanminami",
              "Q11513509": "Kasuga"},  # Kasuga, Bunkyō
    "Osaka": {"Q1207746": "Kita-ku", "Q60996434": "Kyūtarō-machi"},
    "Kobe": {"Q686802": "Chūō-ku"},
    "Sapporo": {"Q1079635": "Chuo-ku"},
    "Hiroshima": {"Q63442": "Minami-ku"},
    "Yokohama": {"Q101287526": "Yamatechō"},
    "Naha": {"Q11369669": "Kumoji"},
    # China
    "Beijing": {"Q394701": "Chaoyang District", "Q10867012": "Sanlitun Subdistrict",
                "Q4881502": "Beixinqiao Subdistrict", "Q2791698": "Chaowai Subdistrict",
                "Q11065282": "Jianwai Subdistrict"},
    "Guangzhou": {"Q917049": "Tianhe District", "Q1022928": "Yuexiu District", "Q1022913": "Haizhu District"},
    "Shenyang": {"Q1362541": "Heping District"},
    "Qingdao": {"Q1198158": "Shinan District", "Q182982": "Chengyang District"},
    "Hong Kong": {"Q312485": "Central and Western District", "Q14767": "Central"},
    "Macau": {"Q1135665": "Sé"},
    # India, Mexico, Australia
    "New Delhi": {"Q12426223": "Chanakyapuri", "Q7916342": "Vasant Vihar"},
    "Mexico City": {"Q785318": "Polanco", "Q5148221": "Colonia Cuauhtémoc, Mexico City"},
    "Canberra": {"Q471064": "Yarralumla", "Q3197126": "Kingston"},  # Kingston, ACT (Jamaica's is Q34692)
    # Other capitals given as their municipality or district
    "Sofia": {"Q4442915": "Sofia Capital Municipality"},
    "Copenhagen": {"Q504125": "Copenhagen Municipality"},
    "Athens": {"Q1224979": "Athens Municipality"},
    "Ljubljana": {"Q3434113": "Ljubljana City Municipality"},
    "Pristina": {"Q3625575": "Prishtina Municipality"},
    "Podgorica": {"Q3305250": "Podgorica Municipality"},
    "Sarajevo": {"Q1270190": "Centar Municipality"},
    "Yerevan": {"Q2573437": "Kentron District"},
    "Seoul": {"Q36929": "Jongno District", "Q50441": "Jung District", "Q50429": "Yongsan District"},
}
# fmt: on
DISTRICTS = {q: (label, city) for city, ds in CITY_DISTRICTS.items() for q, label in ds.items()}
# Whole families of districts, by label.
DISTRICT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\d+(?:st|nd|rd|th) arrondissement of (Paris|Lyon|Marseille)$"), r"\1"),
    (re.compile(r"^Budapest District [IVXL]+$"), "Budapest"),
    (re.compile(r"^Washington,? D\.? ?C\.?$"), "Washington, D.C."),
]


def qid(url: str) -> str:
    return url.strip().rsplit("/", 1)[-1]


def real_city(label: str, city_qid: str) -> str:
    label = label.strip()
    district = DISTRICTS.get(city_qid)
    if district and district[0] == label:
        return district[1]
    for pattern, city in DISTRICT_PATTERNS:
        if pattern.match(label):
            return pattern.sub(city, label)
    return label


def clean(field: str, value: str) -> str:
    value = " ".join(value.split())
    if field == "email" and value.lower().startswith("mailto:"):
        value = value[7:].strip()
    if field == "phone" and value.lower().startswith("tel:"):
        value = value[4:].strip()
    return value


def pick(values: list[str]) -> tuple[str, list[str]]:
    """The first of the sorted distinct non-empty values, and the others."""
    distinct = sorted({v for v in values if v})
    return (distinct[0], distinct[1:]) if distinct else ("", [])
