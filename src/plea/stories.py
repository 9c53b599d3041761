"""A case's persecution story in several languages: the original (`case.persecution`, written in
`case.persecution_lang`, "en" unless said otherwise) and translations made by people
(`case.stories`: {lang: {"text": …, "updated": ISO datetime}}).

plea never translates. A letter uses the version in its own language; where there is none it uses
the original, and `letters plan`, `letters render` and `batch` say so (`--require-translated-story`
makes that an error). History events carry the language, the length and a hash, never the text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plea.errors import InvalidInput, NotFound

_LANG = re.compile(r"^[a-z]{2,3}$")
REQUIRE_FLAG = "--require-translated-story"


def check_lang(value: str, what: str = "--lang") -> str:
    lang = (value or "").strip().lower()
    if not _LANG.match(lang):
        raise InvalidInput(
            f"{what}: {value!r} is not a language code (two or three letters, e.g. fr, de, ru)"
        )
    return lang


@dataclass(frozen=True)
class Story:
    """The story a letter in `wanted` gets: its text, the language it is in, and whether it is the
    original used for want of a version in `wanted` (a fallback)."""

    text: str
    lang: str
    wanted: str

    @property
    def fallback(self) -> bool:
        return bool(self.text) and self.lang != self.wanted

    @property
    def sha(self) -> str:
        return hashlib.sha256(f"{self.lang}\0{self.text}".encode()).hexdigest()

    def label(self) -> str:
        """ "fr", or "en — no fr version"; "" when the case has no story."""
        if not self.text:
            return ""
        from plea.i18n import N_

        return N_(f"{self.lang} — no {self.wanted} version") if self.fallback else self.lang

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang if self.text else None, "translated": not self.fallback}


def original_lang(case: Any) -> str:
    return getattr(case, "persecution_lang", None) or "en"


def story_for(case: Any, lang: str) -> Story:
    """The version of the story a letter in `lang` uses."""
    original = getattr(case, "persecution", "") or ""
    if lang == original_lang(case):
        return Story(original, lang, lang)
    version = (getattr(case, "stories", None) or {}).get(lang)
    if version and version.get("text"):
        return Story(str(version["text"]), lang, lang)
    return Story(original, original_lang(case), lang)


def versions(case: Any) -> list[dict[str, Any]]:
    """The original then each translation, by language."""
    rows = []
    if case.persecution:
        rows.append(
            {"lang": original_lang(case), "original": True, "chars": len(case.persecution), "updated": None}
        )
    for lang, version in sorted((case.stories or {}).items()):
        rows.append(
            {
                "lang": lang,
                "original": False,
                "chars": len(version.get("text", "")),
                "updated": version.get("updated") or None,
            }
        )
    return rows


def _event(session: Any, kind: str, case: Any, lang: str, text: str | None, actor: str) -> None:
    from plea.history import record

    data: dict[str, Any] = {"lang": lang}
    if text is not None:
        data |= {"chars": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    record(session, kind, actor=actor, case_id=case.id, subject=f"case:{case.ref}", data=data)


def set_story(session: Any, case: Any, *, lang: str, text: str, actor: str) -> bool:
    """Keep a person's translation of the story (or replace it); False when it is unchanged."""
    from plea.text import clean

    lang = check_lang(lang)
    body = clean(text).strip()
    if not body:
        raise InvalidInput("the story is empty: give its text with --file or --text")
    if lang == original_lang(case):
        raise InvalidInput(
            f"--lang: {lang} is the language of the original story of {case.ref}",
            hint=f"change the original with `plea cases edit {case.ref} --persecution-file FILE`",
        )
    stories = dict(case.stories or {})
    if stories.get(lang, {}).get("text") == body:
        return False
    now = datetime.now(UTC)
    stories[lang] = {"text": body, "updated": now.isoformat(timespec="seconds")}
    case.stories = stories  # a new dict: the JSON column sees the change
    case.updated_at = now
    session.add(case)
    _event(session, "case.story_set", case, lang, body, actor)
    return True


def remove_story(session: Any, case: Any, *, lang: str, actor: str) -> None:
    lang = check_lang(lang)
    stories = dict(case.stories or {})
    if lang not in stories:
        have = ", ".join(sorted(stories)) or "none"
        raise NotFound(
            f"{case.ref} has no {lang} version of its story (translations: {have})",
            hint=f"see `plea cases story list {case.ref}`",
        )
    del stories[lang]
    case.stories = stories
    case.updated_at = datetime.now(UTC)
    session.add(case)
    _event(session, "case.story_removed", case, lang, None, actor)


def fallback_summary(items: list[tuple[str, Story]]) -> str | None:
    """One line for every letter that carries the original for want of a translation, or None.
    items: (case ref, story) per letter."""
    missing = [(ref, s) for ref, s in items if s.fallback]
    if not missing:
        return None
    langs = sorted({s.wanted for _, s in missing})
    refs = sorted({ref for ref, _ in missing})
    from plea.i18n import translate

    return translate(
        f"story: {len(missing)} letter(s) carry the original story for want of a translation "
        f"({', '.join(langs)}) for {', '.join(refs)}; add one with `plea cases story set REF --lang LANG "
        f"--file FILE`, or refuse such letters with {REQUIRE_FLAG}"
    )


def refuse_untranslated(items: list[tuple[str, Story]]) -> None:
    """--require-translated-story: InvalidInput (exit 3) when any letter would carry the original."""
    missing: dict[str, set[str]] = {}
    for ref, story in items:
        if story.fallback:
            missing.setdefault(ref, set()).add(story.wanted)
    if missing:
        listed = "; ".join(f"{ref} ({', '.join(sorted(langs))})" for ref, langs in sorted(missing.items()))
        raise InvalidInput(
            f"{REQUIRE_FLAG}: the story has no translation into the letter's language for "
            f"{listed}; nothing was written",
            hint="add one with `plea cases story set REF --lang LANG --file FILE`",
        )
