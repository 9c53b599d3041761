"""`plea followups --ics`: follow-up dates in the calendars caseworkers use (issue 23)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_recipient_rule import case  # noqa: F401  (the fixture: a Russian national's letters)
from tests.dbcheck import execute


def test_followups_ics_opens_with_icalendar_with_stable_uids_and_no_story(  # noqa: F811 (the fixture)
        plea, db_file: Path, case: str, tmp_path: Path) -> None:
    from icalendar import Calendar

    plea("letters", "sent", case, "--to", "FR,DE,IT", "--via", "hand")
    execute(db_file, "UPDATE letter_event SET \"on\" = '2020-01-02' WHERE status = 'sent' AND letter_id IN "
                     "(SELECT l.id FROM letter l JOIN mission m ON m.id = l.mission_id WHERE m.sending = 'FR')")
    ics = tmp_path / "followups.ics"
    plea("followups", case, "--ics", str(ics))
    first = Calendar.from_ical(ics.read_bytes())
    events = {str(e["summary"]): e for e in first.walk("VEVENT")}
    assert sorted(events) == [f"Follow-up due: {case} → {n}" for n in ("France (FR)", "Germany (DE)", "Italy (IT)")]
    fr = events[f"Follow-up due: {case} → France (FR)"]
    assert fr.decoded("dtstart").isoformat() == "2020-01-23"  # overdue: 21 days after the sending
    text = ics.read_text(encoding="utf-8")
    assert "Ivan Petrov" not in text and "Arrested" not in text  # never the person or their story
    plea("responses", "log", case, "DE", "--outcome", "acknowledged")  # answered: no follow-up any more
    plea("followups", case, "--ics", str(ics))
    second = Calendar.from_ical(ics.read_bytes())
    uids = {str(e["summary"]): str(e["uid"]) for e in second.walk("VEVENT")}
    assert uids == {s: str(e["uid"]) for s, e in events.items() if "DE" not in s}  # the same events again
    other = tmp_path / "notes.txt"
    other.write_text("mine", encoding="utf-8")
    r = plea("followups", case, "--ics", str(other), code=6)
    assert r.stderr == f"plea: error: --ics: {other} exists and is not a calendar plea wrote\n  choose another file name\n"
    assert other.read_text(encoding="utf-8") == "mine"
