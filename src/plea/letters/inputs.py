"""The one inputs hash of a written letter (digests): what a file is made from, per format, so
that a letter renders again exactly when something it is made from changed (RENDER_VERSION for
the writer itself); with the template texts' hash and each mission's fields, worked out once."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from plea.render.catalog import LetterSpec, locate
from plea.render.context import mission_context

if TYPE_CHECKING:
    from plea.letters.plan import Item

#: bump when the writer changes what it makes of the same inputs: every letter renders again
RENDER_VERSION = 6  # 3: labels, names and the story in the letter's language; 4: the window layout,
#   sender block and continuation header (issue 20); 5: right-to-left letters keep a Latin name's own
#   brackets with it and leave the sentence's punctuation to the Arabic or Hebrew (render.docx.bidi_text), and
#   a letter not written in Latin letters names the destination country in English (postal.country_line);
#   6: Chinese, Japanese and Korean text named in Noto Serif CJK (render.styles.EAST_ASIAN_FONTS)
#: the same, for what the writer makes of a letterhead alone: letters on a letterhead render again, the
#: others keep their hashes. 2: the continuation pages' header (render.letterhead.continuation_header)
LETTERHEAD_VERSION = 2


class SharedInputs:
    """Each mission's fields as a template reads them, and their hash, worked out once; and
    each language's template hash."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[dict[str, Any], str]] = {}
        self._templates: dict[str, str] = {}

    def template(self, spec: LetterSpec, lang: str) -> str:
        if lang not in self._templates:
            self._templates[lang] = template_hash(spec, lang)
        return self._templates[lang]

    def _get(self, mission: Any) -> tuple[dict[str, Any], str]:
        if mission.id not in self._seen:
            ctx = mission_context(mission)
            # a mission without a name of its own hashes as it did before missions had one (migration
            # 0017): its letters are not rendered again for it
            self._seen[mission.id] = (ctx, sha_of({k: v for k, v in ctx.items() if k != "name" or v}))
        return self._seen[mission.id]

    def context(self, mission: Any) -> dict[str, Any]:
        return self._get(mission)[0]

    def sha(self, mission: Any) -> str:
        return self._get(mission)[1]


def sha_of(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def template_hash(spec: LetterSpec, lang: str) -> str:
    """The texts a letter in one language is made from: its template, the shared blocks, letter.toml."""
    from plea.render.confine import read_bytes

    h = hashlib.sha256()
    for rel in (f"{spec.name}/{lang}.md.j2", f"_blocks/{lang}.md.j2", f"{spec.name}/letter.toml"):
        found = locate(rel)  # the overlay's file (PLEA_TEMPLATES) before plea's own
        h.update(read_bytes(*found) if found and found[0].exists() else b"-")  # inside its folder, bounded
        h.update(b"\0")
    return h.hexdigest()


def digests(
    item: Item,
    formats: list[str],
    *,
    template: str,
    case_sha: str,
    mission_sha: str,
    letterhead_sha: str | None,
    annexes: list[Any] | None = None,
) -> dict[str, str]:
    """The one inputs hash, per format: what a file is made from (the writer's version, the
    template texts, the case's and mission's fields, the version of the story the letter carries,
    letterhead, paper, language, what a follow-up or thanks cites, and the annexes: number, sha256
    and title of each, so that a changed annex renders again). The date is not in it: a letter
    rendered is kept."""
    common = {
        "story": item.story.sha if item.story else None,
        "v": RENDER_VERSION,
        "template": template,
        "case": case_sha,
        "mission": mission_sha,
        "letterhead": letterhead_sha,
        "paper": item.paper,
        "lang": item.lang,
        "first_letter": item.first_letter,
        "response": item.response,
    }
    if letterhead_sha:  # only then: letters without a letterhead keep the hashes they had
        common["letterhead_v"] = LETTERHEAD_VERSION
    if annexes:  # only then: letters without annexes keep the hashes they had
        common["annexes"] = [a.key() for a in annexes]
    return {fmt: sha_of({**common, "format": fmt}) for fmt in formats}
