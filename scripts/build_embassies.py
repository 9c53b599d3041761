#!/usr/bin/env python3
"""Build data/embassies.csv from the database-of-embassies Wikidata snapshot (2022-11-16, CC0).

Usage: python scripts/build_embassies.py [--source PATH] [--out PATH]

The source is `;`-separated, one row per (mission x value) of a SPARQL query, so a mission's
Wikidata id can repeat. This script merges rows per id, maps state names to ISO 3166-1 alpha-2
codes (Babel's CLDR English names plus the Wikidata spellings below), maps districts to their
city and the mission type to a kind slug (tables in src/plea/directory/wikidata_labels.py, shared with
`plea embassies refresh`), and writes a sorted, deterministic CSV (UTF-8, `\\n`,
comma, minimal quoting) atomically. It never fills in a value the source does not give.
A summary (rows read, written, dropped and why) goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from babel import Locale

REPO = Path(__file__).resolve().parent.parent
try:  # the mission types, districts and cleaning rules are shared with `plea embassies refresh`
    from plea.directory.wikidata_labels import KINDS, clean, pick, qid, real_city
except ImportError:  # run from a checkout where plea is not installed
    sys.path.insert(0, str(REPO / "src"))
    from plea.directory.wikidata_labels import KINDS, clean, pick, qid, real_city
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


def country_codes() -> dict[str, str]:
    """English state name -> alpha-2, from CLDR plus the Wikidata spellings."""
    names = {
        name: code
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_ISO
    }
    names.update(WIKIDATA_NAMES)
    return names


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
