"""The campaign log: sending, responses, status, follow-ups, history, demo."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import Days
from tests.dbcheck import rows as q

TODAY = date.today()  # the day the running test started (_today): a run may cross midnight


@pytest.fixture(autouse=True)
def _today(days: Days) -> None:
    global TODAY
    TODAY = days.first


def day(n: int) -> str:
    """n days before the test started, ISO."""
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture
def case(plea, db_file: Path, tmp_path: Path) -> str:
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--situation", "at-liberty").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE,IT,ES,JP,PL", "--format", "md",
         "--out", str(tmp_path / "out"))
    return ref


def test_sent_records_transition_with_date_via_and_proof(plea, db_file: Path, case: str, tmp_path: Path,
                                                        plea_home: Path) -> None:
    proof = tmp_path / "receipt.txt"
    proof.write_text("USPS tracking 9400 0000 0000")
    r = plea("letters", "sent", "--force", case, "--to", "FR,Germany", "--on", day(3), "--via", "post", "--proof", str(proof))
    assert r.stdout.split() == ["FR", "DE"]
    rows = q(db_file, "SELECT m.sending, l.status FROM letter l JOIN mission m ON m.id=l.mission_id ORDER BY m.sending")
    assert dict(rows) == {"DE": "sent", "ES": "drafted", "FR": "sent", "IT": "drafted", "JP": "drafted", "PL": "drafted"}
    events = q(db_file, "SELECT status, \"on\", via, proof_path, proof_sha256 FROM letter_event WHERE status='sent'")
    digest = hashlib.sha256(proof.read_bytes()).hexdigest()
    assert len(events) == 2 and {e[1] for e in events} == {day(3)} and {e[2] for e in events} == {"post"}
    stored = Path(events[0][3])
    assert events[0][4] == digest and stored.read_bytes() == proof.read_bytes()
    assert plea_home in stored.parents and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    # drafted transitions were stored when the letters were rendered
    assert q(db_file, "SELECT count(*) FROM letter_event WHERE status='drafted'") == [(6,)]


def test_sent_again_and_bounced(plea, db_file: Path, case: str) -> None:
    plea("letters", "sent", "--force", case, "--to", "FR", "--on", day(10), "--via", "email")
    plea("letters", "bounced", case, "--to", "FR", "--on", day(9))
    plea("letters", "sent", "--force", case, "--to", "FR", "--on", day(8), "--via", "post")
    assert [r[0] for r in q(db_file, "SELECT e.status FROM letter_event e JOIN letter l ON l.id=e.letter_id "
                                     "JOIN mission m ON m.id=l.mission_id WHERE m.sending='FR' ORDER BY e.id")] == \
        ["drafted", "sent", "bounced", "sent"]
    r = plea("letters", "bounced", case, "--to", "DE", code=6)
    assert "drafted, not sent" in r.stderr


def test_letters_to_all_come_in_one_order_after_updates(plea, db_file: Path, case: str) -> None:
    """--to all lists (and records) the letters in the order they were written, whatever the
    database did to its rows (PostgreSQL moves a row when it is updated)."""
    written = [s for (s,) in q(db_file, "SELECT m.sending FROM letter l JOIN mission m ON m.id=l.mission_id "
                                        "ORDER BY l.id")]
    r = plea("letters", "sent", "--force", case, "--to", "IT,FR", "--on", day(10), "--via", "email")
    assert r.stdout.split() == ["IT", "FR"]
    plea("letters", "bounced", case, "--to", "FR", "--on", day(9))
    r = plea("letters", "sent", "--force", case, "--to", "all", "--on", day(8), "--via", "post")
    assert r.stdout.split() == written
    assert plea("letters", "close", case, "--to", "all", "--on", day(1)).stdout.split() == written
    sent = [json.loads(d)["mission"] for (d,) in q(db_file, "SELECT data FROM event WHERE kind='letter.sent' "
                                                             "ORDER BY id")][2:]
    by_id = dict(q(db_file, "SELECT id, sending FROM mission"))
    assert [by_id[m] for m in sent] == written


def test_sent_rejects_future_date_unknown_via_and_unrendered_state(plea, db_file: Path, case: str) -> None:
    before = q(db_file, "SELECT count(*) FROM letter_event")
    # the day after tomorrow: in the future whichever day the command runs on (tomorrow, the
    # boundary, is tested on fixed days below)
    later = (TODAY + timedelta(days=2)).isoformat()
    r = plea("letters", "sent", case, "--to", "FR", "--on", later, "--via", "post", code=3)
    assert "in the future" in r.stderr
    r = plea("letters", "sent", case, "--to", "FR", "--via", "pigeon", code=3)
    assert "--via: 'pigeon' is not one of" in r.stderr
    r = plea("letters", "sent", case, "--to", "FR,BR", "--via", "post", code=4)
    assert "Brazil (BR)" in r.stderr and "render them first" in r.stderr
    r = plea("letters", "sent", case, "--to", "FR", "--via", "post", "--on", "2026-02-30", code=3)
    assert r.stderr == ("plea: error: --on: not a date '2026-02-30' "
                        "(use YYYY-MM-DD, today, yesterday or -Nd (N days ago))\n")
    assert q(db_file, "SELECT count(*) FROM letter_event") == before


def test_a_day_after_today_is_in_the_future() -> None:
    from plea.campaign import _check_day
    from plea.errors import InvalidInput

    _check_day(date(2026, 3, 1), date(2026, 3, 1), "a sending")  # today: accepted
    with pytest.raises(InvalidInput) as e:
        _check_day(date(2026, 3, 2), date(2026, 3, 1), "a sending")
    assert str(e.value) == ("--on: 2026-03-02 is in the future; a sending can only be recorded once it "
                            "happened")


def test_date_options_take_today_yesterday_and_days_ago(days: Days, plea, db_file: Path, case: str) -> None:
    plea("letters", "sent", case, "--to", "FR", "--on", "-10d", "--via", "post", "--force")
    plea("letters", "sent", case, "--to", "DE", "--on", "yesterday", "--via", "post", "--force")
    plea("letters", "sent", case, "--to", "IT", "--on", "today", "--via", "hand")
    plea("responses", "log", case, "France", "--outcome", "positive", "--on", "yesterday")
    plea("responses", "log", case, "Germany", "--outcome", "acknowledged")  # --on left out: today
    sent = q(db_file, "SELECT m.sending, e.\"on\" FROM letter_event e JOIN letter l ON l.id=e.letter_id "
                      "JOIN mission m ON m.id=l.mission_id WHERE e.status='sent' ORDER BY m.sending")
    # each counted from the day its command ran: a day of this test (two if it ran across midnight)
    assert [s for s, _ in sent] == ["DE", "FR", "IT"]
    on = {s: str(d)[:10] for s, d in sent}
    assert on["DE"] in days.ago(1) and on["FR"] in days.ago(10) and on["IT"] in days
    answers = q(db_file, "SELECT state, \"on\" FROM response ORDER BY state")
    assert [s for s, _ in answers] == ["DE", "FR"]
    on = {s: str(d)[:10] for s, d in answers}
    assert on["DE"] in days and on["FR"] in days.ago(1)
    r = plea("audit", "log", "--since", "-1d", "--json")
    assert r.exit_code == 0
    r = plea("report", "--since", "-3x", code=3)
    assert r.stderr == ("plea: error: --since: not a date '-3x' "
                        "(use YYYY-MM-DD, today, yesterday or -Nd (N days ago))\n")


def test_responses_log_by_name_in_english_or_user_language(plea, db_file: Path, case: str, monkeypatch) -> None:
    plea("letters", "sent", "--force", case, "--to", "all", "--on", day(30), "--via", "post")
    plea("responses", "log", case, "France", "--outcome", "positive", "--on", day(5), "--summary", "Come in")
    monkeypatch.setenv("PLEA_LANG", "ru")
    plea("responses", "log", case, "Германия", "--outcome", "acknowledged", "--on", day(4))
    data = json.loads(plea("responses", "list", case, "--json").stdout)
    assert [(d["state"], d["outcome"]) for d in data] == [("FR", "positive"), ("DE", "acknowledged")]
    statuses = dict(q(db_file, "SELECT m.sending, l.status FROM letter l JOIN mission m ON m.id=l.mission_id"))
    assert statuses["FR"] == "answered" and statuses["DE"] == "answered" and statuses["IT"] == "sent"


def test_responses_bad_input_changes_nothing(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    plea("letters", "sent", "--force", case, "--to", "FR", "--on", day(10), "--via", "post")
    r = plea("responses", "log", case, "Frnace", "--outcome", "positive", code=4)
    assert "FR (France)" in r.stderr
    r = plea("responses", "log", case, "FR", "--outcome", "positiv", code=3)
    assert "did you mean positive" in r.stderr
    r = plea("responses", "log", case, "FR", "--outcome", "positive", "--on", (TODAY + timedelta(days=2)).isoformat(), code=3)
    assert "in the future" in r.stderr
    r = plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(20), code=3)
    assert "before the first letter" in r.stderr
    r = plea("responses", "log", case, "Brazil", "--outcome", "positive", code=6)
    assert "never wrote to Brazil" in r.stderr and "--force" in r.stderr
    r = plea("responses", "log", "PLEA-1999-0001", "FR", "--outcome", "positive", code=4)
    assert q(db_file, "SELECT count(*) FROM response") == [(0,)]
    # --force: an unsolicited reply, with an attachment kept
    att = tmp_path / "reply.pdf"
    att.write_bytes(b"%PDF-1.4 fake")
    plea("responses", "log", case, "Brazil", "--outcome", "info-requested", "--force", "--attach", str(att))
    row = q(db_file, "SELECT state, unsolicited, attachments FROM response")[0]
    assert row[0] == "BR" and row[1] == 1 and hashlib.sha256(att.read_bytes()).hexdigest() in row[2]


def test_status_table_json_and_headline(days: Days, plea, db_file: Path, case: str) -> None:
    plea("letters", "sent", "--force", case, "--to", "all", "--on", day(30), "--via", "post")
    plea("letters", "sent", "--force", case, "--to", "JP", "--on", day(2), "--via", "email")  # sent again recently
    plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(10))
    plea("responses", "log", case, "DE", "--outcome", "negative", "--on", day(9))
    data = json.loads(plea("status", case, "--json").stdout)
    h = data["headline"]
    assert (h["wrote_to"], h["answered"], h["positive"], h["silent"], h["due"]) == (6, 2, 1, 4, 3)
    order = [s["state"] for s in data["states"]]
    assert order[:2] == ["FR", "DE"]  # answers first
    assert set(order[2:5]) == {"IT", "ES", "PL"} and order[5] == "JP"  # then overdue, then waiting
    jp = data["states"][5]
    assert jp["days_waiting"] in days.since(TODAY - timedelta(days=2))  # 2, or 3 after midnight
    assert not jp["overdue"] and jp["first_sent"] == day(30)
    text = plea("status", case).stdout
    assert "Wrote to 6 of 193 UN member states · 2 answered (1 positive) · 4 silent · 3 due for follow-up" in text
    assert "France" in text and "positive" in text
    overall = json.loads(plea("status", "--json").stdout)
    assert overall == [{"case": case, "name": "Test Person", **h}]


def test_followups_interval_global_and_per_case(plea, db_file: Path, case: str) -> None:
    plea("letters", "sent", "--force", case, "--to", "FR,DE", "--on", day(15), "--via", "post")
    assert json.loads(plea("followups", case, "--json").stdout) == []
    plea("config", "set", "followup_days", "14")
    assert [r["state"] for r in json.loads(plea("followups", case, "--json").stdout)] == ["FR", "DE"]
    plea("cases", "edit", case, "--followup-days", "30")
    assert json.loads(plea("followups", case, "--json").stdout) == []
    plea("config", "set", "followup_days", "0", code=3)


def test_follow_up_render_due_cites_first_letter(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    from babel.dates import format_date

    plea("letters", "sent", "--force", case, "--to", "FR,DE", "--on", day(40), "--via", "post")
    plea("letters", "sent", "--force", case, "--to", "IT", "--on", day(3), "--via", "post")
    plea("responses", "log", case, "DE", "--outcome", "acknowledged", "--on", day(1))
    out = tmp_path / "fu"
    r = plea("letters", "render", case, "--letter", "follow-up", "--due", "--host", "US", "--to", "all",
             "--format", "txt", "--out", str(out))
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"{case}_FR-US_follow-up_fr.txt"], r.stderr
    text = (out / files[0]).read_text()
    assert format_date(TODAY - timedelta(days=40), "long", locale="fr") in text
    assert case in text


def test_thanks_needs_an_answer(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    plea("letters", "sent", "--force", case, "--to", "FR,DE", "--on", day(10), "--via", "post")
    plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(2))
    r = plea("letters", "render", case, "--letter", "thanks", "--to", "DE", "--format", "txt", "--out", str(tmp_path / "t"), code=3)
    assert "no answer is logged" in r.stderr
    plea("letters", "render", case, "--letter", "thanks", "--to", "all", "--format", "txt", "--out", str(tmp_path / "t"))
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [f"{case}_FR-US_thanks_fr.txt"]


def test_history_shows_timeline_with_actor(plea, db_file: Path, case: str, monkeypatch) -> None:
    plea("cases", "edit", case, "--situation", "detained", "--facility", "Somewhere")
    plea("letters", "sent", "--force", case, "--to", "FR", "--on", day(3), "--via", "post")
    monkeypatch.setenv("PLEA_ACTOR", "caseworker-2")
    plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(1))
    plea("--actor", "lawyer-1", "cases", "archive", case)
    data = json.loads(plea("history", case, "--all", "--json").stdout)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[0] == "case.created" and kinds.count("letter.rendered") == 6
    assert kinds[-4:] == ["letter.sent", "response.logged", "letter.answered", "case.archived"]
    assert [e["actor"] for e in data["events"]][-3:] == ["caseworker-2", "caseworker-2", "lawyer-1"]
    assert "edited: facility, situation" in [e["what"] for e in data["events"]]
    assert any(e["what"].startswith("humanitarian-visa to France (FR) sent on") for e in data["events"])
    text = plea("history", case, "--all").stdout
    assert "caseworker-2" in text and "History of " + case in text
    # events carry no personal data
    assert not [r for r in q(db_file, "SELECT data FROM event") if "Test Person" in r[0] or "Somewhere" in r[0]]


def test_every_change_has_its_event(plea, db_file: Path, case: str) -> None:
    """Letter transitions and history events are written together."""
    plea("letters", "sent", "--force", case, "--to", "all", "--on", day(3), "--via", "post")
    plea("responses", "log", case, "IT", "--outcome", "referred", "--on", day(1))
    transitions = q(db_file, "SELECT count(*) FROM letter_event WHERE status != 'drafted'")[0][0]
    events = q(db_file, "SELECT count(*) FROM event WHERE kind IN ('letter.sent','letter.answered','letter.bounced','letter.closed')")[0][0]
    assert transitions == events == 7


def test_demo_runs_the_whole_path(plea, tmp_path: Path, monkeypatch) -> None:
    keep = tmp_path / "demo"
    r = plea("demo", "--keep", str(keep))
    assert "2 answered (1 positive)" in r.stdout
    assert "France" in r.stdout and "positive" in r.stdout
    db = keep / "plea.sqlite3"  # a plea folder like any other: PLEA_HOME=keep opens it
    n_letters = q(db, "SELECT count(*) FROM letter")[0][0]
    assert n_letters >= 150
    assert len(list((keep / "letters").glob("*.docx"))) == n_letters
    assert q(db, "SELECT state, outcome FROM response ORDER BY id") == [("FR", "positive"), ("DE", "acknowledged")]
    # the fictional applicant is Russian: no letter to Russia, nor to the states that may hand her over
    written = {s for (s,) in q(db, "SELECT m.sending FROM letter l JOIN mission m ON m.id = l.mission_id")}
    assert "RU" not in written and not list((keep / "letters").glob("*_RU_*"))
    assert "BY" not in written and "KZ" not in written
    assert "held back, as for every case: " in r.stderr and "Russia" in r.stderr
    assert f"look at it: PLEA_HOME={keep} plea status PLEA-" in r.stderr
    plea("demo", "--keep", str(keep), code=6)  # not an empty folder
    # by default: a new ./plea-demo, then ./plea-demo-2, each kept
    monkeypatch.chdir(tmp_path)
    plea("demo")
    plea("demo")
    assert (tmp_path / "plea-demo" / "plea.sqlite3").exists() and (tmp_path / "plea-demo-2" / "letters").is_dir()
    # a plea folder like any other: private (plea doctor failed on the demo's 0755 before)
    assert {f.stat().st_mode & 0o777 for f in (keep, tmp_path / "plea-demo")} == {0o700}
    monkeypatch.setenv("PLEA_HOME", str(tmp_path / "plea-demo-2"))
    assert "2 answered (1 positive)" in plea("status", "PLEA-" + r.stderr.split("PLEA-")[1][:9]).stdout


def test_repeating_sent_or_log_adds_nothing(plea, db_file: Path, case: str) -> None:
    plea("letters", "sent", "--force", case, "--to", "FR,DE", "--on", day(5), "--via", "post")
    again = plea("letters", "sent", "--force", case, "--to", "FR,DE", "--on", day(5), "--via", "post")
    assert again.stdout == "" and "already marked sent" in again.stderr
    assert q(db_file, "SELECT count(*) FROM letter_event WHERE status='sent'") == [(2,)]
    plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(2), "--summary", "yes")
    r = plea("responses", "log", case, "FR", "--outcome", "positive", "--on", day(2), "--summary", "yes")
    assert "already logged" in r.stderr
    assert q(db_file, "SELECT count(*) FROM response") == [(1,)]
    assert q(db_file, "SELECT count(*) FROM event WHERE kind='response.logged'") == [(1,)]
    # a different answer on another day is a new response
    plea("responses", "log", case, "FR", "--outcome", "info-requested", "--on", day(1))
    assert q(db_file, "SELECT count(*) FROM response") == [(2,)]


def sent_day(db_file: Path, case: str, state: str) -> date:
    """The day a case's letter to a state was last recorded as sent."""
    ((on,),) = q(db_file, "SELECT e.\"on\" FROM letter_event e JOIN letter l ON l.id = e.letter_id "
                          "JOIN mission m ON m.id = l.mission_id JOIN \"case\" c ON c.id = l.case_id "
                          "WHERE c.ref = ? AND m.sending = ? AND e.status = 'sent' ORDER BY e.id DESC LIMIT 1",
                 case, state)
    return date.fromisoformat(str(on)[:10])


def test_followups_say_when_the_next_one_falls_due(days: Days, plea, db_file: Path, case: str,
                                                   tmp_path: Path) -> None:
    r = plea("followups", case)
    assert r.stderr == ("0 letter(s) due for a follow-up; no sent letter is waiting for an answer, "
                        "so no follow-up will fall due\n")
    plea("letters", "sent", case, "--to", "FR,DE", "--via", "hand")
    plea("letters", "sent", case, "--to", "IT", "--via", "post", "--on", day(1), "--force")
    plea("responses", "log", case, "IT", "--outcome", "acknowledged")
    sent_on = sent_day(db_file, case, "FR")  # today, for that command
    assert sent_on in days and sent_day(db_file, case, "DE") == sent_on
    due_on = (sent_on + timedelta(days=21)).isoformat()
    r = plea("followups", case)
    assert r.stderr == f"0 letter(s) due for a follow-up; the next follow-up falls due on {due_on}: France (FR), Germany (DE)\n"
    assert json.loads(plea("followups", case, "--json").stdout) == []
    out = tmp_path / "fu"
    r = plea("letters", "render", case, "--letter", "follow-up", "--due", "--out", str(out))
    assert r.stderr == ("nothing to render: no letter is due; the next follow-up falls due on "
                        f"{due_on}: France (FR), Germany (DE)\n")
    assert not out.exists()
    # across cases, each state is named with its case
    other = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Second Person", "--nationality", "RU", "--persecution", "Story.",
                 "--country", "US", "--situation", "at-liberty").stdout.strip()
    plea("letters", "render", other, "--to", "ES", "--format", "md", "--out", str(tmp_path / "o2"))
    plea("letters", "sent", other, "--to", "ES", "--via", "hand")
    plea("cases", "edit", other, "--followup-days", "7")
    r = plea("followups")
    soon = (sent_day(db_file, other, "ES") + timedelta(days=7)).isoformat()
    assert r.stderr == f"0 letter(s) due for a follow-up; the next follow-up falls due on {soon}: Spain (ES) for {other}\n"


def test_history_sums_up_by_kind_and_day_and_filters(one_day: None, plea, db_file: Path, case: str,
                                                      tmp_path: Path) -> None:
    """`plea history` gives one line per kind of event and day by default; --all every event. The
    test's events all fall on one day (one_day)."""
    plea("letters", "render", case, "--to", "FR,DE,IT,ES,JP,PL", "--format", "txt", "--out", str(tmp_path / "t"))
    plea("letters", "sent", case, "--to", "all", "--via", "hand")
    plea("responses", "log", case, "FR", "--outcome", "positive")
    plea("responses", "log", case, "DE", "--outcome", "acknowledged")
    today = date.today().isoformat()  # events are dated in UTC: one_day keeps the test off midnight
    lines = plea("history", case).stdout.splitlines()
    assert lines[0] == f"History of {case}" and lines[1].split() == ["day", "(UTC)", "events", "what", "who"]
    rows = [line.split(None, 2) for line in lines[2:]]
    assert [(r[1], r[2].rsplit("  ", 1)[0].strip()) for r in rows] == [
        ("1", "case created"),
        ("12", "humanitarian-visa rendered: 12 file(s) (md, txt) for 6 states"),
        ("6", "humanitarian-visa sent: 6 states via hand"),
        ("2", "answer(s) from France (FR), Germany (DE): 1 positive, 1 acknowledged"),
        ("2", "humanitarian-visa answered: France (FR), Germany (DE)"),
    ]
    assert all(r[0] == today and r[2].endswith("tester") for r in rows)
    summary = json.loads(plea("history", case, "--json").stdout)
    assert summary["total"] == 23 and summary["filters"] == {"kind": None, "since": None, "state": None}
    assert [(g["kind"], g["count"], g["day"]) for g in summary["summary"]] == [
        ("case.created", 1, today), ("letter.rendered", 12, today), ("letter.sent", 6, today),
        ("response.logged", 2, today), ("letter.answered", 2, today)]
    assert summary["summary"][2]["states"] == ["DE", "ES", "FR", "IT", "JP", "PL"]
    assert summary["summary"][2]["actors"] == ["tester"]
    every = json.loads(plea("history", case, "--all", "--json").stdout)
    assert set(every) == {"case", "events"} and len(every["events"]) == 23
    # filters: a kind prefix, a state (code or name), a day
    fr = json.loads(plea("history", case, "--state", "France", "--kind", "letter.", "--all", "--json").stdout)
    assert [e["kind"] for e in fr["events"]] == ["letter.rendered", "letter.rendered", "letter.sent", "letter.answered"]
    assert all("France (FR)" in e["what"] for e in fr["events"])
    answered = json.loads(plea("history", case, "--kind", "response", "--state", "DE", "--json").stdout)
    assert [(g["kind"], g["count"], g["what"]) for g in answered["summary"]] == [
        ("response.logged", 1, "answer(s) from Germany (DE): 1 acknowledged")]
    assert json.loads(plea("history", case, "--since", "-1d", "--json").stdout)["total"] == 23
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    later = json.loads(plea("history", case, "--since", tomorrow, "--json").stdout)
    assert later["total"] == 0 and later["summary"] == []
    r = plea("history", case, "--state", "Atlantis", code=4)
    assert r.stderr.startswith("plea: error: ")
