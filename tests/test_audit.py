"""`plea audit verify|log|head`: the history chain catches edits, deletions, reordering (raw SQL
on the database behind plea's back), and, against a head kept outside, a truncated or rewritten tail."""

from __future__ import annotations

import json

import pytest

from plea.history import GENESIS, chain_hash, event_body
from tests.conftest import Days
from tests.dbcheck import PleaDB, dicts, execute, rows


def _case(plea, name: str = "Audit Person") -> str:
    return plea("cases", "add", "--name", name, "--nationality", "RU", "--persecution", "x").stdout.strip()


@pytest.fixture
def history(plea, db_file: PleaDB) -> PleaDB:
    """A database with a few events after the embassy import: three cases and two edits."""
    for i in range(3):
        ref = _case(plea, f"Audit Person {i}")
        plea("--actor", f"worker{i}", "cases", "edit", ref, "--facility", f"facility {i}")
    return db_file


def _sql(db: PleaDB, *statements: str) -> None:
    execute(db, *statements)


def _ids(db: PleaDB) -> list[int]:
    return [r[0] for r in rows(db, "SELECT id FROM event ORDER BY id")]


def test_intact_history_verifies_and_prints_its_head(plea, history: PleaDB) -> None:
    r = plea("audit", "verify")
    n = len(_ids(history))
    head = plea("audit", "head").stdout.strip()
    assert r.stdout.strip() == f"history intact: {n} event(s); head {head}"
    data = json.loads(plea("audit", "verify", "--json").stdout)
    assert data == {"ok": True, "events": n, "head": head, "problem": None}


def test_edited_event_is_named(plea, history: PleaDB) -> None:
    target = _ids(history)[3]
    _sql(history, f"UPDATE event SET actor = 'someone else' WHERE id = {target}")
    r = plea("audit", "verify", code=5)
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"plea: error: history broken: event {target} (")
    assert first.endswith("was changed after it was written")
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["ok"] is False
    assert data["problem"]["event"] == target and data["problem"]["problem"] == "changed"


def test_edited_data_json_is_caught(plea, history: PleaDB) -> None:
    target = _ids(history)[-1]
    if history.is_sqlite:
        edit = "json_set(data, '$.fields', json('[\"name_latin\"]'))"
    else:
        edit = "jsonb_set(data::jsonb, '{fields}', '[\"name_latin\"]'::jsonb)::json"
    _sql(history, f"UPDATE event SET data = {edit} WHERE id = {target}")
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"]["event"] == target and data["problem"]["problem"] == "changed"


def test_deleted_event_is_named(plea, history: PleaDB) -> None:
    ids = _ids(history)
    _sql(history, f"DELETE FROM event WHERE id = {ids[2]}")
    r = plea("audit", "verify", code=5)
    assert f"event {ids[2]} deleted: event {ids[3]} " in r.stderr
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"] == {"event": ids[2], "problem": "deleted", "message": data["problem"]["message"]}


def test_deleted_first_event_is_caught(plea, history: PleaDB) -> None:
    ids = _ids(history)
    _sql(history, f"DELETE FROM event WHERE id = {ids[0]}")
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"]["problem"] == "deleted" and data["events"] == 1


def test_swapped_events_are_reported_as_reordered(plea, history: PleaDB) -> None:
    ids = _ids(history)
    a, b = ids[2], ids[3]
    cols = "at, actor, kind, case_id, subject, data, prev_hash, hash"
    _sql(
        history,
        f"CREATE TEMP TABLE t AS SELECT * FROM event WHERE id IN ({a}, {b})",
        f"UPDATE event SET prev_hash = 'x' || id, hash = 'x' || id WHERE id IN ({a}, {b})",
        f"UPDATE event SET ({cols}) = (SELECT {cols} FROM t WHERE t.id = {b}) WHERE id = {a}",
        f"UPDATE event SET ({cols}) = (SELECT {cols} FROM t WHERE t.id = {a}) WHERE id = {b}",
    )
    r = plea("audit", "verify", code=5)
    assert f"event {a} (" in r.stderr
    assert f"is out of order: it was written after event {b}, not after event {ids[1]}" in r.stderr
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"]["problem"] == "reordered" and data["problem"]["event"] == a


def test_rewritten_and_rehashed_event_is_caught_at_the_next_link(plea, history: PleaDB) -> None:
    """Someone edits an event and recomputes its hash: the next event no longer follows it."""
    ids = _ids(history)
    target = ids[2]
    (row,) = dicts(history, "SELECT * FROM event WHERE id = ?", target)
    from datetime import datetime
    from types import SimpleNamespace

    row["actor"] = "forger"
    row["data"] = json.loads(row["data"])
    row["at"] = datetime.fromisoformat(row["at"])
    new_hash = chain_hash(row["prev_hash"], event_body(SimpleNamespace(**row)))
    _sql(history, f"UPDATE event SET actor = 'forger', hash = '{new_hash}' WHERE id = {target}")
    data = json.loads(plea("audit", "verify", "--json", code=5).stdout)
    assert data["problem"]["event"] == target and data["problem"]["problem"] == "changed"
    assert "rewritten" in data["problem"]["message"]


def test_truncated_tail_is_caught_only_against_a_kept_head(plea, history: PleaDB) -> None:
    kept = plea("audit", "head").stdout.strip()
    ids = _ids(history)
    plea("audit", "verify", "--head", kept)
    _case(plea, "After The Head")
    r = plea("audit", "verify", "--head", kept[:16])
    assert f"the kept head is event {ids[-1]}, 1 event(s) written since" in r.stdout
    _sql(history, f"DELETE FROM event WHERE id >= {ids[-2]}")
    plea("audit", "verify")  # the chain that is left is consistent
    r = plea("audit", "verify", "--head", kept, code=5)
    assert "the head you kept" in r.stderr and "removed from its end" in r.stderr


def test_rewritten_chain_is_caught_against_a_kept_head(plea, history: PleaDB) -> None:
    kept = plea("audit", "head").stdout.strip()
    # rewrite the whole chain with a forged actor, hashes recomputed
    from datetime import datetime
    from types import SimpleNamespace

    prev = GENESIS
    updates: list[str | tuple[str, tuple]] = ["UPDATE event SET prev_hash = 'tmp' || id"]
    for r in dicts(history, "SELECT * FROM event ORDER BY id"):
        body = {
            **r,
            "actor": "forger",
            "data": json.loads(r["data"]),
            "at": datetime.fromisoformat(r["at"]),
        }
        h = chain_hash(prev, event_body(SimpleNamespace(**body)))
        sql = "UPDATE event SET actor = 'forger', prev_hash = ?, hash = ? WHERE id = ?"
        updates.append((sql, (prev, h, r["id"])))
        prev = h
    execute(history, *updates)
    plea("audit", "verify")
    r = plea("audit", "verify", "--head", kept, code=5)
    assert "rewritten" in r.stderr


def test_bad_head_is_a_clear_error(plea, history: PleaDB) -> None:
    r = plea("audit", "verify", "--head", "not-a-hash", code=3)
    assert r.stderr.startswith("plea: error: --head: 'not-a-hash' is not a history head")


def test_log_kind_ignores_case(plea, history: PleaDB) -> None:
    """Event kinds are lower case; `--kind Case.` finds them on every backend (PostgreSQL's LIKE
    minds the case, SQLite's does not)."""
    lower = json.loads(plea("audit", "log", "--kind", "case.", "--json").stdout)
    assert len(lower) == 6 and json.loads(plea("audit", "log", "--kind", "Case.", "--json").stdout) == lower


def test_log_filters_by_case_actor_and_date(days: Days, plea, history: PleaDB) -> None:
    rows = json.loads(plea("audit", "log", "--json").stdout)
    assert rows[0]["kind"] == "embassies.loaded" and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    ref = rows[-1]["case"]
    mine = json.loads(plea("audit", "log", "--case", ref, "--json").stdout)
    assert {r["case"] for r in mine} == {ref} and [r["kind"] for r in mine] == ["case.created", "case.edited"]
    assert mine[1]["what"] == "edited: facility" and mine[1]["actor"] == "worker2"
    by = json.loads(plea("audit", "log", "--actor", "worker1", "--json").stdout)
    assert [r["kind"] for r in by] == ["case.edited"]
    # from the day this test started: every event it made (the history fixture's), and the session's
    # embassy import unless that was the day before (a run across midnight)
    first = days.first.isoformat()
    since = json.loads(plea("audit", "log", "--since", first, "--json").stdout)
    assert since == [r for r in rows if r["at"][:10] >= first] and since[-1] == rows[-1]
    assert len(since) >= len(rows) - 1
    assert json.loads(plea("audit", "log", "--until", "2000-01-01", "--json").stdout) == []
    last_two = json.loads(plea("audit", "log", "--kind", "case.", "--limit", "2", "--json").stdout)
    assert [r["kind"] for r in last_two] == ["case.created", "case.edited"]
    table = plea("audit", "log", "--case", ref).stdout
    assert "case created" in table and "worker2" in table
    assert len(json.loads(plea("audit", "log", "--since", "yesterday", "--json").stdout)) == len(rows)
    bad = plea("audit", "log", "--since", "last week", code=3)
    assert bad.stderr == ("plea: error: --since: not a date 'last week' "
                          "(use YYYY-MM-DD, today, yesterday or -Nd (N days ago))\n")
    assert "no case" in plea("audit", "log", "--case", "PLEA-1999-0001", code=4).stderr
