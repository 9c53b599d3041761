"""Who gets a case's letter: the recipients by the one recipient rule (plea.recipients), and
what follow-ups and thanks cite. And render_all, the whole-letter renderer in memory (the
golden letters are checked through it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from plea.cases import get_case, missing_fields
from plea.db.models import Case
from plea.errors import InvalidInput, TemplateProblem
from plea.recipients import Recipient, Recipients, recipients
from plea.render.catalog import LetterSpec, get_letter
from plea.render.letter import RenderedLetter, render_letter


@dataclass
class Planned:
    recipient: Recipient
    first_letter: dict[str, Any] | None = None
    response: dict[str, Any] | None = None


def choose(session: Session, ref: str, *, letter: str, to: str, host: str, lang: str | None = None,
           unsafe: bool = False, without_consent: bool = False) -> tuple[Case, LetterSpec, Recipients]:
    """The case, its letter and its recipients for one host, by the one recipient rule (plea.recipients)."""
    case = get_case(session, ref)
    spec = get_letter(letter)
    answerable(case)
    return case, spec, recipients(session, spec, case, host=host, to=to, lang=lang, unsafe=unsafe,
                                  without_consent=without_consent)


def answerable(case: Case) -> None:
    """Refuse a case whose letters would give the mission no way to answer (plea.cases.no_way_to_answer)."""
    from plea.cases import no_way_to_answer

    if lacking := no_way_to_answer(case):
        first, _, second = lacking[1].partition(" or ")
        raise TemplateProblem(unanswerable(case.ref, lacking),
                              hint=f"add one with `plea cases edit {case.ref} {first} …` (or {second}); "
                              "nothing was written")


def unanswerable(ref: str, lacking: tuple[str, str]) -> str:
    return f"{ref}: no way to answer its letters: {lacking[0]}, who signs them, has no email and no postal address"


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


def render_all(case: Case, spec: LetterSpec, planned: list[Planned], *, today: date) -> list[tuple[Planned, RenderedLetter]]:
    """Render every letter in memory; the first template problem stops everything."""
    lacking = missing_fields(case, spec.requires)
    if lacking:
        raise TemplateProblem(
            f"the letter {spec.name!r} needs these case fields, which are empty in {case.ref}: {', '.join(lacking)}",
            hint=f"fill them with `plea cases edit {case.ref} …`; nothing was written")
    answerable(case)
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

    case_fields = ("ref", *FIELDS, "stories")
    jobs = [{"lang": p.recipient.lang, "case": plain(case, case_fields),
             "mission": plain(p.recipient.mission, MISSION_FIELDS), "today": today,
             "first_letter": p.first_letter, "response": p.response} for p in planned]
    markdowns = render_many(spec.name, root, jobs)
    return [(p, RenderedLetter(spec.name, p.recipient.lang, spec.subject(p.recipient.lang), md, parse(md)))
            for p, md in zip(planned, markdowns, strict=True)]
