"""The letters: templates/letters/<letter>/<lang>.md.j2 plus letter.toml.

letter.toml holds the title, the subject line per language and the case fields the
letter requires. Shared blocks live in templates/letters/_blocks/<lang>.md.j2.

Templates from elsewhere (PLEA_TEMPLATES, or a root passed in) overlay the shipped ones: a
file there replaces the shipped file of the same name, everything else comes from plea.
`letters_roots()` lists the folders in that order; the first that holds a file wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from plea.errors import NotFound, TemplateProblem
from plea.render.confine import read_toml
from plea.resources import shipped_templates_dir, templates_dir

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
    folder: Path  #: the folder of the letter.toml in use
    paths: dict[str, Path] = field(default_factory=dict, hash=False, compare=False)  #: language → its template file

    def template_name(self, lang: str) -> str:
        return f"{self.name}/{lang}{SUFFIX}"

    def subject(self, lang: str) -> str:
        return self.subjects.get(lang) or self.subjects.get("en") or self.title


def letters_root(root: Path | None = None) -> Path:
    """The first template folder in use: the overlay's letters/ if there is one, else the shipped."""
    return letters_roots(root)[0]


def letters_roots(root: Path | None = None) -> tuple[Path, ...]:
    """The letters/ folders in use, first match wins: root (or PLEA_TEMPLATES), then the shipped ones."""
    shipped = shipped_templates_dir() / "letters"
    first = (root or templates_dir()) / "letters"
    return (shipped,) if _resolved(first) == _resolved(shipped) else (first, shipped)


@lru_cache(maxsize=64)
def _resolved(path: Path) -> Path:
    """A folder's real path, worked out once per process: a plan asks for the template folders once
    per recipient (untranslated), and resolving them was a tenth of a 5,000-letter plan's time."""
    return path.resolve()


def locate(rel: str, root: Path | None = None) -> tuple[Path, Path] | None:
    """(file, its letters/ folder) for a path inside letters/, from the first folder that holds it."""
    for base in letters_roots(root):
        path = base / rel
        if path.exists() or path.is_symlink():
            return path, base
    return None


def load_catalog(root: Path | None = None) -> dict[str, LetterSpec]:
    return _load_catalog(letters_roots(root))


def _files(bases: tuple[Path, ...], folder: str) -> dict[str, Path]:
    """Language → template file in letters/<folder>/, the overlay's before the shipped."""
    found: dict[str, Path] = {}
    for base in reversed(bases):  # the shipped first, then the overlay replaces
        for p in (base / folder).glob(f"*{SUFFIX}"):
            found[p.name[: -len(SUFFIX)]] = p
    return dict(sorted(found.items()))


@lru_cache(maxsize=8)
def _load_catalog(bases: tuple[Path, ...]) -> dict[str, LetterSpec]:
    specs: dict[str, LetterSpec] = {}
    names = sorted({p.name for base in bases if base.is_dir() for p in base.iterdir()
                    if p.is_dir() and not p.name.startswith("_")})
    for name in names:
        where = next((b for b in bases if (b / name / "letter.toml").exists()
                      or (b / name / "letter.toml").is_symlink()), None)
        if where is None:
            folder = next(b / name for b in bases if (b / name).is_dir())
            raise TemplateProblem(f"{folder / 'letter.toml'}: missing (every letter needs its letter.toml)")
        folder = where / name
        meta = read_toml(folder / "letter.toml", where)
        paths = _files(bases, name)
        specs[name] = LetterSpec(
            name=name,
            title=str(meta.get("title", name)),
            description=str(meta.get("description", "")),
            requires=tuple(meta.get("requires", ())),
            subjects={str(k): str(v) for k, v in dict(meta.get("subject", {})).items()},
            langs=tuple(paths),
            folder=folder,
            paths=paths,
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


def block_files(root: Path | None = None) -> dict[str, Path]:
    """Language → its shared blocks file, the overlay's before the shipped."""
    return _files(letters_roots(root), BLOCKS)


def block_langs(root: Path | None = None) -> tuple[str, ...]:
    return tuple(block_files(root))


load_catalog.cache_clear = _load_catalog.cache_clear  # type: ignore[attr-defined]
