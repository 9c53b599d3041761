"""The shipped letters: templates/letters/<letter>/<lang>.md.j2 plus letter.toml.

letter.toml holds the title, the subject line per language and the case fields the
letter requires. Shared blocks live in templates/letters/_blocks/<lang>.md.j2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from plea.errors import NotFound, TemplateProblem
from plea.render.confine import read_toml
from plea.resources import templates_dir

BLOCKS = "_blocks"
SUFFIX = ".md.j2"
#: every letter must exist in each of these languages (issue: at least twelve)
REQUIRED_LANGS = ("en", "fr", "de", "es", "pt", "it", "ru", "ar", "zh", "ja", "tr", "pl")


@dataclass(frozen=True)
class LetterSpec:
    name: str
    title: str
    description: str
    requires: tuple[str, ...]
    subjects: dict[str, str] = field(hash=False)
    langs: tuple[str, ...]
    folder: Path

    def template_name(self, lang: str) -> str:
        return f"{self.name}/{lang}{SUFFIX}"

    def subject(self, lang: str) -> str:
        return self.subjects.get(lang) or self.subjects.get("en") or self.title


def letters_root(root: Path | None = None) -> Path:
    return (root or templates_dir()) / "letters"


def load_catalog(root: Path | None = None) -> dict[str, LetterSpec]:
    return _load_catalog(letters_root(root))


@lru_cache(maxsize=8)
def _load_catalog(base: Path) -> dict[str, LetterSpec]:
    specs: dict[str, LetterSpec] = {}
    if not base.is_dir():
        return specs
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("_")):
        meta_path = folder / "letter.toml"
        if not meta_path.exists():
            raise TemplateProblem(f"{meta_path}: missing (every letter needs its letter.toml)")
        meta = read_toml(meta_path, base)
        langs = tuple(sorted(p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}")))
        specs[folder.name] = LetterSpec(
            name=folder.name,
            title=str(meta.get("title", folder.name)),
            description=str(meta.get("description", "")),
            requires=tuple(meta.get("requires", ())),
            subjects={str(k): str(v) for k, v in dict(meta.get("subject", {})).items()},
            langs=langs,
            folder=folder,
        )
    return specs


def get_letter(name: str, root: Path | None = None) -> LetterSpec:
    catalog = load_catalog(root)
    if name not in catalog:
        from difflib import get_close_matches

        close = get_close_matches(name, list(catalog), n=3)
        hint = f"did you mean: {', '.join(close)}?" if close else f"letters: {', '.join(catalog)}"
        raise NotFound(f"no letter template named {name!r}", hint=hint)
    return catalog[name]


def block_langs(root: Path | None = None) -> tuple[str, ...]:
    folder = letters_root(root) / BLOCKS
    return tuple(sorted(p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}")))


load_catalog.cache_clear = _load_catalog.cache_clear  # type: ignore[attr-defined]
