"""A mailing: one print-ready PDF per letter (the letters pipeline's own PDF path), the envelopes
or a label sheet, and the posting list (CSV and a firm mailing book), for one case or many.

Two steps, so that the command can say who is left out before the long work: `plan` picks the
recipients by the one recipient rule (plea.letters.choose → plea.recipients) and sets aside the
missions without a postal address in their host's format (plea.postal); `write` renders the
letters (plea.letters.run.write_case: idempotent, recorded, never replacing a file plea did not
write) and writes the mailing's own files atomically, recorded with their sha256 in the history.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from plea import states
from plea.db.models import Case
from plea.errors import Conflict, InvalidInput
from plea.post.draw import Row
from plea.recipients import Recipient
from plea.render.catalog import LetterSpec

EVENT = "mailing.prepared"
CSV_NAME = "posting-list.csv"
PDF_NAME = "posting-list.pdf"
CSV_COLUMNS = ["case", "state", "mission", "recipient", "address", "letter", "language", "pages", "tracking"]
#: how a mission is named on envelopes and in the posting list (the letters' English names)
KIND_NAMES = {
    "embassy": "Embassy",
    "high-commission": "High Commission",
    "nunciature": "Apostolic Nunciature",
    "consulate-general": "Consulate General",
    "consulate": "Consulate",
    "honorary-consulate": "Honorary Consulate",
    "permanent-mission": "Permanent Mission",
    "foreign-ministry": "Ministry of Foreign Affairs",
    "interior-ministry": "Ministry of the Interior",
    "migration-authority": "Migration Authority",
}


@dataclass(frozen=True)
class Options:
    letter: str
    to: str
    host: str
    out_dir: Path
    posted_in: str  # where the letters are posted: the country line is left out for that country
    labels: bool = False
    envelope: str | None = None  # dl | c5 | us10; default from the paper
    paper: str | None = None
    lang: str | None = None
    letterhead: Path | None = None
    force: bool = False
    unsafe: bool = False
    annex: list[str] | None = None  # --annex as plea.letters.annex.parse gives it: each PDF is a packet


@dataclass
class LeftOut:
    case: str
    state: str
    mission: str
    lacks: list[str]

    def line(self) -> str:
        return (
            f"{self.case}: {states.name(self.state)} ({self.state}), mission {self.mission}: "
            f"no {', '.join(self.lacks)}"
        )


@dataclass
class CasePlan:
    case: Case
    spec: LetterSpec
    found: list[Recipient]  # postable
    missing: list[str]  # named states without a mission in the host
    held_back: list[str]


@dataclass
class MailPlan:
    options: Options
    cases: list[CasePlan]
    left_out: list[LeftOut]
    warnings: list[str] = field(default_factory=list)

    @property
    def letters(self) -> int:
        return sum(len(c.found) for c in self.cases)


@dataclass
class Mailing:
    rows: list[Row]
    left_out: list[LeftOut]
    files: dict[str, str]  # the mailing's own files: path → sha256
    written: list[str]  # of those, the ones written now (the others were up to date)
    letters_written: int  # letter PDFs rendered now
    sender_missing: list[str]  # cases without a return address

    def as_json(self) -> dict[str, Any]:
        return {
            "letters": [
                {
                    "case": r.case,
                    "state": r.state,
                    "mission": r.mission,
                    "recipient": r.recipient,
                    "address": list(r.address),
                    "file": r.letter,
                    "language": r.language,
                    "pages": r.pages,
                }
                for r in self.rows
            ],
            "left_out": [
                {"case": x.case, "state": x.state, "mission": x.mission, "lacks": x.lacks}
                for x in self.left_out
            ],
            "files": [{"path": p, "sha256": h, "written": p in self.written} for p, h in self.files.items()],
            "letters_written": self.letters_written,
        }


def plan(session: Session, cases: list[Case], options: Options, *, today: date | None = None) -> MailPlan:
    """Each case's recipients by the one recipient rule (consent judged on `today`, the command's day;
    else the clock's), less the missions plea cannot post to."""
    from plea.letters.choose import choose
    from plea.postal import missing

    plans, left_out, warnings = [], [], []
    for case in cases:
        _, spec, picked = choose(
            session,
            case.ref,
            letter=options.letter,
            to=options.to,
            host=options.host,
            lang=options.lang,
            unsafe=options.unsafe,
            today=today,
        )
        warnings.extend(w for w in picked.warnings if w not in warnings)
        postable = []
        for r in picked.found:
            lacks = missing(r.mission)
            if lacks:
                left_out.append(LeftOut(case.ref, r.state, r.mission.id, lacks))
            else:
                postable.append(r)
        plans.append(
            CasePlan(case, spec, postable, list(picked.missing), [h.state for h in picked.held_back])
        )
    return MailPlan(options, plans, left_out, warnings)


def write(session: Session, mail: MailPlan, *, actor: str, today: date, progress: Any = None) -> Mailing:
    """Render the letters and write the mailing's files, in the caller's transaction."""
    from plea.history import record

    o = mail.options
    if not mail.letters and not mail.left_out:
        from plea.errors import NotFound

        raise NotFound(
            "no recipient: no mission matches --to for this --host",
            hint="see `plea letters plan` and `plea embassies coverage --host …`",
        )
    if not mail.letters:
        raise InvalidInput(
            "nothing to post: no recipient has a postal address",
            problems=[x.line() for x in mail.left_out],
            hint="add addresses with `plea embassies edit ID --address … --postcode …` "
            "(`plea embassies gaps --need address` lists them)",
        )
    names = ["labels.pdf" if o.labels else "envelopes.pdf", CSV_NAME, PDF_NAME]
    _refuse_foreign(
        session, [str(o.out_dir / n) for n in names], force=o.force, out=o.out_dir
    )  # before any write
    rows, letters_written, paper = _letters(session, mail, actor=actor, today=today, progress=progress)
    paths = {str(o.out_dir / name): data for name, data in _contents(rows, o, paper).items()}
    written = _write_files(paths)
    files = {p: hashlib.sha256(d).hexdigest() for p, d in paths.items()}
    if written or letters_written:  # one event per case in the mailing: each case's history shows it
        hashes = {os.path.basename(p): h for p, h in files.items()}
        for cp in mail.cases:
            mine = sum(1 for r in rows if r.case == cp.case.ref)
            left = sum(1 for x in mail.left_out if x.case == cp.case.ref)
            data = {
                "host": o.host,
                "letters": mine,
                "left_out": left,
                "cases": len(mail.cases),
                "files": hashes,
            }
            record(session, EVENT, actor=actor, case_id=cp.case.id, subject=f"host:{o.host}", data=data)
    missing_sender = [c.case.ref for c in mail.cases if c.found and not (c.case.rep_address or "").strip()]
    return Mailing(rows, mail.left_out, files, written, letters_written, missing_sender)


def _letters(
    session: Session, mail: MailPlan, *, actor: str, today: date, progress: Any
) -> tuple[list[Row], int, str]:
    """The letters' PDFs through plea.letters (one case at a time), as the mailing's rows."""
    from plea.letters.choose import with_context
    from plea.letters.plan import plan_case
    from plea.letters.run import files_of, write_case
    from plea.postal import address_lines

    o = mail.options
    rows: list[Row] = []
    written, paper = 0, o.paper or ""
    for cp in mail.cases:
        if not cp.found:
            continue
        planned = with_context(session, cp.case, cp.spec, cp.found, to=o.to, due=False, today=today)
        lp = plan_case(
            session,
            cp.case,
            cp.spec,
            planned,
            out_dir=o.out_dir,
            formats=["pdf"],
            paper=o.paper,
            letterhead=o.letterhead,
            annex=o.annex,
        )
        result = write_case(session, lp, actor=actor, today=today, force=o.force, progress=progress)
        written += result.rendered
        by_id = {r.mission.id: r for r in cp.found}
        for item, files in files_of(lp, result):
            mission = by_id[item.mission_id].mission
            paper = paper or item.paper
            path = next(p for fmt, p, _ in files if fmt == "pdf")
            rows.append(
                Row(
                    case=cp.case.ref,
                    state=item.state,
                    mission=item.mission_id,
                    recipient=mission_name(mission),
                    address=tuple(address_lines(mission, lang=item.lang, sender_country=o.posted_in)),
                    sender=_sender(cp.case),
                    letter=os.path.basename(path),
                    language=item.lang,
                    pages=_pages(path),
                )
            )
    return rows, written, paper or "a4"


def mission_name(mission: Any) -> str:
    """The mission's own name where the directory has one (an authority: "Ministère de l'Intérieur"),
    as its letter addresses it; else "Embassy of France": its kind and sending state, in English."""
    if (getattr(mission, "name", "") or "").strip():
        return str(mission.name)
    return f"{KIND_NAMES.get(mission.kind, 'Diplomatic Mission')} of {states.name(mission.sending)}"


def _sender(case: Case) -> tuple[str, ...]:
    """The return address: the representative (name, organisation, address lines), else the person."""
    name = case.rep_name or case.name_latin
    address = [
        line.strip() for part in (case.rep_address or "").splitlines() for line in [part] if line.strip()
    ]
    return tuple(x for x in (name, case.rep_organisation, *address) if x)


def _pages(path: str) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _contents(rows: list[Row], o: Options, paper: str) -> dict[str, bytes]:
    from plea.csvio import for_excel, write_csv
    from plea.post import draw
    from plea.post.sheets import LABELS, envelope_for

    out: dict[str, bytes] = {}
    if o.labels:
        out["labels.pdf"] = draw.labels(rows, LABELS[paper])
    else:
        out["envelopes.pdf"] = draw.envelopes(rows, envelope_for(paper, o.envelope))
    csv_rows = [
        {
            "case": r.case,
            "state": r.state,
            "mission": r.mission,
            "recipient": r.recipient,
            "address": ", ".join(r.address),
            "letter": r.letter,
            "language": r.language,
            "pages": str(r.pages),
            "tracking": "",
        }
        for r in rows
    ]
    out[CSV_NAME] = for_excel(write_csv(CSV_COLUMNS, csv_rows))
    out[PDF_NAME] = draw.posting_list(rows, paper=paper, title="Firm mailing book for accountable mail")
    return out


def _refuse_foreign(session: Session, paths: list[str], *, force: bool, out: Path) -> None:
    """A file with a mailing file's name that plea did not write (its sha256 is in no earlier
    mailing's event) is replaced only with --force."""
    existing = [p for p in paths if os.path.lexists(p)]
    if not existing or force:
        return
    ours = _recorded_hashes(session)
    foreign = [
        p
        for p in existing
        if os.path.islink(p)
        or not os.path.isfile(p)
        or hashlib.sha256(Path(p).read_bytes()).hexdigest() not in ours
    ]
    if foreign:
        raise Conflict(
            f"{len(foreign)} file(s) in {out} have the names of a mailing's files but were not "
            f"written by plea, e.g. {foreign[0]}",
            hint="choose another --out folder, or pass --force to replace them",
        )


def _recorded_hashes(session: Session) -> set[str]:
    from sqlmodel import select

    from plea.db.models import Event

    hashes: set[str] = set()
    for data in session.exec(select(Event.data).where(Event.kind == EVENT)):
        hashes.update((data or {}).get("files", {}).values())
    return hashes


def _write_files(paths: dict[str, bytes]) -> list[str]:
    from plea.fileio import atomic_write_bytes

    written = []
    for p, data in paths.items():
        if os.path.isfile(p) and not os.path.islink(p) and Path(p).read_bytes() == data:
            continue
        atomic_write_bytes(Path(p), data)
        written.append(p)
    return written
