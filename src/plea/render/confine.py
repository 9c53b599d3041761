"""Template files are read only from inside their folder: every path is resolved (symlinks
followed) and refused if it leaves the folder, and files are capped in size. The Jinja loader,
letter.toml and `templates check` all read through here."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, TemplateNotFound
from jinja2.loaders import split_template_path

from plea.errors import TemplateProblem

MAX_TEMPLATE_BYTES = 1 << 20  # a letter template is a few KB
MAX_TOML_BYTES = 64 << 10  # letter.toml: a title, subject lines and the required fields
MAX_TOML_DEPTH = 8


def inside(path: Path, root: Path) -> Path:
    """path resolved; TemplateProblem if it leaves root (a symlink, `..`, an absolute path)."""
    real, top = Path(path).resolve(), Path(root).resolve()
    if real != top and top not in real.parents:
        raise TemplateProblem(f"{path}: leads outside the template folder {top} (a link or a path "
                              "that leaves it); templates may only use files inside their folder")
    return real


def read_bytes(path: Path, root: Path, limit: int = MAX_TEMPLATE_BYTES) -> bytes:
    """A template file's bytes: inside root, a regular file, at most limit bytes."""
    real = inside(path, root)
    if not real.is_file():
        raise TemplateProblem(f"{path}: not a regular file")
    with open(real, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TemplateProblem(f"{path}: larger than {limit:,} bytes; a template file is a few KB")
    return data


def read_text(path: Path, root: Path, limit: int = MAX_TEMPLATE_BYTES) -> str:
    data = read_bytes(path, root, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateProblem(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_TOML_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def read_toml(path: Path, root: Path) -> dict[str, Any]:
    """letter.toml, refused (TemplateProblem, exit 7) when outside root, huge or deeply nested."""
    text = read_text(path, root, MAX_TOML_BYTES)
    try:
        meta = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateProblem(f"{path}: {exc}") from None
    except RecursionError:
        meta = None  # nested beyond what the parser follows
    if meta is None or _depth(meta) > MAX_TOML_DEPTH:
        raise TemplateProblem(f"{path}: nested more than {MAX_TOML_DEPTH} levels deep; letter.toml holds a "
                              "title, subject lines and a list of fields")
    return meta


class ConfinedLoader(BaseLoader):
    """Loads a template from the first of its folders that holds it (an overlay, then plea's
    own), refusing one whose real path leaves the folder it was found in."""

    def __init__(self, roots: Path | Sequence[Path]) -> None:
        self.roots = (Path(roots),) if isinstance(roots, (str, Path)) else tuple(Path(r) for r in roots)
        self.root = self.roots[0]

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)  # refuses `..`
        for root in self.roots:
            path = root.joinpath(*pieces)
            if path.is_file() or path.is_symlink():
                text = read_text(path, root)
                mtime = path.stat().st_mtime if path.exists() else None
                return text, str(path), lambda p=path, m=mtime: p.exists() and p.stat().st_mtime == m
        raise TemplateNotFound(template)
