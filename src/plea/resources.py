"""Where plea's shipped files are: templates/ and data/.

In an installed wheel they sit inside the package (hatchling force-include maps the
repository's top-level folders to plea/templates and plea/data); in a source checkout
(editable install, tests) they are the repository's own folders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@lru_cache(maxsize=8)
def _find(name: str) -> Path:  # where the package is does not change while plea runs
    inside = _PKG / name
    if inside.is_dir():
        return inside
    checkout = _PKG.parent.parent / name
    if checkout.is_dir():
        return checkout
    from plea.errors import NotFound

    raise NotFound(f"plea's {name}/ folder is missing from the installation ({inside})",
                   hint="reinstall plea: pip install --force-reinstall plea")


def shipped_templates_dir() -> Path:
    return _find("templates")


def templates_dir() -> Path:
    """PLEA_TEMPLATES (a folder holding letters/…, e.g. templates someone sent you), else
    the shipped ones. Templates from elsewhere are rendered in a confined child process."""
    import os

    custom = os.environ.get("PLEA_TEMPLATES")
    if custom:
        path = Path(custom).expanduser().resolve()
        if not (path / "letters").is_dir():
            from plea.errors import NotFound

            raise NotFound(f"PLEA_TEMPLATES={custom}: no letters/ folder in it",
                           hint="point it at a folder laid out like plea's templates/ (letters/<letter>/<lang>.md.j2)")
        return path
    return shipped_templates_dir()


def templates_are_shipped(root: Path | None = None) -> bool:
    root = (root or templates_dir()).resolve()
    return root == shipped_templates_dir().resolve()


def data_dir() -> Path:
    return _find("data")
