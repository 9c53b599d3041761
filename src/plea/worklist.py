"""The web-form worklist: per recipient with a contact form, the form's address, the subject and the plain
text to paste, rendered in memory through plea.letters exactly as `letters render` renders it.

Recipients come from the one recipient rule (plea.letters.plan); the applicant's consent must cover the
web-form channel. Nothing is written or recorded: `letters sent --via web-form --proof FILE` ticks a
letter off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

VIA = ("web-form",)


@dataclass
class Worklist:
    case_ref: str
    letter: str
    items: list[dict[str, Any]] = field(default_factory=list)  # state, mission, url, subject, lang, text
    left_out: list[dict[str, str]] = field(default_factory=list)  # state, mission: no web form known
    missing: list[str] = field(default_factory=list)  # named states with no mission for the host
    held_back: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build(
    session: Any,
    ref: str,
    *,
    via: str,
    letter: str,
    to: str,
    host: str,
    lang: str | None = None,
    unsafe: bool = False,
    without_consent: bool = False,
    today: date,
) -> Worklist:
    """The worklist for one case and host; InvalidInput for another --via; TemplateProblem before any
    output."""
    from plea.errors import InvalidInput
    from plea.letters.choose import choose as plan, render_all, with_context

    if via not in VIA:
        raise InvalidInput(
            f"--via: {via!r} has no worklist; the worklist is for {', '.join(VIA)} "
            "(render letters for other channels with `plea letters render`)"
        )
    case, spec, picked = plan(
        session,
        ref,
        letter=letter,
        to=to,
        host=host,
        lang=lang,
        unsafe=unsafe,
        without_consent=without_consent,
        today=today,
    )
    if not without_consent:
        from plea.recipients import consent_rule

        consent_rule(session.connection(), case, channel=via, today=today)  # one without web forms stops here
    work = Worklist(
        case.ref, spec.name, missing=picked.missing, held_back=picked.held_back, warnings=picked.warnings
    )
    planned = with_context(session, case, spec, picked.found, to=to, due=False, today=today)
    with_form = [p for p in planned if p.recipient.mission.web_form]
    work.left_out = [
        {"state": p.recipient.state, "mission": p.recipient.mission.id}
        for p in planned
        if not p.recipient.mission.web_form
    ]
    for p, r in render_all(case, spec, with_form, today=today) if with_form else []:
        rec = p.recipient
        work.items.append(
            {
                "state": rec.state,
                "mission": rec.mission.id,
                "url": rec.mission.web_form,
                "subject": r.subject,
                "lang": rec.lang,
                "text": r.text,
            }
        )
    return work
