"""Rendering one letter: template + context → Markdown → blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from plea.render.blocks import Block, parse, to_text
from plea.render.catalog import LetterSpec, get_letter, letters_roots
from plea.render.context import letter_context
from plea.render.jinja import LetterEnvironment, make_environment, render_template


@dataclass
class RenderedLetter:
    letter: str
    lang: str
    subject: str
    markdown: str
    blocks: list[Block]

    @property
    def text(self) -> str:
        return to_text(self.blocks)


@lru_cache(maxsize=64)
def _environment(bases: tuple[Path, ...], lang: str) -> LetterEnvironment:
    return make_environment(bases, lang)


def render_markdown(spec: LetterSpec, lang: str, context: dict[str, Any], root: Path | None = None) -> str:
    bases = letters_roots(root)
    return render_template(_environment(bases, lang), spec.template_name(lang), context, bases[0])


def render_markdown_for(
    spec: LetterSpec,
    lang: str,
    *,
    case: Any,
    mission: Any,
    today: date,
    first_letter: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    root: Path | None = None,
) -> str:
    ctx = letter_context(case=case, mission=mission, lang=lang, letter=spec.name, subject=spec.subject(lang),
                         today=today, first_letter=first_letter, response=response)
    return render_markdown(spec, lang, ctx, root)


def render_letter(
    spec: LetterSpec,
    lang: str,
    *,
    case: Any,
    mission: Any,
    today: date,
    first_letter: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    root: Path | None = None,
) -> RenderedLetter:
    md = render_markdown_for(spec, lang, case=case, mission=mission, today=today, first_letter=first_letter,
                             response=response, root=root)
    return RenderedLetter(spec.name, lang, spec.subject(lang), md, parse(md))


def preview(letter: str, lang: str, sending: str = "FR", host: str = "US") -> RenderedLetter:
    """The letter for the fictional sample case (used by `plea templates preview`)."""
    from plea.sample import sample_case, sample_mission

    return render_letter(
        get_letter(letter), lang, case=sample_case(), mission=sample_mission(sending, host),
        today=date(2026, 11, 23),
        first_letter={"date": date(2026, 10, 1), "ref": "PLEA-2026-0001", "subject": ""},
        response={"date": date(2026, 11, 2), "outcome": "positive"},
    )


def preview_confined(letter: str, lang: str, sending: str = "FR") -> RenderedLetter:
    """preview(), rendered in the confined child (plea.render.isolate) when the templates are not
    plea's own, as `letters render` renders them."""
    from plea.resources import templates_are_shipped

    if templates_are_shipped():
        return preview(letter, lang, sending)
    from plea.render.isolate import preview_markdown

    spec = get_letter(letter)
    md = preview_markdown(letter, lang, sending)
    return RenderedLetter(spec.name, lang, spec.subject(lang), md, parse(md))


if __name__ == "__main__":  # python -m plea.render.letter LETTER LANG [SENDING] [--md]
    import sys

    args = [a for a in sys.argv[1:] if a != "--md"]
    out = preview(args[0], args[1], *(args[2:3] or ["FR"]))
    print(out.markdown if "--md" in sys.argv else out.text)
