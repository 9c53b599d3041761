"""Which case, state and letter a reply answers; it prefers no answer to a wrong one. In order:
1. In-Reply-To / References naming a Message-ID plea sent (the outbox);
2. a case reference (PLEA-2026-0001) in the subject or body, when the sender is outside the
   user's own domains and the reply is dated on or after the letter; the state from the sender;
3. the sender's address, or its organisation's domain, against the missions written to: the
   mission's own email domain, or the state's official mail domains (those of its embassies,
   consulates and missions in the directory). Websites never count. An address at a webmail,
   ISP or hosting provider (data/mail_providers.csv) only ever counts as a whole address.
Mail from the user's own side (plea's From address, colleagues) is never an answer by itself:
only what it forwards counts. A match needs one case and one state; anything less is left for
`plea inbox triage`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from sqlmodel import Session, col, func, or_, select

from plea.db.models import Case, Letter, Mission, Outbox
from plea.mail.domains import Own, org_domain, own_side
from plea.mail.parse import Parsed

CASE_REF = re.compile(r"\b[A-Z][A-Z0-9]{1,15}-\d{4}-\d{4,6}\b", re.I)
# missions whose mail domain speaks for their state (not honorary consuls' own firms, not "other")
OFFICIAL_KINDS = ("embassy", "high-commission", "nunciature", "consulate-general", "consulate",
                  "permanent-mission", "foreign-ministry")


@dataclass
class Match:
    case_id: int | None = None
    state: str = ""
    letter_id: int | None = None
    how: str = ""  # in-reply-to references case-ref sender domain

    @property
    def complete(self) -> bool:
        return self.case_id is not None and bool(self.state)


def addresses_of(field: str) -> list[str]:
    """Every address in a mission's email field (several may be separated by , or ;)."""
    return [a.strip().lower() for _n, a in getaddresses([field.replace(";", ",")]) if "@" in a]


def _by_message_id(session: Session, p: Parsed) -> Match | None:
    for how, ids in (("in-reply-to", p.in_reply_to), ("references", p.references)):
        if not ids:
            continue
        row = session.exec(
            select(Outbox).where(col(Outbox.message_id).in_(ids)).order_by(col(Outbox.id).desc())
        ).first()
        if row is not None:
            state = session.exec(
                select(Mission.sending)
                .join(Letter, col(Letter.mission_id) == Mission.id)
                .where(Letter.id == row.letter_id)
            ).one()
            return Match(row.case_id, state, row.letter_id, how)
    return None


def _sent_letters(
    session: Session,
    missions: set[str] | None = None,
    states: set[str] | None = None,
    case_id: int | None = None,
) -> list[tuple[Letter, Mission]]:
    """Letters (not drafts) to these missions or to any mission of these states; none for neither."""
    q = select(Letter, Mission).join(Mission, col(Mission.id) == Letter.mission_id)
    q = q.where(Letter.status != "drafted")
    if case_id is not None:
        q = q.where(Letter.case_id == case_id)
    near = []
    if missions:
        near.append(col(Mission.id).in_(missions))
    if states:
        near.append(col(Mission.sending).in_(states))
    if not near:
        return []
    q = q.where(or_(*near))
    return [(lt, m) for lt, m in session.exec(q.order_by(col(Letter.id)))]


def _missions_at(session: Session, needle: str) -> list[Mission]:
    """Missions whose email field contains needle (an address or a domain), looked up once per
    transaction: importing a mailbox asks for the same domains again and again."""
    cache = session.info.setdefault("plea_missions_at", {})
    if needle not in cache:
        # domains are case-insensitive; LIKE is on SQLite (for ASCII), not on PostgreSQL
        query = select(Mission).where(func.lower(col(Mission.email)).contains(needle))
        cache[needle] = list(session.exec(query))
    return cache[needle]


def _by_sender(
    session: Session, senders: list[str], case_id: int | None = None
) -> tuple[list[tuple[Letter, Mission]], str]:
    """Letters sent to missions that match a sender: the whole address first, then the
    organisation's domain (the mission's own, or its state's official domains)."""
    for sender in senders:
        exact = {m.id for m in _missions_at(session, sender) if sender in addresses_of(m.email)}
        letters = _sent_letters(session, missions=exact, case_id=case_id) if exact else []
        if letters:
            return letters, "sender"
    found: list[tuple[Letter, Mission]] = []
    for sender in senders:
        org = org_domain(sender)
        if not org:
            continue
        at = [
            m for m in _missions_at(session, org) if any(org_domain(a) == org for a in addresses_of(m.email))
        ]
        states = {m.sending for m in at if m.kind in OFFICIAL_KINDS}
        found += _sent_letters(session, missions={m.id for m in at}, states=states, case_id=case_id)
    return found, "domain"


def _pick(pairs: list[tuple[Letter, Mission]], how: str) -> Match:
    cases = {lt.case_id for lt, _ in pairs}
    states = {m.sending for _, m in pairs}
    sent = [lt for lt, _ in pairs if lt.status != "drafted"] or [lt for lt, _ in pairs]
    return Match(
        case_id=cases.pop() if len(cases) == 1 else None,
        state=states.pop() if len(states) == 1 else "",
        letter_id=sent[0].id if len(cases) == 1 and len(states) == 1 else None,
        how=how,
    )


def _first_sent(session: Session, letters: list[tuple[Letter, Mission]]) -> dict[int, object]:
    from plea.campaign import letter_events

    events = letter_events(session, [lt.id for lt, _ in letters if lt.id])
    return {i: min((e.on for e in evs if e.status == "sent"), default=None) for i, evs in events.items()}


def _by_case_ref(session: Session, p: Parsed, senders: list[str], own: Own) -> Match | None:
    refs = [r.upper() for r in CASE_REF.findall(f"{p.subject}\n{p.text}")]
    if not refs:
        return None
    cases = {c.ref: c.id for c in session.exec(select(Case).where(col(Case.ref).in_(refs)))}
    case_id = next((cases[r] for r in refs if r in cases), None)
    if case_id is None or own.is_own(p.sender):  # a colleague's note or plea's own copy: no answer
        return None
    hits, _how = _by_sender(session, senders, case_id=case_id)
    sent = _first_sent(session, hits)
    day = p.date.date() if p.date else None
    # dated on or after the letter it would answer; no date, no certainty
    hits = [(lt, m) for lt, m in hits if day and sent.get(lt.id or 0) and day >= sent[lt.id or 0]]  # type: ignore[operator]
    m = _pick(hits, "case-ref") if hits else Match()
    return Match(case_id, m.state, m.letter_id, "case-ref")


def match(session: Session, p: Parsed) -> Match:
    own = own_side(session)
    if own.is_own(p.sender):
        # the user's own mail (a copy, a note, a forward): only what it forwards can count
        forwarded = [s for s in p.senders[1:] if not own.is_own(s)]
        if not forwarded:
            return Match()
        inner = Parsed(p.message_id, p.subject, forwarded[0], p.date, p.forwarded_refs, [], p.text, forwarded)
        return _match_outside(session, inner, own)
    return _match_outside(session, p, own)


def _match_outside(session: Session, p: Parsed, own: Own) -> Match:
    found = _by_message_id(session, p)
    if found:
        return found
    senders = [s for s in (p.senders or [p.sender]) if s and not own.is_own(s)]
    by_ref = _by_case_ref(session, p, senders, own)
    if by_ref is not None:
        return by_ref
    hits, how = _by_sender(session, senders)
    return _pick(hits, how) if hits else Match()
