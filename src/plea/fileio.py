"""Files plea writes: atomically (temp file, fsync, rename, fsync the folder), private
(0600), under names that cannot leave their folder on any OS."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import IO

from plea.errors import InvalidInput, NotFound

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
# control characters, bidi overrides/isolates, surrogates, and characters Windows forbids
_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff<>:\"/\\|?*]")
MAX_NAME_BYTES = 100


def safe_name(raw: str, *, fallback: str = "file") -> str:
    """One path component that is safe on Linux, macOS and Windows."""
    name = unicodedata.normalize("NFKC", raw)
    name = _BAD.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    stem = name.split(".", 1)[0].rstrip(" ").upper()  # Windows reads "NUL .txt" as the device NUL too
    if not name or stem in _WINDOWS_RESERVED:
        name = f"_{name}" if name else fallback
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    return name or fallback


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing any result outside folder."""
    root = folder.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise InvalidInput(f"refusing to write outside {root}: {name!r}")
    return target


def location_problem(exc: OSError, target: Path, what: str = "") -> InvalidInput:
    """A place the user named that cannot be written (a file where a folder should be, /proc, a
    read-only or full disk): one line naming it and why, exit 3."""
    target = Path(target)
    blocker = next((p for p in target.parents if os.path.lexists(p) and not p.is_dir()), None)
    folder = target if target.is_dir() else target.parent
    if blocker is not None:
        reason = f"{blocker} is a file, not a folder"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "the disk is full"
    elif exc.errno == errno.ENOENT and folder.is_dir():
        reason = "files cannot be created in that folder"  # /proc/self and the like
    else:
        reason = (exc.strerror or exc.__class__.__name__).lower()
    prefix = f"{what}: " if what else ""
    return InvalidInput(f"{prefix}cannot write to {target}: {reason}; nothing was written")


def output_folder(folder: Path, what: str = "--out", *, mode: int = 0o777) -> Path:
    """Create folder (and its parents) if needed and check a file can be made in it, before any
    work is done; InvalidInput (exit 3) naming what is wrong."""
    folder = Path(folder).expanduser()
    if os.path.lexists(folder) and not folder.is_dir():
        raise InvalidInput(f"{what}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=mode)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".plea-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise location_problem(exc, folder, what) from None
    return folder


def private_folder(path: Path) -> Path:
    """Create the folder (and its parents) if needed, readable by its owner alone (0700): an
    existing one is tightened too, since mkdir's mode leaves an existing folder as it is and is
    narrowed by the umask. Where the filesystem refuses the change, the folder is used as it is
    (`plea doctor` reports a plea folder others can read). OSError if it cannot be created."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def fsync_path(path: Path | str) -> None:
    """Flush a file or a folder (its entries) to disk; quietly nothing where that cannot be done."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[IO[bytes]], None], *, mode: int = 0o600) -> None:
    """Write through `write(fileobj)` to a temp file beside path, then rename over path.
    A crash at any moment leaves either the old file or the new one, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    except OSError as exc:  # where the user asked for it cannot be written: their mistake, not a bug
        raise location_problem(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_path(path.parent)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    atomic_write(path, lambda fh: fh.write(data), mode=mode)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


#: endings of a file name: an --out that names a folder refuses them (`--out letter.docx` is a mistake)
DOCUMENT_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".zip", ".odt")


def input_file(path: Path, option: str) -> Path:
    """The file an option names, checked before anything is written: missing is NotFound (exit 4)."""
    if path.is_dir():
        raise InvalidInput(f"{option}: {path} is a folder, not a file")
    if not path.is_file():
        raise NotFound(f"{option}: no such file {path}")
    return path


def read_text_file(path: Path, option: str) -> str:
    """The UTF-8 text of the file an option names, or one plain error line."""
    input_file(path, option)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{option}: {path} is not UTF-8 text",
                           hint="save it as UTF-8 text (in most editors: Save as, encoding UTF-8)") from None
    except OSError as exc:
        raise InvalidInput(f"{option}: cannot read {path} ({exc.strerror})") from None


def out_folder(path: Path, holds: str, example: str, option: str = "--out") -> Path:
    """An --out that names a folder: refused when it is an existing file or a new name that looks
    like a file's (`letter-fr.docx`), which would otherwise become a folder of that name."""
    hint = f"{option} is the folder {holds} go in: give one, e.g. {option} {example}/ (plea names each file)"
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{option}: {path} is a file, not a folder", hint=hint)
    if not path.exists() and path.suffix.lower() in DOCUMENT_SUFFIXES:
        raise InvalidInput(f"{option}: {path} looks like a file name, not a folder", hint=hint)
    return path
