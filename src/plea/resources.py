"""Where plea's shipped files are: templates/ and data/.

In an installed wheel they sit inside the package (hatchling force-include maps the
repository's top-level folders to plea/templates and plea/data); in a source checkout
(editable install, tests) they are the repository's own folders.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    inside = _PKG / name
    if inside.is_dir():
        return inside
    checkout = _PKG.parent.parent / name
    if checkout.is_dir():
        return checkout
    from plea.errors import NotFound

    raise NotFound(f"plea's {name}/ folder is missing from the installation ({inside})",
                   hint="reinstall plea: pip install --force-reinstall plea")


def templates_dir() -> Path:
    return _find("templates")


def data_dir() -> Path:
    return _find("data")
