"""`plea embassies refresh`: the directory updated from Wikidata, offline, against recorded
answers served on 127.0.0.1 (tests/data/sparql/): the diff, what is written (added, changed,
closed), what is never overwritten (a person's verified values), empty, malformed and slow
answers, being offline, and the done-when of issue 10: a refresh followed by a re-import of the
shipped CSV leaves every user-verified value intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Days
from tests.dbcheck import PleaDB, dicts
from tests.dbcheck import rows as q
from tests.sparql_server import RECORDED, SparqlServer, closed_port

FR, DE, AO, MX, AE, NO, PE, LT = ("Q2841718", "Q324833", "Q5369542", "Q23925187", "Q80567922", "Q5369813",
                                  "Q5369819", "Q12057120")
NEW = "Q130000001"  # a Mexican consulate-general in Chicago, not in the shipped directory


def mission(db: PleaDB, mid: str) -> dict[str, object]:
    found = dicts(db, "SELECT * FROM mission WHERE id=?", mid)
    return found[0] if found else {}


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    import plea.directory.wikidata

    pauses: list[float] = []
    monkeypatch.setattr(plea.directory.wikidata.time, "sleep", pauses.append)
    return pauses


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """serve({"US": "us_missions.json", …}) starts a local endpoint and points plea at it."""
    servers: list[SparqlServer] = []

    def start(answers: dict[str, str | int]) -> SparqlServer:
        server = SparqlServer(answers).__enter__()
        servers.append(server)
        monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", server.url)
        return server

    yield start
    for s in servers:
        s.__exit__(None, None, None)


def test_dry_run_prints_the_diff_and_changes_nothing(plea, db_file: Path, serve) -> None:
    server = serve({"US": "us_missions.json"})
    before = q(db_file, "SELECT * FROM mission ORDER BY id")
    events = q(db_file, "SELECT count(*) FROM event")
    r = plea("embassies", "refresh", "--host", "United States", "--dry-run")
    out = r.stdout
    assert f"+ {NEW}  Mexico (MX)  consulate-general  Chicago" in out
    assert f"~ {FR}  France (FR)  phone: +1-202-944-6000 → +1-202-944-6195" in out
    assert f"~ {FR}  France (FR)  street_address: (none) → 4101 Reservoir Road NW" in out
    assert f"~ {AE}  United Arab Emirates (AE)  email: bostoncon@mofaic.gov.ae → (none)" in out
    assert f"- {AO}  Angola (AO)  closed 2023-05-01" in out
    assert f"! {NO}  email: Wikidata's value 'emb washington at mfa.no' is not valid; left out" in out
    assert "! Q130000002  not added: sent by the host state itself" in out
    assert "Q130000003" not in out  # closed, and never in the directory: nothing to do
    assert f"{PE}" not in out  # an unknown type does not turn an embassy into "other"
    assert "US: 1 added, 4 changed, 1 closed, 3 unchanged" in r.stderr
    assert "dry run: nothing was written" in r.stderr
    assert "asking Wikidata for missions in US" in r.stderr
    assert q(db_file, "SELECT * FROM mission ORDER BY id") == before
    assert q(db_file, "SELECT count(*) FROM event") == events
    assert [req["host"] for req in server.requests] == ["US"]


def test_refresh_adds_changes_closes_and_records_it(days: Days, plea, db_file: Path, serve) -> None:
    serve({"US": "us_missions.json"})
    plea("embassies", "refresh", "--host", "US")
    new = mission(db_file, NEW)
    assert (new["sending"], new["host"], new["kind"], new["city"]) == ("MX", "US", "consulate-general",
                                                                       "Chicago")
    assert (new["email"], new["street_address"], new["postcode"]) == ("infochicago@sre.gob.mx",
                                                                      "204 S Ashland Ave", "60607")
    assert (new["source"], new["licence"]) == ("Wikidata", "CC0-1.0") and new["retrieved"] in days
    assert new["source_ref"] == f"https://www.wikidata.org/wiki/{NEW}" and new["user_fields"] == ""
    fr = mission(db_file, FR)
    assert (fr["phone"], fr["website"], fr["email"]) == ("+1-202-944-6195", "https://franceintheus.org/",
                                                         "info@ambafrance-us.org")
    assert (fr["source"], fr["retrieved"]) == ("Wikidata", new["retrieved"])  # one day for one refresh
    assert mission(db_file, DE)["city"] == "Washington, D.C."  # "West End", a district of Washington
    assert mission(db_file, AE)["email"] == ""  # Wikidata no longer has it
    assert mission(db_file, NO)["email"] == ""  # Wikidata's malformed one was left out
    assert mission(db_file, MX)["phone"] == "+1 202-728-1600"
    assert mission(db_file, PE)["kind"] == "embassy"
    ao = mission(db_file, AO)
    assert ao["user_fields"] == "closed:2023-05-01" and ao["website"] == "http://www.angola.org"
    # a closed mission gets no letters: Angola has no mission for the US any more
    cov = json.loads(plea("embassies", "coverage", "--host", "US", "--json").stdout)
    assert next(r for r in cov["rows"] if r["state"] == "AO")["mission_id"] != AO
    shown = json.loads(plea("embassies", "show", AO, "--json").stdout)
    assert shown["closed_on"] == "2023-05-01"
    listed = json.loads(plea("embassies", "list", "--host", "US", "--sending", "AO", "--json").stdout)
    assert [m["closed_on"] for m in listed if m["id"] == AO] == ["2023-05-01"]
    (event,) = q(db_file, "SELECT kind, subject, data FROM event WHERE kind='embassies.refreshed'")
    data = json.loads(event[2])
    assert event[1] == "host:US"
    assert data["added_ids"] == [NEW] and data["closed_ids"] == [AO] and data["added"] == 1
    assert data["changed_fields"][FR] == ["email", "phone", "postcode", "street_address", "website"]
    assert len(data["sha256"]) == 64 and data["endpoint"].startswith("http://127.0.0.1:")
    # the same answer again: nothing left to change
    r = plea("embassies", "refresh", "--host", "US")
    assert "US: 0 added, 0 changed, 0 closed, 9 unchanged" in r.stderr
    assert "~ " not in r.stdout and "+ " not in r.stdout


def test_a_value_a_person_verified_is_never_overwritten(days: Days, plea, db_file: Path, serve) -> None:
    serve({"US": "us_missions.json"})
    plea("embassies", "edit", DE, "--email", "consular@washington.diplo.de", "--verified")
    verified_on = mission(db_file, DE)["verified_on"]
    assert verified_on in days
    plea("embassies", "edit", FR, "--phone", "+1 202 944 6000 (visa)")  # edited, not verified: also kept
    r = plea("embassies", "refresh", "--host", "US")
    assert (f"= {DE}  Germany (DE)  email: yours kept consular@washington.diplo.de; "
            "Wikidata has info@washington.diplo.de") in r.stdout
    assert f"= {FR}  France (FR)  phone: yours kept +1 202 944 6000 (visa)" in r.stdout
    assert "2 of your values kept" in r.stderr  # DE email (edited and verified), FR phone (edited)
    de = mission(db_file, DE)
    assert de["email"] == "consular@washington.diplo.de"
    assert de["website"] == "https://www.germany.info/us-en"  # not the field verified: Wikidata's is taken
    assert de["phone"] == "+1 202-298-4000"  # empty when verified: Wikidata's is taken
    assert (de["verified_by"], de["verified_on"]) == ("tester", verified_on)
    assert mission(db_file, FR)["phone"] == "+1 202 944 6000 (visa)"
    data = json.loads(q(db_file, "SELECT data FROM event WHERE kind='embassies.refreshed'")[0][0])
    assert data["kept_fields"] == {DE: ["email"], FR: ["phone"]}


def test_refresh_then_reimport_of_shipped_csv_keeps_every_verified_value(plea, db_file: Path, serve) -> None:
    """Issue 10, done when: a refresh from a recorded response followed by a re-import of the
    shipped CSV leaves every user-verified value intact."""
    serve({"US": "us_missions.json", "DE": "de_missions.json"})
    plea("embassies", "edit", FR, "--email", "visa@ambafrance.example", "--address", "4101 Reservoir Rd NW",
         "--languages", "fr,en", "--verified")
    plea("embassies", "edit", DE, "--phone", "+1 202 298 4000", "--verified")
    plea("embassies", "edit", "Q554046", "--website", "https://de.ambafrance.org/fr", "--verified")
    verified = {mid: mission(db_file, mid) for mid in (FR, DE, "Q554046")}
    plea("embassies", "refresh", "--host", "US", "--host", "DE")
    after_refresh = {mid: mission(db_file, mid) for mid in (FR, DE, MX, AE, NEW, AO)}
    r = plea("init")  # re-imports data/embassies.csv
    assert "older than yours (kept yours)" in r.stderr
    for mid, before in verified.items():
        now = mission(db_file, mid)
        for field in before["user_fields"].split():
            assert now[field] == before[field], (mid, field)
        assert (now["verified_on"], now["verified_by"]) == (before["verified_on"], before["verified_by"])
    # and what the refresh brought is not rolled back to the 2022 snapshot either
    for mid, before in after_refresh.items():
        assert mission(db_file, mid) == before, mid
    assert mission(db_file, DE)["email"] == "info@washington.diplo.de"
    assert mission(db_file, "Q554046")["phone"] == "+49 30 590039000"
    assert mission(db_file, "Q554046")["city"] == "Berlin"


def test_several_hosts_one_query_each_with_a_pause(plea, db_file: Path, serve, no_pause: list[float]) -> None:
    server = serve({"US": "us_missions.json", "DE": "de_missions.json"})
    r = plea("embassies", "refresh", "--host", "US", "--host", "Germany", "--json")
    data = json.loads(r.stdout)
    assert [h["host"] for h in data["hosts"]] == ["US", "DE"] and data["dry_run"] is False
    assert [req["host"] for req in server.requests] == ["US", "DE"] and len(no_pause) == 1
    de = data["hosts"][1]
    assert de["counts"]["added"] == 1 and de["added"][0]["id"] == "Q130000010"
    assert de["added"][0]["city"] == "Berlin"  # Charlottenburg-Wilmersdorf
    assert de["changed"][0]["fields"]["street_address"] == {"before": "", "after": "Pariser Platz 5"}
    us = data["hosts"][0]
    assert us["closed"] == [{"id": AO, "sending": "AO", "closed_on": "2023-05-01"}]
    assert us["left_out_invalid"] == [{"id": NO, "field": "email", "value": "emb washington at mfa.no"}]
    assert NEW in [a["id"] for a in us["added"]] and us["not_in_answer"]
    assert len(q(db_file, "SELECT id FROM event WHERE kind='embassies.refreshed'")) == 2


def test_one_bad_answer_and_nothing_is_written_for_any_host(plea, db_file: Path, serve) -> None:
    serve({"US": "us_missions.json", "DE": "malformed_truncated.json"})
    before = q(db_file, "SELECT * FROM mission ORDER BY id")
    r = plea("embassies", "refresh", "--host", "US", "--host", "DE", code=8)
    assert "plea: error: the answer for DE is not a SPARQL JSON result (not JSON: " in r.stderr
    assert "nothing was changed" in r.stderr and "Traceback" not in r.stderr
    assert q(db_file, "SELECT * FROM mission ORDER BY id") == before


def test_malformed_shape_is_refused(plea, db_file: Path, serve) -> None:
    serve({"US": "malformed_shape.json"})
    r = plea("embassies", "refresh", "--host", "US", code=8)
    assert "row 1 is not a map of variables to {type, value}" in r.stderr


def test_empty_answer_changes_nothing(plea, db_file: Path, serve) -> None:
    serve({"US": "empty.json"})
    before = q(db_file, "SELECT * FROM mission ORDER BY id")
    events = q(db_file, "SELECT count(*) FROM event")
    r = plea("embassies", "refresh", "--host", "US")
    assert "US: Wikidata returned no missions; nothing was changed for US" in r.stderr
    assert q(db_file, "SELECT * FROM mission ORDER BY id") == before  # no mission was taken for closed
    assert q(db_file, "SELECT count(*) FROM event") == events


def test_timeout(plea, db_file: Path, serve) -> None:
    serve({"US": "slow"})
    r = plea("embassies", "refresh", "--host", "US", "--timeout", "1", code=8)
    assert "did not answer within 1 s" in r.stderr and "--timeout" in r.stderr


def test_offline(plea, db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", closed_port())
    r = plea("embassies", "refresh", "--host", "US", code=8)
    assert "plea: error: cannot reach the Wikidata query service at 127.0.0.1:" in r.stderr
    assert "are you offline? nothing was changed" in r.stderr


def test_overloaded_service(plea, db_file: Path, serve) -> None:
    serve({"US": 500})
    r = plea("embassies", "refresh", "--host", "US", code=8)
    assert "stopped the query after its own time limit (HTTP 500)" in r.stderr


def test_closed_mission_open_again_is_reopened(plea, db_file: Path, serve, tmp_path: Path) -> None:
    serve({"US": "us_missions.json"})
    plea("embassies", "refresh", "--host", "US")
    doc = json.loads((RECORDED / "us_missions.json").read_text())
    for row in doc["results"]["bindings"]:
        row.pop("dissolved", None)
    reopened = tmp_path / "reopened.json"
    reopened.write_text(json.dumps(doc))
    serve({"US": str(reopened)})
    r = plea("embassies", "refresh", "--host", "US")
    assert f"+ {AO}  Angola (AO)  open again" in r.stdout and "1 reopened" in r.stderr
    assert mission(db_file, AO)["user_fields"] == ""
    cov = json.loads(plea("embassies", "coverage", "--host", "US", "--json").stdout)
    assert next(r for r in cov["rows"] if r["state"] == "AO")["mission_id"] == AO


def test_closing_keeps_a_persons_edits(plea, db_file: Path, serve) -> None:
    plea("embassies", "edit", AO, "--email", "info@angola.example", "--verified")
    serve({"US": "us_missions.json"})
    plea("embassies", "refresh", "--host", "US")
    ao = mission(db_file, AO)
    assert ao["email"] == "info@angola.example"
    assert ao["user_fields"].split() == ["closed:2023-05-01", "email"]
    plea("init")
    assert mission(db_file, AO)["user_fields"] == ao["user_fields"]


def test_unknown_host(plea, db_file: Path) -> None:
    r = plea("embassies", "refresh", "--host", "Atlantis", code=4)
    assert "unknown host state 'Atlantis'" in r.stderr


def test_only_older_wikidata_copies_are_kept_out(plea, db_file: Path, serve, tmp_path: Path) -> None:
    serve({"US": "us_missions.json"})
    plea("embassies", "refresh", "--host", "US")
    old = tmp_path / "old.csv"
    old.write_text(f"id,sending,host,phone,source,retrieved\n"
                   f"{FR},FR,US,+1 000,Wikidata via database-of-embassies,2022-11-16\n"
                   f"{MX},MX,US,+1 111,NGO contact list,2020-01-01\n")
    r = plea("embassies", "import", str(old))
    assert r.stdout.strip() == "0 added, 1 updated, 0 unchanged, 1 older than yours (kept yours)"
    assert mission(db_file, FR)["phone"] == "+1-202-944-6195"
    assert mission(db_file, MX)["phone"] == "+1 111"  # another source: imported as before
