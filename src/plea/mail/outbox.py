"""The outbox: every letter's email goes queued → sending → sent (or failed).

Nothing lost, nothing twice:
- "queued" rows hold the exact message (stored .eml, its Message-ID) before any connection.
- "sending" is committed before the message is handed to the server, "sent" only after the
  server accepted it, together with the letter's 'sent' transition and the server's reply.
- A crash between the two leaves "sending": such a message may have been delivered, so plea
  never sends it again by itself; `plea outbox resolve ID --sent|--failed` settles it.
- A refusal marks the row "failed" with the server's words; `plea send --retry` builds it again
  (the mission's address may have been corrected) and sends it.

Sending needs several transactions (one before and one after each hand-over), so deliver()
takes the Database rather than a session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea import states
from plea.campaign import transition
from plea.db.models import Case, Letter, Mission, Outbox
from plea.errors import Conflict, InvalidInput, NotFound
from plea.history import record
from plea.mail.compose import Draft, Skip, build, new_message_id, prepare


@dataclass
class Plan:
    """What one `plea send` run will do."""

    drafts: list[tuple[Draft, Outbox | None]] = field(default_factory=list)  # (message, failed row to redo)
    queued: list[Outbox] = field(default_factory=list)  # left queued by an earlier run
    skipped: list[str] = field(default_factory=list)
    uncertain: list[Outbox] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the recipient rule's (a cautioned state named)

    @property
    def count(self) -> int:
        return len(self.drafts) + len(self.queued)


@dataclass
class Result:
    outbox_id: int
    state: str
    recipient: str
    status: str  # sent failed uncertain
    detail: str = ""


def parse_rate(text: str | None) -> float:
    """--rate N/min (or N/h, N/s, or N meaning per minute) → seconds between messages."""
    if not text:
        return 0.0
    number, _, unit = text.strip().lower().partition("/")
    per = {"": 60, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "s": 1, "sec": 1}.get(
        unit.strip()
    )
    try:
        n = float(number)
    except ValueError:
        n = 0
    if per is None or n <= 0:
        raise InvalidInput(f"--rate: {text!r} is not a rate such as 20/min")
    return per / n


def _rows(session: Session, status: str, case: Case | None) -> list[tuple[Outbox, str]]:
    """Outbox rows in one status (of one case, or of all), each with its letter's sending state."""
    q = (select(Outbox, Mission.sending).join(Letter, col(Letter.id) == Outbox.letter_id)
         .join(Mission, col(Mission.id) == Letter.mission_id).where(Outbox.status == status).order_by(col(Outbox.id)))
    if case is not None:
        q = q.where(Outbox.case_id == case.id)
    return [(row, state) for row, state in session.exec(q)]


def _permitted(session: Session, rows: list[tuple[Outbox, str]], to: str, *, unsafe: bool,  # 7 parameters
               skipped: list[str], without_consent: bool = False, today: date | None = None) -> list[Outbox]:
    """The rows whose state --to picks for their case by the one recipient rule (plea.recipients);
    a row held back is said in `skipped` and never sent."""
    from plea.recipients import for_case

    by_case: dict[int, list[tuple[Outbox, str]]] = {}
    for row, state in rows:
        by_case.setdefault(row.case_id, []).append((row, state))
    keep: set[int] = set()
    for case_id, pairs in by_case.items():
        case = session.get(Case, case_id)
        res = for_case(session, case, to, universe={st for _, st in pairs}, unsafe=unsafe, empty_ok=True,
                       without_consent=without_consent, channel="email", today=today)
        allowed = set(res.states)
        keep.update(row.id for row, st in pairs if st in allowed and row.id is not None)
        skipped.extend(f"{case.ref} → {states.name(h.state)} ({h.state}): held back, {h.reason}"  # type: ignore[union-attr]
                       for h in res.held_back)
    return [row for row, _ in rows if row.id in keep]


def plan(  # 9 parameters: `plea send`'s choice, by name
    session: Session, case: Case | None, *, to: str | None, letter: str, retry: bool, configured_sender: str,
    unsafe: bool = False, without_consent: bool = False, today: date | None = None,
) -> Plan:
    """What `plea send` will do. Every message, queued earlier or new, goes only to states that --to
    picks by the one recipient rule: `all` never reaches a case's threat or cautioned states. Consent
    is judged on `today` (the command's day; else the clock's)."""
    from plea.recipients import parse_to

    to = to or "all"
    parse_to(to)  # a bad --to fails before anything is read
    p = Plan()
    p.queued = _permitted(session, _rows(session, "queued", case), to, unsafe=unsafe, skipped=p.skipped,
                          without_consent=without_consent, today=today)
    p.uncertain = [row for row, _ in _rows(session, "sending", case)]
    if retry:
        for row in _permitted(session, _rows(session, "failed", case), to, unsafe=unsafe, skipped=p.skipped,
                              without_consent=without_consent, today=today):
            lt, m = session.exec(
                select(Letter, Mission)
                .join(Mission, col(Mission.id) == Letter.mission_id)
                .where(Letter.id == row.letter_id)
            ).one()
            c = session.get(Case, row.case_id)
            try:
                p.drafts.append((prepare(session, c, lt, m, configured_sender=configured_sender), row))  # type: ignore[arg-type]
            except Skip as exc:
                p.skipped.append(str(exc))
        return p
    if case is None:
        raise InvalidInput("name a case to send its letters (only --retry works across all cases)")
    has_row = dict(
        session.exec(select(Outbox.letter_id, Outbox.status).where(Outbox.case_id == case.id)).all()
    )
    pairs = [
        (lt, m)
        for lt, m in session.exec(
            select(Letter, Mission)
            .join(Mission, col(Mission.id) == Letter.mission_id)
            .where(Letter.case_id == case.id, Letter.letter == letter)
            .order_by(col(Mission.sending))
        )
    ]
    if not pairs:
        raise NotFound(
            f"{case.ref} has no {letter!r} letters yet", hint="render them first with `plea letters render`"
        )
    from plea.recipients import for_case

    res = for_case(session, case, to, universe={m.sending for _, m in pairs}, unsafe=unsafe,
                   without_consent=without_consent, channel="email", today=today)
    wanted = set(res.states)
    found = {m.sending for _, m in pairs}
    for code in res.states:
        if code not in found:
            p.skipped.append(f"{states.name(code)} ({code}): no {letter!r} letter rendered for {case.ref}")
    p.skipped.extend(f"{states.name(h.state)} ({h.state}): held back, {h.reason}" for h in res.held_back)
    p.warnings = res.warnings
    for lt, m in pairs:
        if m.sending not in wanted:
            continue
        where = f"{states.name(m.sending)} ({m.sending})"
        if has_row.get(lt.id) in ("sent", "failed"):
            p.skipped.append(
                f"{where}: already sent by email"
                if has_row[lt.id] == "sent"
                else f"{where}: sending failed before; `plea send --retry` tries again"
            )
        if lt.id in has_row:
            continue
        if lt.status != "drafted":
            p.skipped.append(f"{where}: the letter is already {lt.status}")
            continue
        try:
            p.drafts.append((prepare(session, case, lt, m, configured_sender=configured_sender), None))
        except Skip as exc:
            p.skipped.append(str(exc))
    return p


def _store_eml(data: bytes, key: bytes | None) -> tuple[Path, str]:
    """Stored from memory: with a key, the letter never touches the disk in clear."""
    from plea.storage import store_bytes

    return store_bytes(data, "outbox", "eml", key)


def queue(session: Session, p: Plan, *, actor: str) -> list[int]:
    """Store every planned message and its outbox row ("queued"); the ids to deliver, in order."""
    now = datetime.now(UTC)
    ids = [r.id for r in p.queued if r.id is not None]
    for draft, row in p.drafts:
        message_id = new_message_id(draft.sender)
        path, digest = _store_eml(
            build(draft, message_id=message_id, when=now), session.info.get("plea_file_key")
        )
        if row is None:
            row = Outbox(
                letter_id=draft.letter_id,
                case_id=draft.case_id,
                message_id=message_id,
                created_at=now,
                updated_at=now,
            )
            kind = "email.queued"
        else:
            kind = "email.requeued"
        row.status, row.recipient, row.sender, row.message_id = (
            "queued",
            draft.recipient,
            draft.sender,
            message_id,
        )
        row.eml_path, row.eml_sha256, row.error, row.updated_at = str(path), digest, "", now
        session.add(row)
        session.flush()
        record(
            session,
            kind,
            actor=actor,
            case_id=draft.case_id,
            subject=f"outbox:{row.id}",
            data={
                "letter": draft.letter_id,
                "state": draft.state,
                "message_id": message_id,
                "sha256": digest,
            },
        )
        ids.append(row.id or 0)
    return ids


def write_drafts(p: Plan, out_dir: Path, *, session: Session) -> list[Path]:
    """--dry-run: the messages as .eml files; the database is not touched."""
    from plea.fileio import atomic_write_bytes, inside, safe_name
    from plea.storage import read_stored

    out_dir = out_dir.expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    written = []
    items: list[tuple[str, bytes]] = []
    for draft, _row in p.drafts:
        items.append((draft.stem, build(draft, message_id=new_message_id(draft.sender), when=now)))
    for row in p.queued:
        items.append((f"outbox-{row.id}", read_stored(Path(row.eml_path), session.info.get("plea_file_key"))))
    for stem, data in items:
        target = inside(out_dir, safe_name(f"{stem}.eml"))  # names plea makes: plea.letters.names.file_stem
        atomic_write_bytes(target, data)
        written.append(target)
    return written


def _claim(db: Any, outbox_id: int, actor: str) -> tuple[Outbox, bytes, str] | None:
    from plea.storage import read_stored

    with db.transaction() as s:
        row = s.get(Outbox, outbox_id)
        if row is None or row.status != "queued":
            return None  # another run took it
        data = read_stored(Path(row.eml_path), s.info.get("plea_file_key"))
        row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, datetime.now(UTC)
        s.add(row)
        state = _state_of(s, row)
        record(
            s,
            "email.sending",
            actor=actor,
            case_id=row.case_id,
            subject=f"outbox:{row.id}",
            data={"letter": row.letter_id, "attempt": row.attempts},
        )
    return row, data, state


def _state_of(session: Session, row: Outbox) -> str:
    return session.exec(
        select(Mission.sending)
        .join(Letter, col(Letter.mission_id) == Mission.id)
        .where(Letter.id == row.letter_id)
    ).one()


def accepted(session: Session, outbox_id: int, reply: str, *, actor: str, on: date) -> Outbox:
    """The server took the message: the row is sent and the letter marked sent, together."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"no outbox message {outbox_id}")
    now = datetime.now(UTC)
    row.status, row.server_reply, row.sent_at, row.updated_at, row.error = "sent", reply, now, now, ""
    session.add(row)
    letter = session.get(Letter, row.letter_id)
    case = session.get(Case, row.case_id)
    transition(
        session,
        case,
        letter,
        "sent",
        on=on,
        via="email",
        actor=actor,  # type: ignore[arg-type]
        event_data={"outbox": row.id, "message_id": row.message_id, "server_reply": reply},
    )
    return row


def failed(session: Session, outbox_id: int, error: str, *, actor: str) -> Outbox:
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"no outbox message {outbox_id}")
    row.status, row.error, row.updated_at = "failed", error, datetime.now(UTC)
    session.add(row)
    record(
        session,
        "email.failed",
        actor=actor,
        case_id=row.case_id,
        subject=f"outbox:{row.id}",
        data={"letter": row.letter_id, "error": error[:300]},
    )
    return row


def deliver(
    db: Any,
    ids: list[int],
    transport: Any,
    *,
    actor: str,
    today: date,
    interval: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Hand each queued message to the server; each outcome is committed at once."""
    from plea.mail.smtp import Refused, Uncertain

    results: list[Result] = []
    last = None
    for outbox_id in ids:
        if last is not None and interval:
            sleep(max(0.0, last + interval - time.monotonic()))
        claimed = _claim(db, outbox_id, actor)
        if claimed is None:
            continue
        row, data, state = claimed
        last = time.monotonic()
        try:
            reply = transport.send(parseaddr(row.sender)[1], row.recipient, data)
        except Refused as exc:
            with db.transaction() as s:
                failed(s, outbox_id, str(exc), actor=actor)
            results.append(Result(outbox_id, state, row.recipient, "failed", str(exc)))
            if progress:
                progress(results[-1])
            if exc.connection_lost:
                break  # the rest stay queued for the next run
            continue
        except Uncertain as exc:
            with db.transaction() as s:
                record(
                    s,
                    "email.uncertain",
                    actor=actor,
                    case_id=row.case_id,
                    subject=f"outbox:{outbox_id}",
                    data={"error": str(exc)[:300]},
                )
            results.append(Result(outbox_id, state, row.recipient, "uncertain", str(exc)))
            if progress:
                progress(results[-1])
            break
        with db.transaction() as s:
            accepted(s, outbox_id, reply, actor=actor, on=today)
        results.append(Result(outbox_id, state, row.recipient, "sent", reply))
        if progress:
            progress(results[-1])
    return results


def resolve(session: Session, outbox_id: int, *, delivered: bool, actor: str, today: date) -> Outbox:
    """Settle a message left "sending" (the run stopped after handing it over)."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"no outbox message {outbox_id}", hint="list them with `plea outbox list`")
    if row.status != "sending":
        raise Conflict(f"outbox message {outbox_id} is {row.status}, not waiting to be resolved")
    if delivered:
        return accepted(session, outbox_id, "resolved by hand: delivered", actor=actor, on=today)
    return failed(session, outbox_id, "resolved by hand: not delivered", actor=actor)


def list_outbox(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    q = (
        select(Outbox, Case.ref, Mission.sending)
        .join(Case, col(Case.id) == Outbox.case_id)
        .join(Letter, col(Letter.id) == Outbox.letter_id)
        .join(Mission, col(Mission.id) == Letter.mission_id)
        .order_by(col(Outbox.id))
    )
    if status:
        q = q.where(Outbox.status == status)
    return [
        {
            "id": r.id,
            "case": ref,
            "state": st,
            "status": r.status,
            "recipient": r.recipient,
            "message_id": r.message_id,
            "attempts": r.attempts,
            "server_reply": r.server_reply,
            "error": r.error,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
        }
        for r, ref, st in session.exec(q)
    ]
