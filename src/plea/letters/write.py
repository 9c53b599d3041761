"""Durable chunked writes: each file of a chunk goes to a temp file beside its final name
(0600); then one sync of the filesystem (syncfs, or fsync of each file where that is missing)
makes the data durable; only then are the files renamed to their final names, and their
folders synced. A crash at any moment leaves whole files under final names, and temp files
(`.NAME.XXXX.tmp`) that the next run removes (clean_stale)."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from plea.fileio import fsync_path


def _write_temp(path: str, data: bytes) -> str:
    """Write data to a new temp file beside path (0600, created exclusively); its name."""
    folder, name = os.path.split(path)
    while True:
        tmp = os.path.join(folder, f".{name[:40]}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            break
        except FileExistsError:
            continue
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


_SYNCFS: Any = None


def _syncfs(folder: Path) -> bool:
    """Flush the whole filesystem holding folder (Linux syncfs); False where unavailable."""
    global _SYNCFS
    if _SYNCFS is None:
        try:
            import ctypes

            _SYNCFS = ctypes.CDLL(None, use_errno=True).syncfs
        except (OSError, AttributeError):
            _SYNCFS = False
    if _SYNCFS is False:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        return _SYNCFS(fd) == 0
    finally:
        os.close(fd)


class Pending:
    """A chunk's files written to temp files, not yet durable nor under their final names. The
    three steps (begin, durable, finish) are apart so that a batch can make one chunk durable
    while it renders the next (plea.letters.workers.pipelined); write_files takes them in a row."""

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        self.files = files
        self.folders = sorted({os.path.dirname(path) for path, _ in files})
        self.temps: list[tuple[str, str]] = []  # (temp file, final name); "" once renamed

    def abort(self) -> None:
        """Remove the temp files (after a failure): nothing is left."""
        for tmp, _ in self.temps:
            if tmp:
                _unlink(tmp)


def begin(files: list[tuple[str, bytes]]) -> Pending:
    """Write every file to a temp file beside its final name; on failure none is left."""
    pending = Pending(files)
    try:
        for path, data in files:
            pending.temps.append((_write_temp(path, data), path))
    except BaseException:
        pending.abort()
        raise
    return pending


def durable(pending: Pending) -> None:
    """Make the temp files' data durable: one sync of each filesystem (syncfs), or an fsync of
    each file where that is missing. Blocks on the disk, not the processor (and lets go of the
    interpreter meanwhile): it may run in a thread."""
    folders = pending.folders
    if folders and not _syncfs(Path(folders[0])):
        for tmp, _ in pending.temps:
            fsync_path(tmp)
    elif len({os.stat(f).st_dev for f in folders}) > 1:
        for folder in folders[1:]:
            _syncfs(Path(folder))


def finish(pending: Pending) -> list[str]:
    """Rename the durable temp files to their final names and sync their folders; their sha256."""
    try:
        for i, (tmp, path) in enumerate(pending.temps):
            os.replace(tmp, path)
            pending.temps[i] = ("", path)
    except BaseException:
        pending.abort()
        raise
    for folder in pending.folders:
        fsync_path(folder)
    return [hashlib.sha256(data).hexdigest() for _, data in pending.files]


def write_files(files: list[tuple[str, bytes]]) -> list[str]:
    """Write every file to a temp file, make them durable, then rename them to their final
    names; their sha256. Nothing stands under a final name unless it is whole."""
    pending = begin(files)
    try:
        durable(pending)
    except BaseException:
        pending.abort()
        raise
    return finish(pending)


def clean_stale(folder: Path) -> int:
    """Remove temp files a killed run left in folder (`.NAME.XXXX.tmp`); how many."""
    n = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if (
            entry.name.startswith(".")
            and entry.name.endswith(".tmp")
            and entry.is_file(follow_symlinks=False)
        ):
            _unlink(entry.path)
            n += 1
    return n


def disk_full(exc: OSError) -> bool:
    """The one test for a full disk (or quota)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def os_message(exc: OSError) -> str:
    """What a user reads when writing failed: a full disk named as such."""
    where = f" {exc.filename}" if exc.filename else ""
    if disk_full(exc):
        return f"the disk is full (writing{where})"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write{where}: {exc.strerror}"
    return f"cannot write{where}: {exc.strerror or exc}"
