"""The batch's accelerator: many letters of one template, with exactly the output of rendering
each alone (plea.render.letter), and a count of the letters it renders whole instead, with why
(FastRenderer.reasons; a batch prints it at its end and in --json).

Measured necessary (bench/batch.py and an in-memory count of CPU time, December 2026): without
the mission stage, the inliner and the if-splitting, 5,000 letters for 10 clients take about a
third more CPU time, and `--jobs 1` fell to 22× docxtpl (CPU time) in one of two runs; each of
the three alone gains nothing measurable (the shipped templates' shared parts sit in macros that
read both case and mission, and in ifs on case data). So all three stay.

A batch writes the same letter for each client to hundreds of missions. Most of a letter does not
depend on the mission: who the client is, the story, the request, the signature; and what does
depend on it (the address, the state's name) is mostly the same for every client. So a
template's pieces are sorted by what they read:

- pieces that never read the recipient (`mission`, `first_letter`, `response`), directly or
  through any macro they call, are rendered once per case and language, with a marker where
  each recipient piece goes;
- recipient pieces that read the mission but nothing of the case (`case`, `first_letter`,
  `response`) are rendered once per mission and language, and shared by every client;
- the pieces that read both are rendered once per letter; then all are spliced in at their
  markers.

To find more pieces of the second kind, a zero-argument macro imported with context is inlined
(`{{ b.header() }}` becomes its body, its own names qualified), and an `if` whose tests read no
recipient variable stays in the case-level template with its branches split in turn.

Safety nets, so a wrong analysis can only cost speed, never change a letter:
- in the case-level rendering the recipient variables are poison, and in the mission-level
  rendering the case's: any use raises, and that template falls back to whole-letter rendering
  for good;
- markers carry a random nonce, and must appear in order, each at most once and each with its
  piece; no trace of the nonce may be left;
- a template using what the analysis does not follow (extends, blocks, include, namespace,
  cycler, joiner, assignments inside output pieces) is always rendered whole;
- any error falls back to the ordinary renderer, which reports it as usual.

Only for shipped templates: templates from elsewhere render in a confined child process.

The Markdown → blocks parse is cached per top-level segment (the text between blank lines
where a new block starts outside any `:::` container): the same paragraph in 500 letters is
parsed once (plea.letters.segments). The analysis is plea.letters.fast_analysis; the staged
templates, plea.letters.fast_stages. tests/test_batch.py checks both against the ordinary path.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from plea.letters.fast_stages import Staged, Touched
from plea.letters.segments import Cache
from plea.render.catalog import LetterSpec, letters_root
from plea.render.context import letter_context
from plea.render.letter import render_markdown_for


def _memo(func: Any) -> Any:
    """A pure one-argument filter, remembered: the same date or state code in 5,000 letters is
    formatted once (Babel takes a good part of a millisecond a date)."""
    cache: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            key = (type(value), value)
            found = cache.get(key, cache)
        except TypeError:  # unhashable: not remembered
            return func(value)
        if found is cache:
            if len(cache) > 4096:
                cache.clear()
            found = cache[key] = func(value)
        return found

    return remembered


def _environment_for(base: Path, lang: str) -> Any:
    """The letter environment (plea.render.jinja), its pure filters remembered."""
    from plea.render.jinja import make_environment

    env = make_environment(base, lang)
    env.auto_reload = False  # shipped templates do not change during a batch: no stat() per letter
    for name in ("date", "country"):
        env.filters[name] = _memo(env.filters[name])
    env.finalize = _memo_finalize(env.finalize)
    return env


def _memo_finalize(finalize: Any) -> Any:
    """The environment's finalize (values escaped for Markdown) remembered for plain values:
    a client's name is escaped once, not once per letter. Markup passes through untouched."""
    remembered = _memo(finalize)

    def final(value: Any) -> Any:
        if hasattr(value, "__html__") or not isinstance(value, (str, int, float, date)):
            return finalize(value)
        return remembered(value)

    return final


class FastRenderer:
    """Markdown for many letters of one (shipped) letter template; the same text as
    plea.render.letter.render_markdown_for gives, letter by letter."""

    def __init__(self, spec: LetterSpec, root: Path | None = None) -> None:
        self.spec = spec
        self.root = root
        self.base = letters_root(root)
        self.staged: dict[str, Staged | None] = {}
        self.case_texts = Cache(256)  # a batch check renders one letter per client and language first: kept
        self.mission_texts = Cache(2048)  # the pieces that read only the mission, for every client
        self.reasons: Counter[str] = Counter()  # why letters were rendered whole: reason → letters
        self.unstaged: dict[str, str] = {}  # language → why its template is rendered whole

    def _staged(self, lang: str) -> Staged | None:
        if lang not in self.staged:
            try:
                staged: Staged | None = self._prepared(lang)
            except Exception:  # a template the analysis cannot read: the ordinary path reports it
                staged = None
            self.staged[lang] = staged if staged is not None and staged.ok else None
            if self.staged[lang] is None:
                self.unstaged[lang] = "its template uses what the accelerator does not follow"
        return self.staged[lang]

    def _prepared(self, lang: str) -> Staged:
        """The language's Staged: read back from the compiled-template cache (plea.render.compiled)
        where it was kept by an earlier run, else analysed and compiled now, and kept."""
        from plea.render import compiled

        env = _environment_for(self.base, lang)
        name = self.spec.template_name(lang)
        folder = compiled.folder_for(self.base)
        if folder is None:
            return Staged(env, name)
        env.bytecode_cache = compiled.bytecode_cache(folder)
        key = "staged-" + hashlib.sha256(name.encode()).hexdigest()[:24]
        saved = compiled.load(folder, key)
        if isinstance(saved, dict):
            try:
                return Staged.restore(env, name, saved)
            except Exception:  # noqa: S110 - an unreadable entry is a miss
                pass
        staged = Staged(env, name)
        if staged.ok:
            compiled.store(folder, key, staged.saved())
        return staged

    @property
    def fallbacks(self) -> int:
        """Letters rendered whole instead of staged."""
        return sum(self.reasons.values())

    def markdown(
        self,
        lang: str,
        *,
        case: Any,
        case_key: str,
        mission: Any,
        today: date,
        first_letter: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
    ) -> str:
        staged = self._staged(lang)
        if staged is None:
            self.reasons[self.unstaged[lang]] += 1
        else:
            context = letter_context(
                case=case,
                mission=mission,
                lang=lang,
                letter=self.spec.name,
                subject=self.spec.subject(lang),
                today=today,
                first_letter=first_letter,
                response=response,
            )
            try:
                case_text = self.case_texts.get_or(
                    (lang, case_key, today), lambda: staged.render_case(context)
                )
                pieces = self.mission_texts.get_or(
                    (lang, today, tuple(context["mission"].items())), lambda: staged.render_mission(context)
                )
                if staged.letter_template is not None:
                    pieces = {**pieces, **staged.render_letter(context)}
                return staged.splice(case_text, pieces)
            except Touched:  # the analysis missed something: whole letters from now on
                self.staged[lang] = None
                self.unstaged[lang] = "the accelerator's analysis missed what its template reads (caught)"
                self.reasons[self.unstaged[lang]] += 1
            except (
                Exception
            ) as exc:  # the ordinary path below raises the error as a TemplateProblem, or succeeds
                self.reasons[f"the staged rendering failed ({exc.__class__.__name__})"] += 1
        return render_markdown_for(
            self.spec,
            lang,
            case=case,
            mission=mission,
            today=today,
            first_letter=first_letter,
            response=response,
            root=self.root,
        )


def case_key(case_context: dict[str, Any]) -> str:
    """A stable key for a case's data (for the case-level cache)."""
    return json.dumps(case_context, sort_keys=True, default=str, ensure_ascii=False)
