"""A case's timeline for `plea history`: its events filtered (kind, day, state) and summed up as
one line per kind of event and day (a case rendered for 168 embassies in two formats is one line,
not 336)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plea import states
from plea.db.models import Event, Mission


@dataclass(frozen=True)
class Filters:
    """What `plea history` keeps: a kind prefix (`letter.`, `response.logged`), events on or after
    a day (UTC), events about one state (its letters or its answers)."""

    kind: str | None = None
    since: date | None = None
    state: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        since = self.since.isoformat() if self.since else None
        return {"kind": self.kind, "since": since, "state": self.state}


def state_of(event: Event, missions: dict[str, Mission]) -> str | None:
    """The state an event is about: its mission's sending state, or the state that answered."""
    d = event.data or {}
    m = missions.get(d.get("mission") or "")
    return m.sending if m else d.get("state")


def keep(events: list[Event], missions: dict[str, Mission], f: Filters) -> list[Event]:
    return [e for e in events
            if (f.kind is None or e.kind.startswith(f.kind))
            and (f.since is None or e.at.date() >= f.since)
            and (f.state is None or state_of(e, missions) == f.state)]


@dataclass
class Group:
    """Events of one kind on one day."""

    day: str
    kind: str
    events: list[Event] = field(default_factory=list)

    def as_dict(self, missions: dict[str, Mission]) -> dict[str, Any]:
        actors = list(dict.fromkeys(e.actor for e in self.events))
        codes = sorted({s for e in self.events if (s := state_of(e, missions))})
        return {"day": self.day, "kind": self.kind, "count": len(self.events), "actors": actors,
                "states": codes, "first_at": self.events[0].at.isoformat(),
                "last_at": self.events[-1].at.isoformat(), "what": self.what(missions)}

    def what(self, missions: dict[str, Mission]) -> str:
        data = [e.data or {} for e in self.events]
        codes = list(dict.fromkeys(s for e in self.events if (s := state_of(e, missions))))
        kind = self.kind
        if kind == "case.edited":
            return "edited: " + ", ".join(sorted({f for d in data for f in d.get("fields", [])}))
        if kind.startswith("case."):
            return "case " + kind.split(".", 1)[1]
        if kind == "letter.rendered":
            formats = ", ".join(sorted({d.get("format", "?") for d in data}))
            return f"{_letters(data)} rendered: {len(data)} file(s) ({formats}) for {_states(codes)}"
        if kind.startswith("letter."):
            vias = sorted({d["via"] for d in data if d.get("via")})
            numbers = [d["tracking"] for d in data if d.get("tracking")]
            tracked = (f", tracking {', '.join(numbers)}" if len(numbers) <= 3
                       else f", {len(numbers)} tracking numbers") if numbers else ""
            return (f"{_letters(data)} {kind.split('.', 1)[1]}: {_states(codes)}"
                    + (f" via {', '.join(vias)}" if vias else "") + tracked)
        if kind == "mailing.prepared":
            return mailing_summary(data)
        if kind == "response.logged":
            outcomes = Counter(d.get("outcome", "?") for d in data)
            return f"answer(s) from {_states(codes)}: " + ", ".join(f"{n} {o}" for o, n in outcomes.items())
        return kind


def summarise(events: list[Event]) -> list[Group]:
    """One group per (day, kind), in the order each first happened."""
    groups: dict[tuple[str, str], Group] = {}
    for e in events:
        day = e.at.date().isoformat()
        groups.setdefault((day, e.kind), Group(day, e.kind)).events.append(e)
    return list(groups.values())


def mailing_summary(data: list[dict[str, Any]]) -> str:
    """A mailing for post (plea post): how many letters, how many missions left out for want of an address."""
    letters = sum(d.get("letters", 0) for d in data)
    left = sum(d.get("left_out", 0) for d in data)
    hosts = ", ".join(sorted({d.get("host", "?") for d in data}))
    return f"mailing prepared for post in {hosts}: {letters} letter(s), {left} left out (no postal address)"


def _letters(data: list[dict[str, Any]]) -> str:
    return ", ".join(sorted({d.get("letter") or "letter" for d in data}))


def _states(codes: list[str]) -> str:
    if not codes:
        return "no state"
    if len(codes) <= 3:
        return ", ".join(f"{states.name(c)} ({c})" for c in codes)
    return f"{len(codes)} states"
