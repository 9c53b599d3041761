"""`plea embassies show` says where each fact came from and when it was last checked;
`plea letters plan` warns about contact details older than contact_max_age_days."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from plea.directory import wikidata
from tests.conftest import Days
from tests.dbcheck import execute
from tests.dbcheck import rows as q
from tests.sparql_server import SparqlServer

FR, DE = "Q2841718", "Q324833"
SNAPSHOT = f"Wikidata via database-of-embassies (https://www.wikidata.org/wiki/{FR})"


def show(plea, mid: str) -> dict:
    return json.loads(plea("embassies", "show", mid, "--json").stdout)


def test_shipped_facts_come_from_the_snapshot(plea, db_file: Path) -> None:
    data = show(plea, FR)
    sources = data["sources"]
    assert set(sources) == {"city", "kind", "phone", "website", "latitude", "longitude"}  # the non-empty ones
    assert sources["phone"] == {"value": "+1-202-944-6000", "origin": "source", "source": SNAPSHOT,
                                "checked": "2022-11-16", "by": "", "verified": False}
    text = plea("embassies", "show", FR).stdout
    assert "where each fact comes from (last checked):" in text
    assert f"  {'phone':<12}  2022-11-16  {SNAPSHOT}" in text
    assert "  missing: street_address, email (see `plea embassies gaps --host US`)" in text


def test_edits_and_verification_are_attributed(days: Days, plea, db_file: Path) -> None:
    plea("--actor", "ana", "embassies", "edit", FR, "--email", "visa@ambafrance.example")
    sources = show(plea, FR)["sources"]
    assert sources["email"]["source"] == "edited by ana, not verified since"
    email = sources["email"]
    assert (email["by"], email["verified"]) == ("ana", False) and email["checked"] in days
    assert sources["phone"]["origin"] == "source"
    # --verified with no edit would not say what was checked: the fields are named
    r = plea("--actor", "bo", "embassies", "edit", FR, "--verified", code=3)
    assert r.stderr == ("plea: error: --verified marks the fields this command edits, and it edits none\n"
                        "name the fields you checked: --verified-fields email,address\n")
    plea("--actor", "bo", "embassies", "edit", FR, "--verified-fields", "email,phone")
    sources = show(plea, FR)["sources"]
    checked = sources["email"]["checked"]  # the day bo checked them
    assert checked in days
    for name in ("email", "phone"):
        assert sources[name]["source"] == "verified by bo" and sources[name]["checked"] == checked, name
        assert sources[name]["verified"] is True
    for name in ("website", "city", "kind"):  # not checked: still the snapshot's
        assert (sources[name]["origin"], sources[name]["verified"]) == ("source", False), name
    assert sources["latitude"]["origin"] == "source"  # coordinates are not something a person verifies
    assert f"  {'email':<12}  {checked}  verified by bo" in plea("embassies", "show", FR).stdout
    # an edit with --verified verifies what it edits, and no more
    plea("--actor", "cy", "embassies", "edit", FR, "--website", "https://fr.example/", "--verified")
    sources = show(plea, FR)["sources"]
    assert (sources["website"]["source"], sources["website"]["verified"]) == ("verified by cy", True)
    assert sources["email"]["source"] == "verified by bo" and sources["city"]["origin"] == "source"
    # an edit without it leaves that field unverified, the others as they were
    plea("--actor", "di", "embassies", "edit", FR, "--phone", "+1 202 944 6001")
    sources = show(plea, FR)["sources"]
    assert (sources["phone"]["source"], sources["phone"]["verified"]) == ("edited by di, not verified since", False)
    assert sources["email"]["source"] == "verified by bo" and sources["website"]["source"] == "verified by cy"
    r = plea("embassies", "edit", FR, "--verified-fields", "email,colour", code=3)
    assert r.stderr == ("plea: error: --verified-fields: 'colour' is not a field of a mission; name some of: "
                        "email, phone, address, postcode, area, name, city, website, languages, kind\n")
    r = plea("embassies", "edit", FR, "--verified-fields", "postcode", code=3)
    assert r.stderr == (f"plea: error: --verified-fields: {FR} has no postcode to verify\n"
                        "give the value with its option (e.g. --email …) and --verified\n")


def test_merged_and_refreshed_facts(days: Days, plea, db_file: Path, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "colleague.csv"
    path.write_text(f"id,sending,host,phone,edited_fields\n{DE},DE,US,+1 202 298 4000,phone\n")
    plea("embassies", "import", str(path))
    sources = show(plea, DE)["sources"]
    assert sources["phone"]["source"] == "merged from colleague.csv by tester, not verified since"
    monkeypatch.setattr(wikidata.time, "sleep", lambda s: None)
    with SparqlServer({"US": "us_missions.json"}) as server:
        monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", server.url)
        plea("embassies", "refresh", "--host", "US")
    sources = show(plea, FR)["sources"]
    (retrieved,) = q(db_file, "SELECT retrieved FROM mission WHERE id=?", FR)[0]  # the refresh's day
    assert retrieved in days
    assert sources["email"] == {"value": "info@ambafrance-us.org", "origin": "source",
                                "source": f"Wikidata (https://www.wikidata.org/wiki/{FR})",
                                "checked": retrieved, "by": "", "verified": False}
    assert show(plea, DE)["sources"]["phone"]["origin"] == "person"  # the colleague's phone was kept


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
                "--country", "US", "--situation", "at-liberty").stdout.strip()


def test_letters_plan_warns_about_old_contact_details(days: Days, plea, db_file: Path, case: str) -> None:
    data = json.loads(plea("letters", "plan", case, "--to", "FR,DE,IT", "--json").stdout)
    assert data["contact_max_age_days"] == 365
    stale = {s["sending"]: s for s in data["stale_contacts"]}
    assert sorted(stale) == ["DE", "FR", "IT"]
    assert stale["FR"].pop("days") in days.since(date(2022, 11, 16))  # counted on the day plan ran
    assert stale["FR"] == {"mission": FR, "sending": "FR", "fields": ["phone", "website"],
                           "checked": "2022-11-16"}
    r = plea("letters", "plan", case, "--to", "FR,DE,IT")
    assert ("warning: 3 of 3 recipient(s) have contact details last checked more than 365 days ago "
            "(oldest: 2022-11-16): France (FR): phone, website; ") in r.stderr
    assert "plea embassies refresh --host US" in r.stderr
    # what a person checked today is not old
    plea("embassies", "edit", FR, "--verified-fields", "phone,website")
    data = json.loads(plea("letters", "plan", case, "--to", "FR,DE,IT", "--json").stdout)
    assert sorted(s["sending"] for s in data["stale_contacts"]) == ["DE", "IT"]
    # the limit is a setting
    assert plea("config", "get", "contact_max_age_days").stdout.strip() == "contact_max_age_days = 365"
    plea("config", "set", "contact_max_age_days", "36500")
    r = plea("letters", "plan", case, "--to", "FR,DE,IT")
    assert "warning" not in r.stderr
    assert json.loads(plea("letters", "plan", case, "--to", "DE", "--json").stdout)["stale_contacts"] == []
    r = plea("config", "set", "contact_max_age_days", "soon", code=3)
    assert "contact_max_age_days: 'soon' is not a number of days" in r.stderr


def test_default_age_matches_the_config_default() -> None:
    from plea.directory.provenance import DEFAULT_MAX_AGE_DAYS

    assert DEFAULT_MAX_AGE_DAYS == 365


def test_no_edit_event_still_says_a_person(plea, db_file: Path) -> None:
    execute(db_file, ("UPDATE mission SET email='x@example.org', user_fields='email' WHERE id=?", (FR,)))
    sources = show(plea, FR)["sources"]
    assert sources["email"]["source"] == "edited by a person (when is not recorded)"
    assert sources["email"]["checked"] is None
