"""Compiled letter templates and styled DOCX skeletons kept between runs, as Python keeps
bytecode in __pycache__.

Preparing the shipped templates of one language for a batch (parsing, the accelerator's analysis,
compiling; plea.letters.fast_stages) takes about 25 ms, and a styled empty DOCX for one paper
and script (plea.render.docx.skeleton_for) about 20 ms; a batch to 20 languages on two papers
spent about 1.2 s of its 5 s on them (bench/batch.py). So they are kept in the user's cache
folder and read back by the next run:

- the accelerator's three templates per letter and language, as code objects (marshal);
- the templates that they import (the shared blocks), through Jinja's own bytecode cache;
- the skeletons without a letterhead, as their parts (bytes and strings).

Only plea's shipped templates are kept (templates from elsewhere render in a confined child
and never come here), and no letterhead's skeleton. Everything sits in a folder named by a
fingerprint of what it depends on: the Python, Jinja, python-docx and lxml versions, plea's
version, the source of the modules that analyse and configure the templates and build the
skeletons, and every shipped template file. A change to any of them
makes a new folder (and the old ones are removed), so nothing stale is ever read.

The folder is the user's own (`PLEA_CACHE_DIR`, else the platform's user cache folder, e.g.
~/.cache/plea/templates), made 0700; it is used only if it belongs to this user and no one else
can write to it, and its files are written 0600, whole (temp file and rename). Anything
unreadable is a miss, never an error. `PLEA_CACHE_DIR=off` turns the cache off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

_FORMAT = b"plea-compiled-1\n"
#: the modules whose source decides the compiled code (the analysis, the environment's settings)
_DEPENDS_ON = ("letters/fast_stages.py", "letters/fast_analysis.py", "letters/fast.py", "render/jinja.py",
               "render/docx.py", "render/styles.py", "render/layout.py", "render/zipped.py")


def _root() -> Path | None:
    chosen = os.environ.get("PLEA_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("plea")) / "templates"


def _private(folder: Path) -> bool:
    """The folder is this user's and no one else can write to it."""
    try:
        st = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_mode & 0o022:
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


@lru_cache(maxsize=8)
def _fingerprint(letters: Path) -> str:
    import importlib.util
    from importlib.metadata import version

    import plea

    digest = hashlib.sha256()
    for part in (_FORMAT, importlib.util.MAGIC_NUMBER, sys.version.encode(), plea.__version__.encode(),
                 *(version(dist).encode() for dist in ("Jinja2", "python-docx", "lxml"))):
        digest.update(part + b"\0")
    src = Path(plea.__file__).parent
    for rel in _DEPENDS_ON:
        digest.update(rel.encode() + b"\0" + (src / rel).read_bytes() + b"\0")
    for path in sorted(p for p in letters.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(letters)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def shipped_folder() -> Path | None:
    """The cache folder for plea's shipped templates, or None (see folder_for)."""
    from plea.resources import shipped_templates_dir

    return folder_for(shipped_templates_dir() / "letters")


def folder_for(letters: Path) -> Path | None:
    """This version's cache folder for plea's shipped templates under `letters` (made now), or
    None: no cache (turned off, not private, not writable, or templates from elsewhere)."""
    from plea.resources import shipped_templates_dir

    root = _root()
    if root is None or letters.resolve() != (shipped_templates_dir() / "letters").resolve():
        return None
    return _folder(root, letters)


@lru_cache(maxsize=8)
def _folder(root: Path, letters: Path) -> Path | None:
    try:
        folder = root / _fingerprint(letters)
        if not folder.is_dir():
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if _private(root):
                for old in root.iterdir():  # the folders of earlier versions
                    if old.is_dir() and not old.is_symlink() and len(old.name) == 32:
                        shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(mode=0o700, exist_ok=True)
    except (OSError, ImportError):  # ImportError: a package whose version the fingerprint reads is missing
        return None
    return folder if _private(root) and _private(folder) else None


def load(folder: Path, name: str) -> Any:
    """What store() kept under name, or None."""
    try:
        data = (folder / name).read_bytes()
        if not data.startswith(_FORMAT):
            return None
        return marshal.loads(data[len(_FORMAT) :])
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(folder: Path, name: str, value: Any) -> None:
    """Keep value (code objects, strings, numbers, tuples, dicts) under name; quietly nothing if
    it cannot be written."""
    from plea.fileio import atomic_write_bytes

    try:
        atomic_write_bytes(folder / name, _FORMAT + marshal.dumps(value))
    except Exception:  # noqa: BLE001, S110 - a cache that cannot be written is no cache, never an error
        pass


def bytecode_cache(folder: Path) -> Any:
    """Jinja's bytecode cache in the folder, for the templates the accelerator's ones import."""
    from jinja2 import FileSystemBytecodeCache

    return FileSystemBytecodeCache(str(folder), "jinja-%s.cache")
