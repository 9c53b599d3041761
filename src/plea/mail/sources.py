"""Where received messages come from on disk: an mbox file, a Maildir, a folder of .eml files,
or one .eml file. Each message comes with a name a person can find it by in warnings."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from plea.errors import InvalidInput, NotFound


def kind_of(path: Path) -> str:
    if path.is_dir():
        return "maildir" if all((path / sub).is_dir() for sub in ("cur", "new")) else "eml"
    with path.open("rb") as f:
        return "mbox" if f.read(5) == b"From " else "eml"


def read_messages(path: Path) -> Iterator[tuple[str, str, bytes]]:
    """(source kind, name, raw bytes) for every message under path."""
    path = Path(path).expanduser()
    if not path.exists():
        raise NotFound(f"{path}: no such file or folder")
    kind = kind_of(path)
    if kind == "mbox":
        box = mailbox.mbox(str(path), create=False)
        try:
            for n, key in enumerate(box.keys(), 1):
                yield kind, f"{path}: message {n}", box.get_bytes(key)
        finally:
            box.close()
    elif kind == "maildir":
        md = mailbox.Maildir(str(path), factory=None, create=False)
        for key in sorted(md.keys()):
            yield kind, f"{path}: {key}", md.get_bytes(key)
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*.eml") if p.is_file())
        if not files:
            raise InvalidInput(f"{path}: no .eml files, and not a Maildir (cur/, new/)")
        for f in files:
            yield kind, str(f), f.read_bytes()
    else:
        yield kind, str(path), path.read_bytes()
