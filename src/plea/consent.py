"""Consent: what the applicant agreed that others may do in their name, and who acts for them.

A consent record holds the day it was given, an expiry, the states it covers (a --to expression such as
`@eu` or `all,-@cis`), the channels (email, post …; none named: any), whether the story may be shared,
and the signed consent as a case document. The latest record is the one in force. A case without one is
not restricted (letters plan says so in one line).

plea.recipients applies it: with `all` or a group, states outside the consent are held back; a state named
explicitly outside it, a channel outside it, or an expired consent stops the command (exit 6) unless
`--without-consent` is given, which is recorded in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from plea.errors import Conflict, InvalidInput, PleaError

ACTING = ("lawyer", "ngo", "relative", "supporter", "applicant")
OVERRIDE_FLAG = "--without-consent"


@dataclass(frozen=True)
class Rule:
    """The consent in force for one case, ready for plea.recipients."""

    ref: str
    given_on: date
    expires_on: date | None
    expression: str
    states: frozenset[str]
    channels: frozenset[str]  # empty: any channel
    share_story: bool

    @property
    def label(self) -> str:
        return f"the consent of {self.ref} given on {self.given_on.isoformat()} ({self.expression})"


def acting(case: Any) -> str:
    """Who acts: the recorded choice, else the lawyer when the case has a representative, else the applicant."""
    return case.acting or ("lawyer" if case.rep_name else "applicant")


def _states_of(expression: str) -> frozenset[str]:
    from plea import states
    from plea.recipients import _candidates, parse_to

    everyone = sorted(states.territory_names("en"))
    chosen, _ = _candidates(parse_to(expression), everyone, None)
    return frozenset(chosen)


def check_channels(text: str) -> list[str]:
    from plea.db.models import CHANNELS

    channels = [c.strip().lower() for c in text.replace(",", " ").split() if c.strip()]
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        raise InvalidInput(f"--channels: {', '.join(bad)} not one of {', '.join(CHANNELS)}")
    return list(dict.fromkeys(channels))


def record(session: Any, case: Any, *, given_on: date, expires_on: date | None, states: str, channels: str,
           share_story: bool, document: str | None, actor: str, today: date) -> Any:
    """A new consent record (the latest is in force), with its history event."""
    from plea.db.models import Consent
    from plea.documents import get
    from plea.history import record as record_event
    from plea.recipients import parse_to

    try:
        parse_to(states)  # an unknown state or group: exit 4 with the closest match, nothing recorded
    except PleaError as exc:  # the recipient rule's words, said of this option
        if exc.message.startswith("--to:"):
            exc.message = "--states:" + exc.message[len("--to:"):]
        raise
    if given_on > today:
        raise InvalidInput(f"--given: {given_on.isoformat()} is in the future")
    if expires_on is not None and expires_on < given_on:
        raise InvalidInput(f"--expires: {expires_on.isoformat()} is before the day it was given")
    doc = get(session, document, case) if document is not None else None
    row = Consent(case_id=case.id, given_on=given_on, expires_on=expires_on, states=states.strip(),
                  channels=" ".join(check_channels(channels)), share_story=share_story,
                  document_id=doc.id if doc else None, recorded_at=datetime.now(UTC), recorded_by=actor)
    session.add(row)
    session.flush()
    record_event(session, "consent.recorded", actor=actor, case_id=case.id, subject=f"consent:{row.id}",
                 data={"consent": row.id, "states": row.states, "channels": row.channels,
                       "share_story": share_story, "expires_on": expires_on.isoformat() if expires_on else None,
                       **({"document": doc.id, "sha256": doc.sha256} if doc else {})})
    return row


def current(conn: Any, case: Any) -> Rule | None:
    """The consent in force for a case (the latest recorded), or None."""
    from sqlalchemy import text

    row = conn.execute(text("SELECT given_on, expires_on, states, channels, share_story FROM consent "
                            "WHERE case_id = :c ORDER BY id DESC LIMIT 1"), {"c": case.id}).first()
    if row is None:
        return None

    def day(v: Any) -> date | None:
        return None if v is None else v if isinstance(v, date) else date.fromisoformat(str(v)[:10])

    return Rule(case.ref, day(row[0]), day(row[1]), row[2], _states_of(row[2]),  # type: ignore[arg-type]
                frozenset(row[3].split()), bool(row[4]))


def enforce(rule: Rule | None, *, today: date, channel: str | None = None, letter: Any = None) -> None:
    """Conflict (exit 6) for an expired consent, a channel outside it, or a letter (LetterSpec) that
    tells the story (its template requires it) when the consent does not let the story be shared
    (`plea consent add --no-story`)."""
    if rule is None:
        return
    if rule.expires_on is not None and rule.expires_on < today:
        raise Conflict(f"{rule.label} expired on {rule.expires_on.isoformat()}",
                       hint=f"record a new one with `plea consent add {rule.ref} …`, or override with {OVERRIDE_FLAG}")
    if channel and rule.channels and channel not in rule.channels:
        raise Conflict(f"{rule.label} does not cover {channel} (it covers {', '.join(sorted(rule.channels))})",
                       hint=f"record a new consent, or override with {OVERRIDE_FLAG}")
    if letter is not None and not rule.share_story and "persecution" in letter.requires:
        raise Conflict(f"{rule.label} does not let the story be shared, and the letter {letter.name!r} tells it",
                       hint=f"record a new consent with `plea consent add {rule.ref} …` (without --no-story), "
                            f"or override with {OVERRIDE_FLAG}")


def note_override(session: Any, case: Any, *, command: str, actor: str) -> None:
    """--without-consent was given: said in the history (and so in the audit and reports)."""
    from plea.history import record as record_event

    record_event(session, "consent.overridden", actor=actor, case_id=case.id, subject=f"case:{case.ref}",
                 data={"command": command})
