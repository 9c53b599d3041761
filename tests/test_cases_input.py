"""plea.cases.CaseInput: what `plea cases add/edit` were given, parsed once in the core into a case's
fields (the CLI only collects its options)."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from plea.cases import CaseInput, family_item, id_item
from plea.cases_io import parse_family, parse_ids
from plea.cli import cases as cli_cases
from plea.errors import InvalidInput


def test_every_option_of_add_and_edit_is_a_field_of_the_input() -> None:
    names = {f.name for f in fields(CaseInput)}
    for command in (cli_cases.add, cli_cases.edit):
        options = set(inspect.signature(command).parameters) - {"ref", "yes"}
        assert options == names, command.__name__


def test_options_become_case_fields(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Arrested in 2024.\n\nReleased.", encoding="utf-8")
    given = CaseInput.from_options({
        "name": "Anna Ivanova", "born": "1990-04-12", "country": "US", "rep_org": "Memorial", "threat": "RU,BY",
        "ids": ["A-Number=A-1", " Passport = 75 1 "], "family": ["Ivan;son;2015-01-02", "Olga"],
        "persecution": "ignored: the file wins", "persecution_file": story, "followup_days": 30,
        "yes": True, "ref": "PLEA-2026-0001",  # not case options: left out
    })
    assert given.values() == {
        "name_latin": "Anna Ivanova", "birth_date": "1990-04-12", "current_country": "US",
        "rep_organisation": "Memorial", "threat_states": "RU,BY", "followup_days": 30,
        "persecution": "Arrested in 2024.\n\nReleased.",
        "authority_ids": [{"label": "A-Number", "number": "A-1"}, {"label": "Passport", "number": "75 1"}],
        "family": [{"name": "Ivan", "relation": "son", "birth_date": "2015-01-02"},
                   {"name": "Olga", "relation": "", "birth_date": ""}],
    }
    assert CaseInput().values() == {}


@pytest.mark.parametrize(("given", "error"), [
    ({"ids": ["NOEQUALS"]},
     "--id: 'NOEQUALS' should be LABEL=NUMBER, e.g. 'Alien Registration Number=A-123-456-789'"),
    ({"ids": ["=1"]}, "--id: '=1' should be LABEL=NUMBER, e.g. 'Alien Registration Number=A-123-456-789'"),
    ({"family": ["a;b;c;d"]},
     "--family: 'a;b;c;d' should be 'NAME;RELATION;BIRTH-DATE' (relation and date optional)"),
    ({"family": [";son"]}, "--family: ';son' should be 'NAME;RELATION;BIRTH-DATE' (relation and date optional)"),
])
def test_an_item_that_cannot_be_read_is_refused(given: dict, error: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CaseInput.from_options(given).values()
    assert caught.value.message == error


def test_the_command_line_and_the_spreadsheet_read_an_item_alike() -> None:
    assert parse_ids("A=1 | B = 2") == [id_item("A=1"), id_item(" B = 2")]
    assert parse_family("Ivan;son | Olga;;2001-02-03") == [family_item("Ivan;son"), family_item("Olga;;2001-02-03")]
    with pytest.raises(ValueError, match="should be LABEL=NUMBER"):
        parse_ids("A=1 | B")
