"""The shipped embassy directory (data/embassies.csv) and the script that builds it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "build_embassies.py"
DATA = REPO / "data"
EMBASSIES = DATA / "embassies.csv"
SHARED = REPO.parent / "shared" / "data"
SOURCE = SHARED / "embassies" / "database_of_embassies_2022-11-16.csv"

HEADER = [
    "id", "sending", "host", "city", "kind", "street_address", "postcode", "email", "phone", "website",
    "latitude", "longitude", "accredited_to", "languages", "source", "source_ref", "licence", "retrieved",
    "verified_on", "verified_by", "notes",
]  # fmt: skip
KINDS = {
    "embassy", "high-commission", "nunciature", "consulate-general", "consulate", "honorary-consulate",
    "permanent-mission", "foreign-ministry", "other",
}  # fmt: skip
RESIDENT = {"embassy", "high-commission", "nunciature"}
PROVENANCE = ("Wikidata via database-of-embassies", "CC0-1.0", "2022-11-16")
SOURCE_HEADER = (
    "operator;operatorQID;jurisdictions;jurisdictionQIDs;country;countryQID;city;cityQID;address;latitude;"
    "longitude;phone;email;website;facebook;twitter;youtube;picture;pictureAuthor;pictureLicense;"
    "pictureLicenseURL;type;typeQID;creation;QID;"
)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(EMBASSIES, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def un_members() -> set[str]:
    """Alpha-2 codes of the UN member states."""
    with open(DATA / "un_member_states.csv", encoding="utf-8", newline="") as f:
        return {row["iso2"] for row in csv.DictReader(f)}


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, check=True
    )


# --- the build is reproducible -------------------------------------------------------------------


@pytest.mark.skipif(not SOURCE.exists(), reason=f"shared source file absent: {SOURCE}")
def test_script_reproduces_shipped_csv_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "embassies.csv"
    result = run_script("--out", out)
    assert out.read_bytes() == EMBASSIES.read_bytes()
    assert "rows read: 9852" in result.stderr
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


def test_un_member_states_has_193_clean_codes() -> None:
    text = (DATA / "un_member_states.csv").read_bytes()
    assert b"\r" not in text
    with open(DATA / "un_member_states.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 193 == len({r["iso2"] for r in rows})
    assert all(re.fullmatch(r"[A-Z]{2}", r["iso2"]) and re.fullmatch(r"[A-Z]{3}", r["iso3"]) for r in rows)
    assert {"GB", "GR", "FR", "RU", "US"} <= {r["iso2"] for r in rows}


@pytest.mark.skipif(not (SHARED / "un_member_states.csv").exists(), reason="shared file absent")
def test_un_member_states_differs_from_shared_only_by_the_two_fixed_codes() -> None:
    shared = (SHARED / "un_member_states.csv").read_text(encoding="utf-8").replace("\r\n", "\n")
    fixed = shared.replace("^GB$|^UK$,", "GB,").replace("^GR$|^EL$,", "GR,")
    assert (DATA / "un_member_states.csv").read_text(encoding="utf-8") == fixed


def source_row(qid: str, operator: str, host: str, city: str, city_qid: str, **extra: str) -> list[str]:
    """One row of a database-of-embassies file (25 columns plus the trailing empty one)."""
    entity = "http://www.wikidata.org/entity/"
    cells = {c: "" for c in SOURCE_HEADER.split(";")}
    cells.update(operator=operator, country=host, city=city, cityQID=entity + city_qid, QID=entity + qid)
    cells.update(jurisdictions="Canada|Mexico", latitude="1.5", longitude="2.5", type="embassy")
    cells.update(extra)
    return list(cells.values())


def test_merging_districts_and_drops_on_a_small_source(tmp_path: Path) -> None:
    us, paris16 = "United States of America", "16th arrondissement of Paris"
    source = tmp_path / "source.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        f.write(SOURCE_HEADER + "\n")
        csv.writer(f, delimiter=";", lineterminator="\n").writerows([
            source_row("Q2", "Lithuania", us, "West End", "Q7985046", website="https://b.lt",
                       phone="tel:+1 555", email="mailto:x@example.org"),
            source_row("Q2", "Lithuania", us, "West End", "Q7985046", website="https://a.lt"),
            source_row("Q3", "Ivory Coast", "France", paris16, "Q194420", type="consulate general"),
            source_row("Q4", "Angola", "Germany", "Mitte", "Q163966", type="apostolic nunciature"),
            source_row("Q5", "Sovereign Military Order of Malta", "Germany", "Mitte", "Q163966"),
            source_row("Q6", "Australia", "Australia", "Mitte", "Q163966"),
        ])  # fmt: skip
    out = tmp_path / "out.csv"
    result = run_script("--source", source, "--out", out)
    text = out.read_text(encoding="utf-8")
    assert "\r" not in text
    got = {r["id"]: r for r in csv.DictReader(text.splitlines())}
    assert sorted(got) == ["Q2", "Q3", "Q4"]
    q2, q3, q4 = got["Q2"], got["Q3"], got["Q4"]
    assert (q2["website"], q2["notes"]) == ("https://a.lt", "also website: https://b.lt")
    assert (q2["sending"], q2["host"], q2["city"]) == ("LT", "US", "Washington, D.C.")
    assert (q2["email"], q2["phone"], q2["accredited_to"]) == ("x@example.org", "+1 555", "CA MX")
    assert (q3["sending"], q3["city"], q3["kind"]) == ("CI", "Paris", "consulate-general")
    assert (q4["city"], q4["kind"], q4["notes"]) == ("Berlin", "nunciature", "")
    assert "rows dropped: 2" in result.stderr


# --- the shipped file ----------------------------------------------------------------------------


def test_file_format() -> None:
    raw = EMBASSIES.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    assert raw.split(b"\n", 1)[0].decode() == ",".join(HEADER)


def test_header_and_size(rows: list[dict[str, str]]) -> None:
    assert list(rows[0]) == HEADER
    assert len(rows) > 9000


def test_ids_unique_wikidata_items(rows: list[dict[str, str]]) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"Q\d+", i) for i in ids)
    assert all(r["source_ref"] == f"https://www.wikidata.org/wiki/{r['id']}" for r in rows)


def test_codes_and_kinds(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert re.fullmatch(r"[A-Z]{2}", r["sending"]), r
        assert re.fullmatch(r"[A-Z]{2}", r["host"]), r
        assert r["kind"] in KINDS, r
        others = r["accredited_to"].split()
        assert len(others) == len(set(others)), r
        assert all(re.fullmatch(r"[A-Z]{2}", c) and c not in (r["host"], r["sending"]) for c in others), r
        assert r["sending"] != r["host"] or r["kind"] == "foreign-ministry", r


def test_every_un_member_sends_and_hosts(rows: list[dict[str, str]]) -> None:
    members = un_members()
    assert members <= {r["sending"] for r in rows}
    assert members <= {r["host"] for r in rows}


def test_rows_sorted(rows: list[dict[str, str]]) -> None:
    keys = [(r["host"], r["sending"], r["kind"], r["city"], r["id"]) for r in rows]
    assert keys == sorted(keys)


def test_no_newlines_and_emails_have_at(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert not any("\n" in v or "\r" in v for v in r.values()), r
        assert not r["email"] or ("@" in r["email"] and not r["email"].startswith("mailto:")), r
        assert not r["phone"].startswith("tel:"), r


def test_provenance(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert (r["source"], r["licence"], r["retrieved"]) == PROVENANCE
        assert r["verified_on"] == r["verified_by"] == r["languages"] == r["postcode"] == ""


def test_un_members_resident_in_united_states(rows: list[dict[str, str]]) -> None:
    members = un_members()
    assert len(members) == 193
    senders = {r["sending"] for r in rows if r["host"] == "US" and r["kind"] in RESIDENT}
    assert len(senders & members) >= 168


def test_paris_missions_are_in_paris(rows: list[dict[str, str]]) -> None:
    france = [r for r in rows if r["host"] == "FR"]
    assert not [r for r in france if "arrondissement" in r["city"]]
    assert sum(r["city"] == "Paris" for r in france) >= 150
    by_id = {r["id"]: r for r in rows}
    assert by_id["Q1854450"]["city"] == "Paris"  # Afghanistan's embassy, "16th arrondissement of Paris"


def test_berlin_districts_are_berlin(rows: list[dict[str, str]]) -> None:
    germany = [r for r in rows if r["host"] == "DE"]
    assert not [r for r in germany if r["city"] in {"Mitte", "Charlottenburg-Wilmersdorf", "Pankow"}]
    assert sum(r["city"] == "Berlin" for r in germany) >= 150
    by_id = {r["id"]: r for r in rows}
    assert by_id["Q542028"]["city"] == "Berlin"  # Angola's embassy, given as "Mitte"


def test_london_and_washington(rows: list[dict[str, str]]) -> None:
    assert not [r for r in rows if r["host"] == "GB" and "Westminster" in r["city"]]
    us_cities = {r["city"] for r in rows if r["host"] == "US"}
    assert "Washington, D.C." in us_cities
    assert not [c for c in us_cities if c.startswith("Washington") and c != "Washington, D.C."]
