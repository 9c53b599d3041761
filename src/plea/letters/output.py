"""The output folder of a batch: its state folder and lock (one batch per folder), what a killed
run left (temp files, its work folder, files it meant to write: the journal), links out of it
refused, and files plea did not write never replaced without --force."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plea.errors import Conflict, InvalidInput, PleaError
from plea.letters.plan import Plan
from plea.letters.write import clean_stale

STATE = ".plea-batch"
JOURNAL = "pending"
LOCK = "lock"


def os_problem(exc: OSError, folder: Path) -> PleaError:
    from plea.letters.write import disk_full

    reason = "the disk is full" if disk_full(exc) else (exc.strerror or str(exc)).lower()
    return InvalidInput(
        f"--out: cannot write to {folder}: {reason}",
        hint="choose a folder you can write to; nothing was written",
    )


def open_output(out: Path) -> Any:
    """Create the output folder and its state folder and take the batch lock (one batch per
    folder); the lock's open file, held for the whole run."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out: {out} is a file, not a folder")
    try:
        (out / STATE).mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = os.fdopen(os.open(out / STATE / LOCK, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
    except OSError as exc:
        raise os_problem(exc, out) from None
    try:
        import fcntl

        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise Conflict(
                f"another plea batch is writing to {out}",
                hint="wait for it to finish, or choose another --out folder",
            ) from None
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        pass
    return lock


def _refuse_links(out: Path, folders: list[str]) -> None:
    """A client's folder that is a link (or leads) outside --out is refused, as `letters render`
    refuses a file name that resolves outside its folder: nothing is written through it."""
    root = out.resolve()
    for folder in folders:
        path = out / folder
        if path.is_symlink() or path.resolve().parent != root:
            raise InvalidInput(f"--out: refusing to write outside {root}: {path} is a link to "
                               f"{path.resolve()}; nothing was written",
                               hint="remove the link, or choose another --out folder")


def prepare_output(
    plan: Plan, recorded: set[str], *, force: bool, workdir: str,
    earlier: Callable[[list[str]], set[str]] | None = None,
) -> None:
    """Create the clients' folders and clean what a killed run left: temp files, its private
    work folder, files it wrote but did not record (unless this run writes them again).
    `recorded`: the paths the database records under the output folder; `earlier`: see
    foreign_files."""
    out = plan.out_dir
    folders = sorted({i.folder for i in plan.items})
    try:
        for folder in folders:
            (out / folder).mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise os_problem(exc, out) from None
    _refuse_links(out, folders)
    for path in [out, out / STATE, *(out / folder for folder in folders)]:
        clean_stale(path)
    for stale in (out / STATE).glob("work-*"):
        if str(stale) != workdir:
            shutil.rmtree(stale, ignore_errors=True)
    journal = out / STATE / JOURNAL
    pending: set[str] = set()
    if journal.is_file():
        pending = {line for line in journal.read_text(encoding="utf-8").splitlines() if line}
    # files a killed run wrote but did not record, and that this plan will not write again: not ours to keep
    wanted = {i.path(out, f) for i in plan.items for f in i.todo}
    for path in pending - recorded - wanted:
        try:
            os.unlink(path)
        except OSError:
            pass
    foreign_files(
        [i.path(out, f) for i in plan.todo for f in i.todo], recorded, out=out, force=force, pending=pending,
        earlier=earlier,
    )
    from plea.fileio import atomic_write_text

    try:
        atomic_write_text(journal, "".join(p + "\n" for p in sorted(wanted)))
    except OSError as exc:
        raise os_problem(exc, out) from None


def foreign_files(
    paths: list[str],
    recorded: set[str],
    *,
    out: Path,
    force: bool,
    pending: set[str] | frozenset[str] = frozenset(),
    ours: Callable[[str], bool] = lambda p: False,
    earlier: Callable[[list[str]], set[str]] | None = None,
) -> None:
    """Refuse to replace files plea did not write: a file is plea's if a rendition records its
    path, if a killed run meant to write it (`pending`), if `ours` says so (it holds exactly
    the bytes plea is about to write), or if `earlier` names it among the others (plea wrote
    those bytes for that letter before: plea.letters.manifest.rendered_before)."""
    foreign = [
        p for p in paths if p not in recorded and p not in pending and os.path.lexists(p) and not ours(p)
    ]
    if foreign and earlier is not None:
        mine = earlier(foreign)
        foreign = [p for p in foreign if p not in mine]
    if foreign and not force:
        raise Conflict(
            f"{len(foreign)} file(s) in {out} have the names of letters but were not written by plea, "
            f"e.g. {foreign[0]}",
            hint="choose another --out folder, or pass --force to replace them",
        )
