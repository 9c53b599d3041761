"""`plea embassies gaps`: the UN member states whose mission for a host lacks a channel, with the
website to look it up on, states the user's campaigns wrote to first."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

FR_US = "Q2841718"


def gaps(plea, *args: str) -> dict:
    return json.loads(plea("embassies", "gaps", "--host", "US", "--json", *args).stdout)


def test_gaps_lists_states_lacking_a_channel_with_the_website(plea, db_file: Path) -> None:
    data = gaps(plea)
    assert data["host"] == "US" and data["need"] == ["email", "address", "phone"]
    rows = {r["state"]: r for r in data["rows"]}
    assert "US" not in rows and len(rows) == data["states"] > 150
    fr = rows["FR"]
    assert fr["lacks"] == ["email", "address"]  # the shipped data has France's phone
    assert (fr["mission_id"], fr["website"]) == (FR_US, "http://www.ambafrance-us.org/")
    assert fr["source_ref"] == f"https://www.wikidata.org/wiki/{FR_US}"
    # nothing written yet: sorted by name
    names = [r["name"] for r in data["rows"]]
    assert names == sorted(names) and all(r["written_to"] == 0 for r in data["rows"])


def test_need_one_channel(plea, db_file: Path) -> None:
    by_email = gaps(plea, "--need", "email")
    states = {r["state"] for r in by_email["rows"]}
    assert "AE" not in states  # the UAE's embassy in Washington lists an email
    assert all(r["lacks"] == ["email"] for r in by_email["rows"])
    plea("embassies", "edit", FR_US, "--email", "info@ambafrance-us.example", "--verified")
    assert "FR" not in {r["state"] for r in gaps(plea, "--need", "email")["rows"]}
    both = gaps(plea, "--need", "phone", "--need", "email")
    assert both["need"] == ["phone", "email"]
    r = plea("embassies", "gaps", "--host", "US", "--need", "fax", code=3)
    assert "--need: unknown 'fax'; one of email, address, phone" in r.stderr


def test_states_without_a_mission_lack_everything(plea, db_file: Path) -> None:
    rows = gaps(plea)["rows"]
    none = [r for r in rows if r["mission"] == "none"]
    assert none and all(r["lacks"] == ["email", "address", "phone"] and r["mission_id"] is None for r in none)


@pytest.fixture
def written(plea, db_file: Path, tmp_path: Path) -> str:
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--situation", "at-liberty").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE,IT", "--format", "md",
         "--out", str(tmp_path / "o"))
    two_days_ago = (date.today() - timedelta(days=2)).isoformat()
    plea("letters", "sent", "--force", ref, "--to", "DE,IT", "--via", "post", "--on", two_days_ago)
    return ref


def test_states_written_to_come_first(plea, db_file: Path, written: str) -> None:
    data = gaps(plea)
    first = [r["state"] for r in data["rows"][:2]]
    assert first == ["DE", "IT"]  # sent; France's letter is only drafted
    assert [r["written_to"] for r in data["rows"][:3]] == [1, 1, 0]
    assert data["written_to"] == 2
    text = plea("embassies", "gaps", "--host", "US", "--need", "email")
    assert text.stdout.index("Germany (DE)") < text.stdout.index("Afghanistan (AF)")
    assert "2 of them were written to" in text.stderr
    # an archived case's letters no longer count
    plea("cases", "archive", written)
    assert gaps(plea)["written_to"] == 0
