"""plea.directory.wikidata: the query, the request (User-Agent, timeout, offline, HTTP errors, pause between
hosts) and reading answers (malformed ones refused; several values, districts, closures reduced),
all offline: against recorded answers served on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plea.directory import wikidata
from plea.directory.wikidata_labels import real_city
from plea.errors import ExitStatus, ExternalProblem, InvalidInput
from tests.sparql_server import RECORDED, SparqlServer, closed_port
from tests.tiers import examples


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def by_id(answer: wikidata.Answer) -> dict[str, wikidata.Found]:
    return {m.id: m for m in answer.missions}


# -- the query ---------------------------------------------------------------------------------

def test_query_asks_for_one_host_with_the_issue_properties() -> None:
    q = wikidata.query_for("US")
    assert 'wdt:P297 "US"' in q
    for prop in ("P6375", "P281", "P968", "P1329", "P856", "P625", "P576", "P3999", "P131", "P137", "P17"):
        assert f"wdt:{prop}" in q, prop
    with pytest.raises(InvalidInput):
        wikidata.query_for('US" } ; DROP')  # only a plain alpha-2 code goes into the query


# -- reading answers ---------------------------------------------------------------------------

def test_recorded_us_answer_is_reduced_to_one_mission_each() -> None:
    answer = wikidata.parse(recorded("us_missions.json"), host="US")
    assert answer.rows == 12 and answer.host == "US" and len(answer.sha256) == 64
    got = by_id(answer)
    assert len(got) == 11  # France's two rows (an English and a French address) are one mission
    fr = got["Q2841718"]
    assert (fr.sending, fr.kind, fr.city) == ("FR", "embassy", "Washington, D.C.")
    assert fr.street_address == "4101 Reservoir Road NW"  # the English address is preferred
    assert (fr.postcode, fr.email, fr.phone) == ("20007", "info@ambafrance-us.org", "+1-202-944-6195")
    assert (fr.latitude, fr.longitude) == (38.9137, -77.0779)  # WKT is Point(longitude latitude)
    assert got["Q130000001"].phone == "+1-312-738-2383"  # tel: removed
    assert got["Q130000001"].kind == "consulate-general"


def test_districts_are_mapped_to_their_city_as_in_the_shipped_build() -> None:
    us = by_id(wikidata.parse(recorded("us_missions.json"), host="US"))
    assert us["Q324833"].city == "Washington, D.C."  # "West End" (Q7985046)
    de = by_id(wikidata.parse(recorded("de_missions.json"), host="DE"))
    assert de["Q554046"].city == "Berlin"  # "Mitte"
    assert de["Q130000010"].city == "Berlin"  # "Charlottenburg-Wilmersdorf"
    # one table for both: the build script imports it from plea.directory.wikidata_labels
    assert real_city("16th arrondissement of Paris", "Q194420") == "Paris"
    assert real_city("Mitte", "Q999") == "Mitte"  # the same label with another id is not Berlin's Mitte
    script = (Path(__file__).resolve().parent.parent / "scripts" / "build_embassies.py").read_text()
    assert "from plea.directory.wikidata_labels import" in script and "CITY_DISTRICTS: dict" not in script


def test_closed_missions_come_back_marked_with_their_date() -> None:
    got = by_id(wikidata.parse(recorded("us_missions.json"), host="US"))
    assert (got["Q5369542"].closed, got["Q5369542"].closed_on) == (True, date(2023, 5, 1))  # P576
    assert (got["Q130000003"].closed, got["Q130000003"].closed_on) == (True, date(1999, 12, 31))  # P3999
    assert not got["Q2841718"].closed


def test_several_values_keep_the_first_and_remember_the_others() -> None:
    doc = json.loads(recorded("us_missions.json"))
    row = doc["results"]["bindings"][0]
    second = json.loads(json.dumps(row))
    second["website"]["value"] = "https://a.example.fr/"
    second["typeLabel"]["value"] = "honorary consulate"
    doc["results"]["bindings"] = [row, second]
    fr = wikidata.parse(json.dumps(doc).encode(), host="US").missions[0]
    assert fr.website == "https://a.example.fr/" and fr.also["website"] == ["https://franceintheus.org/"]
    assert fr.kind == "embassy"  # sorted like the build: embassy before honorary-consulate


def test_mission_with_two_sending_states_is_skipped() -> None:
    doc = json.loads(recorded("de_missions.json"))
    row = json.loads(json.dumps(doc["results"]["bindings"][0]))
    row["senderIso"]["value"] = "BE"
    doc["results"]["bindings"].append(row)
    answer = wikidata.parse(json.dumps(doc).encode(), host="DE")
    assert [m.id for m in answer.missions] == ["Q130000010"]
    assert answer.skipped == [("Q554046", "2 sending states (BE FR)")]


def test_empty_answer_is_read_as_no_missions() -> None:
    answer = wikidata.parse(recorded("empty.json"), host="US")
    assert answer.missions == [] and answer.rows == 0


@pytest.mark.parametrize("name,says", [
    ("malformed_truncated.json", "not JSON"),
    ("malformed_shape.json", "row 1 is not a map of variables to {type, value}"),
])
def test_malformed_answers_are_refused(name: str, says: str) -> None:
    with pytest.raises(ExternalProblem) as info:
        wikidata.parse(recorded(name), host="US")
    assert says in str(info.value) and "the answer for US is not a SPARQL JSON result" in str(info.value)
    assert info.value.exit_code == ExitStatus.EXTERNAL


@pytest.mark.parametrize("raw,says", [
    (b"<html><body>Service unavailable</body></html>", "not JSON"),
    (b'{"results": {"bindings": []}}', "no head"),
    (b'{"head": {"vars": []}, "results": {"rows": []}}', "no results.bindings list"),
    (b"\xff\xfe{", "not UTF-8"),
])
def test_other_non_answers_are_refused(raw: bytes, says: str) -> None:
    with pytest.raises(ExternalProblem, match="not a SPARQL JSON result") as info:
        wikidata.parse(raw, host="US")
    assert says in str(info.value)


# -- the request -------------------------------------------------------------------------------

def test_fetch_sends_a_descriptive_user_agent_and_asks_for_sparql_json(monkeypatch) -> None:
    monkeypatch.setenv("PLEA_CONTACT", "ngo@example.org")
    with SparqlServer({"US": "us_missions.json"}) as server:
        raw = wikidata.fetch(wikidata.query_for("US"), url=server.url, timeout=5)
    assert raw == recorded("us_missions.json")
    (req,) = server.requests
    ua = req["headers"]["User-Agent"]
    assert ua.startswith("plea/") and "embassy directory refresh" in ua and "ngo@example.org" in ua
    assert "Python-urllib/" in ua
    assert req["headers"]["Accept"] == "application/sparql-results+json"
    assert req["host"] == "US" and req["params"]["format"] == ["json"]


def test_endpoint_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("PLEA_WIKIDATA_ENDPOINT", raising=False)
    assert wikidata.endpoint() == "https://query.wikidata.org/sparql"
    monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", "http://127.0.0.1:9/sparql")
    assert wikidata.endpoint() == "http://127.0.0.1:9/sparql"


def test_timeout_is_a_clear_error() -> None:
    with SparqlServer({"US": "slow"}) as server, pytest.raises(ExternalProblem) as info:
        wikidata.fetch(wikidata.query_for("US"), url=server.url, timeout=0.3)
    assert "did not answer within 0.3 s" in str(info.value) and "--timeout" in str(info.value)


def test_offline_is_a_clear_error() -> None:
    url = closed_port()
    with pytest.raises(ExternalProblem) as info:
        wikidata.fetch(wikidata.query_for("US"), url=url, timeout=2)
    text = str(info.value)
    assert "cannot reach the Wikidata query service at 127.0.0.1:" in text and "are you offline?" in text
    assert "nothing was changed" in text


@pytest.mark.parametrize("status,says", [
    (500, "stopped the query after its own time limit (HTTP 500)"),
    (429, "asks plea to slow down (HTTP 429)"),
    (503, "answered HTTP 503"),
])
def test_http_errors_are_clear(status: int, says: str) -> None:
    with SparqlServer({"US": status}) as server, pytest.raises(ExternalProblem) as info:
        wikidata.fetch(wikidata.query_for("US"), url=server.url, timeout=5)
    assert says in str(info.value)
    if status == 429:
        assert "in 30 s" in str(info.value)


def test_ask_pauses_between_queries_and_stops_at_the_first_failure(monkeypatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(wikidata.time, "sleep", pauses.append)
    asked: list[str] = []

    def fetcher(query: str, *, timeout: float) -> bytes:
        host = query.split('wdt:P297 "')[1][:2]
        asked.append(host)
        answers = {"US": "us_missions.json", "DE": "de_missions.json"}
        return recorded(answers.get(host, "malformed_shape.json"))

    answers = wikidata.ask(["US", "DE"], fetcher=fetcher)
    assert [a.host for a in answers] == ["US", "DE"] and asked == ["US", "DE"]
    assert pauses == [wikidata.PAUSE_SECONDS] and wikidata.PAUSE_SECONDS >= 1
    with pytest.raises(ExternalProblem):
        wikidata.ask(["US", "FR", "DE"], fetcher=fetcher)
    assert asked[2:] == ["US", "FR"]  # DE was never asked


# -- any answer: missions or a clear error -----------------------------------------------------
_VARS = ["m", "senderIso", "typeLabel", "city", "cityLabel", "addr", "email", "phone", "website", "coord",
         "dissolved", "closed"]
_cells = st.fixed_dictionaries(
    {"type": st.sampled_from(["uri", "literal", "bnode"]), "value": st.text(max_size=40)},
    optional={"xml:lang": st.sampled_from(["en", "fr", "mul", ""])})
_rows = st.lists(st.dictionaries(st.sampled_from(_VARS), _cells), max_size=6)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10)


def _answer(rows: list) -> bytes:
    return json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}).encode()


@settings(max_examples=examples(150), deadline=None)
@given(st.one_of(st.binary(max_size=200), _json.map(lambda d: json.dumps(d).encode()), _rows.map(_answer)))
def test_any_answer_gives_missions_or_a_clear_error(raw: bytes) -> None:
    try:
        answer = wikidata.parse(raw, host="US")
    except ExternalProblem as exc:
        assert "is not a SPARQL JSON result" in str(exc)
        return
    for m in answer.missions:
        assert m.host == "US" and m.id.startswith("Q") and len(m.sending) >= 1
        assert m.latitude is None or abs(m.latitude) <= 90
