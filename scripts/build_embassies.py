#!/usr/bin/env python3
"""Build data/embassies.csv from the database-of-embassies Wikidata snapshot (2022-11-16, CC0).

Usage: python scripts/build_embassies.py [--source PATH] [--out PATH]

The source is `;`-separated, one row per (mission x value) of a SPARQL query, so a mission's
Wikidata id can repeat. This script merges rows per id, maps state names to ISO 3166-1 alpha-2
codes (Babel's CLDR English names plus the Wikidata spellings below), maps districts to their
city, maps the mission type to a kind slug, and writes a sorted, deterministic CSV (UTF-8, `\\n`,
comma, minimal quoting) atomically. It never fills in a value the source does not give.
A summary (rows read, written, dropped and why) goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from babel import Locale

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "embassies" / "database_of_embassies_2022-11-16.csv"
DEFAULT_OUT = REPO / "data" / "embassies.csv"

COLUMNS = [
    "id", "sending", "host", "city", "kind", "street_address", "postcode", "email", "phone", "website",
    "latitude", "longitude", "accredited_to", "languages", "source", "source_ref", "licence", "retrieved",
    "verified_on", "verified_by", "notes",
]  # fmt: skip
# Output column <- source column, values taken as given (trimmed).
COPIED = {"street_address": "address", "email": "email", "phone": "phone", "website": "website"}
SOURCE_NAME = "Wikidata via database-of-embassies"
LICENCE = "CC0-1.0"
RETRIEVED = "2022-11-16"

# CLDR region codes that are not ISO 3166-1 country codes (groupings, exceptionally reserved
# codes, pseudo-locales). XK (Kosovo, user-assigned but in common use) is kept.
NOT_ISO = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}

# Wikidata's English labels (as normalised by database-of-embassies) that differ from CLDR's.
# fmt: off
WIKIDATA_NAMES: dict[str, str] = {
    "Antigua and Barbuda": "AG", "Bosnia and Herzegovina": "BA", "Czech Republic": "CZ",
    "Democratic Republic of the Congo": "CD", "Republic of the Congo": "CG", "East Timor": "TL",
    "Federated States of Micronesia": "FM", "Hong Kong": "HK", "Macau": "MO", "Ivory Coast": "CI",
    "Kingdom of Denmark": "DK", "Kingdom of the Netherlands": "NL", "Myanmar": "MM",
    "Palestine": "PS", "State of Palestine": "PS", "People's Republic of China": "CN",
    "Republic of China": "TW", "Republic of Ireland": "IE", "Saint Kitts and Nevis": "KN",
    "Saint Lucia": "LC", "Saint Vincent and the Grenadines": "VC", "São Tomé and Príncipe": "ST",
    "The Bahamas": "BS", "The Gambia": "GM", "Trinidad and Tobago": "TT", "Turkey": "TR",
    "Turks and Caicos Islands": "TC", "United States of America": "US",
    # Vatican City (Q237) and the Holy See (Q159583) both carry the label "Vatican"; ISO's VA is both.
    "Holy See": "VA", "Vatican": "VA",
    # Operators that are a state's own government or foreign ministry: the sending state is that state.
    "Government of Sweden": "SE",
    "Ministry of Foreign Affairs and Cooperation of the Republic of Rwanda": "RW",
    "Ministry of Foreign Affairs of the People's Republic of China": "CN",
    "Ministry of Foreign Affairs of the Russian Federation": "RU",
}
# fmt: on
# Names deliberately left without a code (rows with them as operator or host are dropped):
# Sahrawi Arab Democratic Republic, Abkhazia, South Ossetia, Turkish Republic of Northern Cyprus,
# Somaliland, Sovereign Military Order of Malta, European Union/Parliament, Quebec, Central Tibetan
# Administration, "Ministry of Foreign Affairs" (which state's is not said), provinces and regions.

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


def country_codes() -> dict[str, str]:
    """English state name -> alpha-2, from CLDR plus the Wikidata spellings."""
    names = {
        name: code
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_ISO
    }
    names.update(WIKIDATA_NAMES)
    return names


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


def build(rows: list[dict[str, str]], drops: Counter[str], details: list[str]) -> list[dict[str, str]]:
    """Merge rows per mission id into output records; count dropped rows in `drops`."""
    codes = country_codes()
    unmapped: dict[str, Counter[str]] = defaultdict(Counter)
    same: Counter[str] = Counter()  # operator == host, by operator
    by_id: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_id[qid(row["QID"])].append(row)

    out = []
    for mission_id, group in by_id.items():
        if not mission_id:
            drops["no Wikidata id"] += len(group)
            continue
        operators = {r["operator"].strip() for r in group}
        hosts = {r["country"].strip() for r in group}
        if len(operators) > 1 or len(hosts) > 1:
            drops["one id with several operators or hosts"] += len(group)
            details.append(f"{mission_id} has several operators or hosts: {sorted(operators | hosts)}")
            continue
        operator, host_name = operators.pop(), hosts.pop()
        sending, host = codes.get(operator), codes.get(host_name)
        if not sending or not host:
            for role, name, code in (("operator", operator, sending), ("host", host_name, host)):
                if not code:
                    unmapped[f"no ISO code for {role}"][name or "(empty)"] += len(group)
            drops["operator or host has no ISO 3166-1 code"] += len(group)
            continue

        values: dict[str, list[str]] = {
            "city": [real_city(r["city"], qid(r["cityQID"])) for r in group],
            "kind": [KINDS.get(r["type"].strip().lower(), "other") for r in group],
        }
        for field, col in COPIED.items():
            values[field] = [clean(field, r[col]) for r in group]
        # Coordinates are kept as a pair, as the source gives them.
        coordinates = [(r["latitude"].strip(), r["longitude"].strip()) for r in group]
        values["coordinates"] = [f"{lat},{lon}" if lat or lon else "" for lat, lon in coordinates]
        record = {c: "" for c in COLUMNS}
        notes = []
        for field, vals in values.items():
            record[field], others = pick(vals)
            if field == "coordinates":
                others = [", ".join(part or "(none)" for part in o.split(",")) for o in others]
            notes += [f"also {field}: {o}" for o in others]
        record["latitude"], _, record["longitude"] = record.pop("coordinates").partition(",")
        if sending == host and record["kind"] != "foreign-ministry":
            drops["operator equals host and not a foreign ministry"] += len(group)
            same[operator] += len(group)
            continue

        # Other states the mission also covers; a few source rows list the sending state itself: left out.
        accredited = [codes.get(n.strip(), "") for r in group for n in r["jurisdictions"].split("|")]
        record.update(
            id=mission_id,
            sending=sending,
            host=host,
            accredited_to=" ".join(dict.fromkeys(c for c in accredited if c and c not in (host, sending))),
            source=SOURCE_NAME,
            source_ref=f"https://www.wikidata.org/wiki/{mission_id}",
            licence=LICENCE,
            retrieved=RETRIEVED,
            notes="; ".join(notes),
        )
        out.append(record)

    unmapped["operator equals host, by operator"] = same
    for label, names in sorted(unmapped.items()):
        if names:
            details.append(f"{label}: " + ", ".join(f"{n} ({c})" for n, c in names.most_common()))
    out.sort(key=lambda r: (r["host"], r["sending"], r["kind"], r["city"], r["id"]))
    return out


def write_atomically(records: list[dict[str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writeheader()
            writer.writerows(records)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="database-of-embassies CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output CSV (data/embassies.csv)")
    args = parser.parse_args(argv)

    with open(args.source, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    drops: Counter[str] = Counter()
    details: list[str] = []
    records = build(rows, drops, details)
    write_atomically(records, args.out)

    merged = len(rows) - sum(drops.values()) - len(records)
    print(f"rows read: {len(rows)}", file=sys.stderr)
    print(f"rows written: {len(records)} (to {args.out})", file=sys.stderr)
    print(f"rows merged into another row of the same id: {merged}", file=sys.stderr)
    print(f"rows dropped: {sum(drops.values())}", file=sys.stderr)
    for reason, n in sorted(drops.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {n:5d}  {reason}", file=sys.stderr)
    for line in details:
        print(f"  - {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
