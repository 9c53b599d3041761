"""Follow-up dates as an iCalendar file (RFC 5545), for the calendars caseworkers live in.

One all-day event per letter with a follow-up date, overdue or upcoming, named by the case reference and
the state, never by the person or their story. Each event's UID is derived from the case, the state and
the letter, so exporting again updates the same events in a calendar that imported them before.
Written with the `icalendar` library (maintained; it folds lines, escapes text and formats dates as the
RFC requires, which a hand-written writer gets wrong).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

PRODID = "-//plea//follow-ups//EN"


@dataclass(frozen=True)
class Entry:
    ref: str
    state: str
    state_name: str
    letter: str
    last_sent: date
    due_on: date


def uid(entry: Entry) -> str:
    key = f"{entry.ref}|{entry.state}|{entry.letter}".encode()
    return f"followup-{hashlib.sha256(key).hexdigest()[:24]}@plea"


def followups_ics(entries: list[Entry], *, now: datetime | None = None) -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "plea follow-ups")
    stamp = now or datetime.now(UTC)
    for e in sorted(entries, key=lambda x: (x.due_on, x.ref, x.state)):
        ev = Event()
        ev.add("uid", uid(e))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.due_on)
        ev.add("summary", f"Follow-up due: {e.ref} → {e.state_name} ({e.state})")
        ev.add("description", f"The {e.letter} letter of {e.ref} to {e.state_name} was last sent on "
                              f"{e.last_sent.isoformat()} and has no answer yet. "
                              f"Render the follow-up: plea letters render {e.ref} --letter follow-up --due")
        ev.add("categories", ["plea", "follow-up"])
        cal.add_component(ev)
    return cal.to_ical()


def is_plea_calendar(data: bytes) -> bool:
    """A file plea wrote before (it may be replaced by a new export)."""
    return data.startswith(b"BEGIN:VCALENDAR") and PRODID.encode() in data[:400]
