"""Planning and rendering a case's letters, and recording what was written.

Everything is rendered in memory first: a template error or a missing field stops the
command before any file is written. Files are then written atomically, and every letter
and file is recorded in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from plea.cases import get_case, missing_fields
from plea.db.models import Case, Letter, LetterEvent, Rendition
from plea.errors import Conflict, InvalidInput, TemplateProblem
from plea.fileio import atomic_write_bytes, inside, safe_name, sha256_file
from plea.history import record
from plea.recipients import Recipient, Recipients, recipients
from plea.render.catalog import LetterSpec, get_letter, letters_root
from plea.render.context import case_context, mission_context
from plea.render.letter import RenderedLetter, render_letter

FORMATS = ("docx", "md", "txt")


@dataclass
class Planned:
    recipient: Recipient
    first_letter: dict[str, Any] | None = None
    response: dict[str, Any] | None = None


@dataclass
class Written:
    state: str
    mission_id: str
    lang: str
    files: list[tuple[str, Path, str]] = field(default_factory=list)  # (format, path, sha256)
    new_files: int = 0


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InvalidInput(f"--format: unknown {', '.join(bad) or 'format'}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def plan(session: Session, ref: str, *, letter: str, to: str, host: str, lang: str | None = None,
         unsafe: bool = False) -> tuple[Case, LetterSpec, Recipients]:
    """The case, its letter and its recipients for one host, by the one recipient rule (plea.recipients)."""
    case = get_case(session, ref)
    spec = get_letter(letter)
    return case, spec, recipients(session, spec, case, host=host, to=to, lang=lang, unsafe=unsafe)


def with_context(session: Session, case: Case, spec: LetterSpec, found: list[Recipient], *, to: str,
                 due: bool, today: date) -> list[Planned]:
    """Attach what follow-ups and thanks cite; keep only the recipients they make sense for."""
    from plea import campaign
    from plea.recipients import parse_to

    spec_to = parse_to(to)
    named = None if spec_to.everything else spec_to.named
    if spec.name == "follow-up" or due:
        if spec.name != "follow-up":
            raise InvalidInput("--due goes with --letter follow-up")
        firsts = campaign.first_letter_info(session, case)
        keep = {s.state for s in campaign.followups(session, case, today)} if due else set(firsts)
        lacking = [r.state for r in found if r.state not in firsts]
        if named is not None and lacking and not due:
            raise InvalidInput(f"no first letter was sent to {', '.join(lacking)}: a follow-up cites it",
                               hint="mark the first letters sent with `plea letters sent`")
        return [Planned(r, first_letter=firsts[r.state]) for r in found if r.state in keep]
    if spec.name == "thanks":
        answers = campaign.last_responses(session, case)
        lacking = [r.state for r in found if r.state not in answers]
        if named is not None and lacking:
            raise InvalidInput(f"no answer is logged from {', '.join(lacking)}: a thank-you letter cites it",
                               hint="log it with `plea responses log`")
        return [Planned(r, response=answers[r.state]) for r in found if r.state in answers]
    return [Planned(r) for r in found]


def file_stem(case: Case, r: Recipient, spec: LetterSpec) -> str:
    """Opaque and safe: reference, sending state, letter, language; never a person's name."""
    return safe_name(f"{case.ref}_{r.state}_{spec.name}_{r.lang}")


def inputs_hash(spec: LetterSpec, lang: str, case: Case, mission: Any, *, today: date, fmt: str, paper: str,
                letterhead: bytes | None, extra: dict[str, Any]) -> str:
    """What a file depends on: template texts, case and mission data, date, format, paper, letterhead."""
    root = letters_root()
    h = hashlib.sha256()
    for path in (spec.folder / f"{lang}.md.j2", root / "_blocks" / f"{lang}.md.j2", spec.folder / "letter.toml"):
        h.update(path.read_bytes() if path.exists() else b"")
    payload = {"case": case_context(case), "mission": mission_context(mission), "today": today, "fmt": fmt,
               "paper": paper, "extra": extra}
    h.update(json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode())
    h.update(hashlib.sha256(letterhead).digest() if letterhead else b"-")
    return h.hexdigest()


def render_all(case: Case, spec: LetterSpec, planned: list[Planned], *, today: date) -> list[tuple[Planned, RenderedLetter]]:
    """Render every letter in memory; the first template problem stops everything."""
    lacking = missing_fields(case, spec.requires)
    if lacking:
        raise TemplateProblem(
            f"the letter {spec.name!r} needs these case fields, which are empty in {case.ref}: {', '.join(lacking)}",
            hint=f"fill them with `plea cases edit {case.ref} …`; nothing was written")
    from plea.resources import templates_are_shipped, templates_dir

    if not templates_are_shipped():
        return _render_confined(case, spec, planned, today=today, root=templates_dir())
    out = []
    for p in planned:
        out.append((p, render_letter(spec, p.recipient.lang, case=case, mission=p.recipient.mission, today=today,
                                     first_letter=p.first_letter, response=p.response)))
    return out


def _render_confined(case: Case, spec: LetterSpec, planned: list[Planned], *, today: date,
                     root: Path) -> list[tuple[Planned, RenderedLetter]]:
    """Templates from elsewhere (PLEA_TEMPLATES): rendered in a confined child process."""
    from plea.cases import FIELDS
    from plea.render.blocks import parse
    from plea.render.context import MISSION_FIELDS
    from plea.render.isolate import plain, render_many

    case_fields = ("ref", *FIELDS)
    jobs = [{"lang": p.recipient.lang, "case": plain(case, case_fields),
             "mission": plain(p.recipient.mission, MISSION_FIELDS), "today": today,
             "first_letter": p.first_letter, "response": p.response} for p in planned]
    markdowns = render_many(spec.name, root, jobs)
    return [(p, RenderedLetter(spec.name, p.recipient.lang, spec.subject(p.recipient.lang), md, parse(md)))
            for p, md in zip(planned, markdowns, strict=True)]


def write_letters(
    session: Session,
    case: Case,
    spec: LetterSpec,
    rendered: list[tuple[Planned, RenderedLetter]],
    *,
    out_dir: Path,
    formats: list[str],
    paper: str | None,
    letterhead: Path | None,
    today: date,
    actor: str,
    force: bool = False,
    progress: Any = None,
) -> list[Written]:
    from plea.render.docx import build_docx, paper_for_host

    out_dir = out_dir.expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"--out: {out_dir} is a file, not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    letterhead_bytes = letterhead.read_bytes() if letterhead else None
    known_paths = set(session.exec(select(Rendition.path)))
    def content(r: RenderedLetter, fmt: str, chosen_paper: str) -> bytes:
        if fmt == "docx":
            return build_docx(r, paper=chosen_paper, letterhead=letterhead)
        return (r.markdown if fmt == "md" else r.text).encode("utf-8")

    # first pass: names, and refuse to overwrite files plea did not write. A file is plea's
    # if a rendition records its path, or if it holds exactly the bytes plea is about to write
    # (output is deterministic: a run cut short before it committed left such files).
    jobs = []
    prepared: dict[Path, bytes] = {}
    for p, r in rendered:
        rec = p.recipient
        chosen_paper = paper or paper_for_host(rec.mission.host)
        stem = file_stem(case, rec, spec)
        for fmt in formats:
            target = inside(out_dir, f"{stem}.{fmt}")
            if target.exists() and str(target) not in known_paths and not force:
                prepared[target] = content(r, fmt, chosen_paper)
                if target.read_bytes() != prepared[target]:
                    raise Conflict(f"{target} exists and was not written by plea",
                                   hint="choose another --out folder, or pass --force to replace it")
            jobs.append((p, r, fmt, target, chosen_paper))
    now = datetime.now(UTC)
    results: dict[str, Written] = {}
    for p, r, fmt, target, chosen_paper in jobs:
        rec = p.recipient
        letter = session.exec(select(Letter).where(Letter.case_id == case.id, Letter.mission_id == rec.mission.id,
                                                   Letter.letter == spec.name)).first()
        if letter is None:
            letter = Letter(case_id=case.id or 0, mission_id=rec.mission.id, letter=spec.name, lang=rec.lang,
                            status="drafted", created_at=now, updated_at=now)
            session.add(letter)
            session.flush()
            session.add(LetterEvent(letter_id=letter.id or 0, status="drafted", on=today, recorded_at=now, actor=actor))
        elif letter.lang != rec.lang:
            letter.lang = rec.lang
            letter.updated_at = now
            session.add(letter)
        digest = inputs_hash(spec, rec.lang, case, rec.mission, today=today, fmt=fmt, paper=chosen_paper,
                             letterhead=letterhead_bytes,
                             extra={"first": p.first_letter, "response": p.response})
        written = results.setdefault(rec.state, Written(rec.state, rec.mission.id, rec.lang))
        existing = session.exec(select(Rendition).where(Rendition.letter_id == letter.id, Rendition.format == fmt,
                                                        Rendition.inputs_hash == digest)).first()
        if existing is not None and Path(existing.path) == target and target.exists() \
                and sha256_file(target) == existing.sha256:
            written.files.append((fmt, target, existing.sha256))
            if progress:
                progress()
            continue
        atomic_write_bytes(target, prepared.pop(target, None) or content(r, fmt, chosen_paper))
        sha = sha256_file(target)
        if existing is None:
            session.add(Rendition(letter_id=letter.id or 0, format=fmt, lang=rec.lang, path=str(target), sha256=sha,
                                  inputs_hash=digest, rendered_at=now))
        else:
            existing.path, existing.sha256, existing.rendered_at = str(target), sha, now
            session.add(existing)
        written.files.append((fmt, target, sha))
        written.new_files += 1
        record(session, "letter.rendered", actor=actor, case_id=case.id, subject=f"letter:{letter.id}",
               data={"letter": spec.name, "mission": rec.mission.id, "lang": rec.lang, "format": fmt, "sha256": sha})
        if progress:
            progress()
    return list(results.values())
