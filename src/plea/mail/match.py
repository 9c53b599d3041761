"""Which case, state and letter a reply answers. In order:
1. In-Reply-To / References naming a Message-ID plea sent (the outbox);
2. a case reference (PLEA-2026-0001) in the subject or body, with the state from the sender;
3. the sender's address or domain against the missions written to (their email and website);
   a public webmail domain (gmail.com…) only ever counts as a whole address.
A match needs one case and one state; anything less is left for `plea inbox triage`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, col, func, or_, select

from plea.db.models import Case, Letter, Mission, Outbox
from plea.mail.compose import mission_address
from plea.mail.parse import Parsed

CASE_REF = re.compile(r"\b[A-Z][A-Z0-9]{1,15}-\d{4}-\d{4,6}\b", re.I)
WEBMAIL = {
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mail.ru",
    "yandex.ru",
    "yandex.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "163.com",
    "126.com",
    "rambler.ru",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "yahoo.fr",
    "hotmail.fr",
    "orange.fr",
    "libero.it",
    "wp.pl",
    "o2.pl",
    "interia.pl",
}


@dataclass
class Match:
    case_id: int | None = None
    state: str = ""
    letter_id: int | None = None
    how: str = ""  # in-reply-to references case-ref sender domain

    @property
    def complete(self) -> bool:
        return self.case_id is not None and bool(self.state)


def domain_of(value: str) -> str:
    value = value.strip().lower()
    if "@" in value:
        return value.rpartition("@")[2].strip(">. ")
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    return host.removeprefix("www.")


def _same_domain(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


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


def _candidates(
    session: Session, case_id: int | None, senders: list[str] | None = None
) -> list[tuple[Letter, Mission]]:
    q = select(Letter, Mission).join(Mission, col(Mission.id) == Letter.mission_id)
    if case_id is not None:
        q = q.where(Letter.case_id == case_id)
    else:  # letters sent to missions whose email or website shares the senders' last two labels
        tails = {".".join(domain_of(s).split(".")[-2:]) for s in senders or []} - {""}
        if not tails:
            return []
        # domains are case-insensitive; LIKE is on SQLite (for ASCII), not on PostgreSQL
        near = [func.lower(col(Mission.email)).contains(t) for t in tails] + [
            func.lower(col(Mission.website)).contains(t) for t in tails
        ]
        q = q.where(Letter.status != "drafted").where(or_(*near))
    return [(lt, m) for lt, m in session.exec(q.order_by(col(Letter.id)))]


def _by_sender(p: Parsed, pairs: list[tuple[Letter, Mission]]) -> tuple[list[tuple[Letter, Mission]], str]:
    """Letters whose mission matches a sender: whole address first, then domain."""
    senders = p.senders or ([p.sender] if p.sender else [])
    exact = [(lt, m) for lt, m in pairs if mission_address(m).lower() in senders]
    if exact:
        return exact, "sender"
    domains = {domain_of(s) for s in senders} - WEBMAIL
    found = []
    for lt, m in pairs:
        theirs = {domain_of(mission_address(m)), domain_of(m.website)} - WEBMAIL - {""}
        if any(_same_domain(d, t) for d in domains for t in theirs):
            found.append((lt, m))
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


def match(session: Session, p: Parsed) -> Match:
    found = _by_message_id(session, p)
    if found:
        return found
    refs = [r.upper() for r in CASE_REF.findall(f"{p.subject}\n{p.text}")]
    if refs:
        cases = {c.ref: c.id for c in session.exec(select(Case).where(col(Case.ref).in_(refs)))}
        case_id = next((cases[r] for r in refs if r in cases), None)
        if case_id is not None:
            pairs = _candidates(session, case_id)
            hits, _how = _by_sender(p, pairs)
            if not hits and len({m.sending for _, m in pairs}) == 1:
                hits = pairs
            m = _pick(hits, "case-ref") if hits else Match()
            return Match(case_id, m.state, m.letter_id, "case-ref")
    hits, how = _by_sender(p, _candidates(session, None, p.senders or [p.sender]))
    return _pick(hits, how) if hits else Match()
