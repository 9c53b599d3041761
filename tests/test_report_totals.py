"""The report totals kept up to date (plea.report.summary) against a recount: after every kind
of write (letters sent, bounced, closed; answers logged, solicited or not; cases archived and
reopened; a mission's state changed by an import; letters and answers deleted or edited; a batch;
bulk inserts), the kept rows equal a recount from the letters, and the report read from them is
the same document as the report counted from the letters (plea.report.document.counted, the SQL that
any filtered report still uses)."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import insert, select, text, update

from plea.audit import current_head
from plea.db import HEAD
from plea.db.engine import Database, open_database
from plea.db.models import OUTCOMES, Case, Letter, LetterEvent, Response, report_case
from plea.report import document as report
from plea.report import summary
from tests.dbcheck import execute

TODAY = date.today()


def _fill(db: Database, *, seed: int, cases: int = 14) -> list[str]:
    """Cases written to random states over several months through random missions (some states
    through two missions, some letters of two kinds, some sent twice), bounces, closings, answers
    before and after the first letter, several answers per state (some on the same day),
    unsolicited answers, archived cases, a case never written to. Bulk Core inserts, as an
    import or a batch writes them."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    with db.transaction() as s:
        conn = s.connection()
        missions = conn.execute(
            text("SELECT id, sending FROM mission WHERE host = 'US' ORDER BY sending, id")
        ).all()
        by_state: dict[str, list[str]] = {}
        for mid, sending in missions:
            by_state.setdefault(sending, []).append(mid)
        pool = sorted(by_state)[:24]
        start = len(conn.execute(text('SELECT id FROM "case"')).all())
        refs = [f"TEST-{seed}-{start + i:04d}" for i in range(cases)]
        conn.execute(
            insert(Case),
            [
                {
                    "ref": ref,
                    "status": "archived" if rnd.random() < 0.25 else "open",
                    "name_latin": f"Test {ref}",
                    "name_native": "",
                    "nationality": "RU",
                    "birth_date": None,
                    "title": "",
                    "gender": "",
                    "current_country": "US",
                    "situation": "",
                    "facility": "",
                    "authority_ids": [],
                    "protection": "humanitarian-visa",
                    "persecution": "",
                    "family": [],
                    "rep_name": "",
                    "rep_organisation": "",
                    "rep_address": "",
                    "rep_email": "",
                    "rep_phone": "",
                    "reply_to": "",
                    "followup_days": (None, None, 7, 60)[i % 4],
                    "created_at": now,
                    "updated_at": now,
                }
                for i, ref in enumerate(refs)
            ],
        )
        ids = dict(conn.execute(text('SELECT ref, id FROM "case"')).all())
        for n, ref in enumerate(refs):
            if n == 0:
                continue  # never written to
            cid = ids[ref]
            day0 = TODAY - timedelta(days=rnd.randint(40, 400))
            states = rnd.sample(pool, rnd.randint(1, 10))
            events, responses = [], []
            now_status: dict[int, str] = {}  # the letter's status after its events
            for st in states:
                mids = by_state[st][: rnd.choice((1, 1, 2))]
                kinds = ["humanitarian-visa"] + (["follow-up"] if rnd.random() < 0.2 else [])
                for mid in mids:
                    for kind in kinds:
                        lid = conn.execute(
                            insert(Letter).values(
                                case_id=cid,
                                mission_id=mid,
                                letter=kind,
                                lang="en",
                                status="drafted",
                                created_at=now,
                                updated_at=now,
                            )
                        ).inserted_primary_key[0]
                        events.append((lid, "drafted", day0 - timedelta(days=1)))
                        if rnd.random() < 0.12:
                            continue  # rendered, never sent
                        now_status[lid] = "sent"
                        sent = day0 + timedelta(days=rnd.randint(0, 45))
                        events.append((lid, "sent", sent))
                        if rnd.random() < 0.15:
                            events.append((lid, "sent", sent + timedelta(days=rnd.randint(0, 30))))
                        r = rnd.random()
                        if r < 0.1:
                            events.append((lid, "bounced", sent + timedelta(days=3)))
                            now_status[lid] = "bounced"
                        elif r < 0.15:
                            events.append((lid, "closed", sent + timedelta(days=60)))
                            now_status[lid] = "closed"
                for _ in range(rnd.choice((0, 0, 1, 1, 2, 3))):
                    on = day0 + timedelta(days=rnd.randint(-5, 120))
                    responses.append((st, min(on, TODAY), rnd.choice(OUTCOMES), False))
            if rnd.random() < 0.3:
                responses.append(
                    (rnd.choice([p for p in pool if p not in states]), day0, "acknowledged", True)
                )
            if events:
                conn.execute(
                    insert(LetterEvent),
                    [
                        {
                            "letter_id": lid,
                            "status": status,
                            "on": on,
                            "via": "post" if status == "sent" else "",
                            "proof_path": "",
                            "proof_sha256": "",
                            "recorded_at": now,
                            "actor": "tester",
                        }
                        for lid, status, on in events
                    ],
                )
            for lid, status in now_status.items():
                conn.execute(update(Letter).where(Letter.id == lid).values(status=status))  # type: ignore[arg-type]
            if responses:
                conn.execute(
                    insert(Response),
                    [
                        {
                            "case_id": cid,
                            "state": st,
                            "on": on,
                            "outcome": outcome,
                            "summary": "",
                            "channel": "email",
                            "attachments": [],
                            "unsolicited": unsolicited,
                            "recorded_at": now,
                            "actor": "tester",
                        }
                        for st, on, outcome, unsolicited in responses
                    ],
                )
    return refs


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "generated_at"}


def assert_status_reads_what_it_counts(conn: Any) -> None:
    """`plea status` over every open case, read from the kept figures (plea.status.open_headlines),
    equals the headlines counted from the letters (statuses), today and on days when some, all
    or none of the waiting appeals are due."""
    from plea.status import headline, open_cases, open_headlines, statuses

    cases = open_cases(conn)
    for day in (TODAY, TODAY - timedelta(days=200), TODAY - timedelta(days=330), TODAY + timedelta(days=90)):
        counted = statuses(conn, cases, day)
        assert open_headlines(conn, day) == [
            {"case": c.ref, "name": c.name_latin, **headline(counted[c.id], day)} for c in cases
        ], day


def assert_counted(db: Database) -> None:
    """The kept rows equal a recount, and the report read from them equals the counted one."""
    with db.read() as s:
        conn = s.connection()
        assert summary.dirty(conn) == []
        ids = [cid for (cid,) in conn.execute(text('SELECT id FROM "case"'))]
        fresh = {cid: c for cid, c in summary.recount(conn, ids).items() if c.appeals}
        assert summary.stored(conn, ids) == fresh
        kept_cases = {row.case_id: dict(row._mapping) for row in conn.execute(select(report_case))}
        assert kept_cases == {cid: c.row(cid) for cid, c in fresh.items()}
        assert_status_reads_what_it_counts(conn)
        totals: Counter[Any] = Counter()
        for c in fresh.values():
            totals.update(c.totals())
        kept = {
            tuple(r[:4]): r[4] for r in conn.execute(text("SELECT scope, dim, key, sub, n FROM report_total"))
        }
        assert kept == {k: n for k, n in totals.items() if n}
        head = current_head(s)
        assert report.history_head(s) == head  # the report reads it without the ORM
        for all_cases in (False, True):
            kept_doc = report.build(s, all_cases=all_cases)
            with db.engine.connect() as bare:  # a Core connection will do as well as a session
                assert _plain(report.build(bare, all_cases=all_cases)) == _plain(kept_doc)
            counted = report.counted(
                s, case_id=None, all_cases=all_cases, host=None, since=None, until=None, head=head
            )
            assert _plain(kept_doc) == _plain(counted)


@pytest.fixture
def db(db_file) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """The database of this test's PLEA_HOME (the shipped embassies loaded), on each backend
    (db_file is parametrized by the conftest's backend fixture)."""
    database = open_database(db_file.url)
    yield database
    database.close()


def test_bulk_inserts_are_counted_and_reported_alike(db: Database) -> None:
    refs = _fill(db, seed=1)
    assert_counted(db)
    with db.read() as s:
        doc = report.build(s, all_cases=True)
    t = doc["totals"]
    # the fixture has what the comparison must cover
    assert t["answered"] > 5 and t["bounced"] > 0 and t["unsolicited"] > 0 and len(doc["months"]) > 3
    assert len({o for st in doc["states"] for o in st["outcomes"]}) >= 4
    assert any(c["answered"] == 0 for c in doc["cases"]) and any(c["answered"] > 1 for c in doc["cases"])
    assert any(st["letters"] > st["cases"] for st in doc["states"])  # sent twice, or two missions or kinds
    with db.read() as s:
        open_doc = report.build(s)
    assert open_doc["totals"]["cases"] < t["cases"]  # archived cases are left out by default
    _fill(db, seed=2)  # a second bulk write on top of counted cases
    assert_counted(db)
    assert refs


def test_every_kind_of_write_keeps_the_totals(plea, db: Database, tmp_path: Path) -> None:
    refs = _fill(db, seed=3)
    with db.read() as s:
        written = {
            ref: sorted(
                st
                for (st,) in s.connection().execute(
                    text(
                        "SELECT DISTINCT m.sending FROM letter l JOIN mission m ON m.id = l.mission_id "
                        'JOIN "case" c ON c.id = l.case_id WHERE c.ref = :ref'
                    ),
                    {"ref": ref},
                )
            )
            for ref in refs
        }
    ref = next(r for r in refs if len(written[r]) >= 3)
    a, b, c = written[ref][:3]
    day = (TODAY - timedelta(days=2)).isoformat()

    plea("letters", "sent", "--force", ref, "--to", f"{a},{b},{c}", "--via", "post", "--on", day)
    assert_counted(db)
    plea("letters", "sent", ref, "--to", a, "--via", "email", "--on", TODAY.isoformat())  # sent again
    assert_counted(db)
    plea("letters", "bounced", ref, "--to", b, "--on", TODAY.isoformat())
    assert_counted(db)
    plea("letters", "close", ref, "--to", c, "--on", TODAY.isoformat())
    assert_counted(db)
    plea("responses", "log", ref, a, "--outcome", "positive", "--on", TODAY.isoformat())
    assert_counted(db)
    plea(
        "responses", "log", ref, a, "--outcome", "negative", "--on", TODAY.isoformat()
    )  # same day: latest wins
    assert_counted(db)
    other = next(st for st in ("JP", "BR", "NO", "CH") if st not in written[ref])
    plea("responses", "log", ref, other, "--outcome", "info-requested", "--force", "--on", day)  # unsolicited
    assert_counted(db)
    plea("cases", "archive", ref)
    assert_counted(db)
    plea("cases", "archive", ref, "--undo")
    assert_counted(db)

    # a mission moved to another sending state by an import (a correction of the directory)
    with db.read() as s:
        mid = (
            s.connection()
            .execute(
                text(
                    'SELECT l.mission_id FROM letter l JOIN "case" c ON c.id = l.case_id JOIN letter_event e '
                    "ON e.letter_id = l.id WHERE c.ref = :ref AND e.status = 'sent' LIMIT 1"
                ),
                {"ref": ref},
            )
            .scalar()
        )
    exported = tmp_path / "missions.csv"
    plea("embassies", "export", str(exported))
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["id"] == mid]
    moved = next(st for st in ("IS", "LI", "MC", "SM") if st != rows[0]["sending"])
    rows[0]["sending"] = moved
    edited = tmp_path / "moved.csv"
    with edited.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plea("embassies", "import", str(edited))
    with db.read() as s:
        assert (
            s.connection().execute(text("SELECT sending FROM mission WHERE id = :m"), {"m": mid}).scalar()
            == moved
        )
    assert_counted(db)

    # a case added, rendered by a batch, sent, answered
    new = plea(
        "cases",
        "add",
        "--name",
        "Batch Person",
        "--nationality",
        "RU",
        "--country",
        "US",
        "--persecution",
        "Fled.",
        "--email",
        "batch.person@example.org",
    ).stdout.strip()
    plea("batch", "--out", str(tmp_path / "batch"), "--cases", new, "--to", "FR,DE,IT", "--format", "md")
    assert_counted(db)
    plea("letters", "sent", "--force", new, "--to", "FR,DE,IT", "--via", "post", "--on", day)
    plea("responses", "log", new, "FR", "--outcome", "referred", "--on", TODAY.isoformat())
    assert_counted(db)

    # rows deleted and edited (no command does it today; the triggers must still see it)
    with db.transaction() as s:
        conn = s.connection()
        lid = conn.execute(
            text(
                "SELECT l.id FROM letter l JOIN letter_event e ON e.letter_id = l.id "
                "WHERE e.status = 'sent' ORDER BY l.id LIMIT 1"
            )
        ).scalar()
        conn.execute(text("DELETE FROM letter_event WHERE letter_id = :l"), {"l": lid})
        conn.execute(text("DELETE FROM rendition WHERE letter_id = :l"), {"l": lid})
        conn.execute(text("DELETE FROM letter WHERE id = :l"), {"l": lid})
    assert_counted(db)
    with db.transaction() as s:
        conn = s.connection()
        rid = conn.execute(
            text("SELECT id FROM response WHERE unsolicited = :f ORDER BY id LIMIT 1"), {"f": False}
        ).scalar()
        conn.execute(
            text("UPDATE response SET outcome = 'positive', \"on\" = :d WHERE id = :r"),
            {"d": TODAY, "r": rid},
        )
        rid2 = conn.execute(text("SELECT id FROM response ORDER BY id DESC LIMIT 1")).scalar()
        conn.execute(text("DELETE FROM response WHERE id = :r"), {"r": rid2})
        conn.execute(
            text(
                "UPDATE letter_event SET \"on\" = :d WHERE status = 'sent' AND id = "
                "(SELECT MIN(id) FROM letter_event WHERE status = 'sent')"
            ),
            {"d": TODAY},
        )
    assert_counted(db)


def test_a_write_from_outside_plea_is_counted_before_it_is_reported(plea, db: Database) -> None:
    _fill(db, seed=4)
    with db.read() as s:
        before = report.build(s, all_cases=True)
    with db.engine.connect() as raw:  # not through Database.transaction: nothing recounts at commit
        raw.execute(text("UPDATE \"case\" SET status = 'archived' WHERE status = 'open'"))
        raw.commit()
    with db.read() as s:
        assert summary.dirty(s.connection())  # noted by the triggers
        after = report.build(s)  # counted from the letters, not from the stale totals
    assert after["totals"]["cases"] == 0 and before["totals"]["cases"] > 0
    plea("cases", "list")  # a read changes nothing
    plea("config", "set", "followup_days", "30")  # the next write recounts
    assert_counted(db)


def test_the_migration_counts_an_existing_database(tmp_path: Path) -> None:
    from plea.directory.importing import load_shipped

    path = tmp_path / "filled.sqlite3"
    db = open_database(f"sqlite:///{path}", create=True)
    with db.read() as s:
        assert report.history_head(s) == current_head(s) == ("0" * 64, 0)  # no history yet
    with db.transaction() as s:
        load_shipped(s, actor="tester")
    _fill(db, seed=5)
    db.close()
    # back to schema 0005, as plea 0005 left it: no totals, no triggers
    conn = sqlite3.connect(path)
    for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for table in ("report_dirty", "report_appeal", "report_case", "report_total"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX ix_response_unsolicited")
    # and what 0007 and later add (the newest first)
    for column in ("applicant_phone", "applicant_email", "applicant_address"):
        conn.execute(f'ALTER TABLE "case" DROP COLUMN {column}')
    conn.execute("ALTER TABLE mission DROP COLUMN area")
    conn.execute("ALTER TABLE mission DROP COLUMN name")
    conn.execute('ALTER TABLE "case" DROP COLUMN stories')
    conn.execute('ALTER TABLE "case" DROP COLUMN persecution_lang')
    conn.execute("DROP TABLE route")
    conn.execute("ALTER TABLE response DROP COLUMN referred_to")
    conn.execute("ALTER TABLE mission DROP COLUMN web_form")
    conn.execute("DROP INDEX ix_letter_event_tracking")
    conn.execute("ALTER TABLE letter_event DROP COLUMN tracking")
    conn.execute("DROP TABLE consent")
    conn.execute("DROP TABLE document")
    conn.execute('ALTER TABLE "case" DROP COLUMN acting_relation')
    conn.execute('ALTER TABLE "case" DROP COLUMN acting')
    conn.execute("DROP TABLE caution")
    conn.execute('ALTER TABLE "case" DROP COLUMN threat_states')
    conn.execute("UPDATE alembic_version SET version_num = '0005'")
    conn.commit()
    conn.close()
    migrated = open_database(f"sqlite:///{path}")  # applies 0006, which counts every case, and the rest

    assert migrated.schema_version() == HEAD
    assert_counted(migrated)
    with migrated.read_rows() as c:  # 0007: an existing case is protected from its own state
        rows = list(c.execute(sa.text('SELECT nationality, threat_states FROM "case"')))
    assert rows and all(threats == nationality for nationality, threats in rows)
    migrated.close()


def test_status_over_every_case_prints_what_the_letters_count(  # type: ignore[no-untyped-def]
    plea, db: Database, db_file
) -> None:
    """`plea status` (every open case), the whole command, reads the kept figures and prints what
    counting the letters gives (statuses: the path `plea status CASE` takes), in JSON and as a
    table: letters drafted, sent, sent twice, bounced, closed and answered, answers before the
    first letter and unsolicited ones, the cases' own follow-up intervals and the setting. A case
    that a write from outside plea noted for recounting is counted from its letters."""
    from plea.status import headline, open_cases, statuses

    _fill(db, seed=11, cases=20)
    plea("config", "set", "followup_days", "30")
    with db.read() as s:
        kinds = {k for (k,) in s.connection().execute(text("SELECT DISTINCT status FROM letter"))}
    assert kinds == {"drafted", "sent", "bounced", "closed"}
    first_sent = "(SELECT min(id) FROM letter WHERE status = 'sent')"
    execute(db_file, f"UPDATE letter SET status = 'closed' WHERE id = {first_sent}")  # outside plea: noted
    with db.read() as s:
        conn = s.connection()
        assert len(summary.dirty(conn)) == 1
        cases = open_cases(conn)
        counted = statuses(conn, cases, TODAY)
        from plea.cautions import by_threats, effective

        cautions = effective(conn)

        def held(c) -> int:  # type: ignore[no-untyped-def]  # threat and cautioned states not written to
            threats = (c.threat_states or "").split()
            return len((set(threats) | set(by_threats(cautions, threats))) - {r.state for r in counted[c.id]})

        expected = [{"case": c.ref, "name": c.name_latin, **headline(counted[c.id], TODAY), "held_back": held(c)}
                    for c in cases]
    assert json.loads(plea("status", "--json").stdout) == expected
    assert {h["due"] for h in expected} - {0} and {h["bounced"] for h in expected} - {0}
    lines = plea("status").stdout.splitlines()
    assert [line.split() for line in lines[1:]] == [
        [h["case"], "Test", h["case"], *(str(h[k]) for k in ("wrote_to", "answered", "positive", "silent"))]
        + [str(h["due"]), str(h["held_back"])]
        for h in expected
    ]
