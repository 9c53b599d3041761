"""Running a batch: check everything that can be checked before writing a file, then render
and write chunk by chunk (in worker processes with --jobs N), recording each chunk in its own
short transaction, and keep the manifest in step.

Resumable: a file counts as done when the database records it for the same inputs and the
file on disk has the recorded sha256. A run killed at any moment leaves whole files under final
names, temp files the next run removes, and a journal (DIR/.plea-batch/pending) of the files it
meant to write, so the next run may replace those even if they were never recorded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plea.letters import work
from plea.letters.plan import Item, Plan
from plea.letters.work import Done, Task, clean_stale, find_soffice, render_chunk, warm_up
from plea.errors import Conflict, ExternalProblem, InvalidInput, PleaError, TemplateProblem

STATE = ".plea-batch"
JOURNAL = "pending"
LOCK = "lock"
MANIFEST_EVERY = 5.0  # seconds between manifest rewrites while a batch runs


@dataclass
class Result:
    plan: Plan
    rendered: int = 0  # letters rendered by this run
    files: int = 0  # files written by this run
    manifest: Path | None = None
    zips: list[Path] = field(default_factory=list)


class Progress:
    """What the command shows while a batch runs (the CLI's Rich bar implements it)."""

    def start(self, total: int, done: int) -> None: ...

    def advance(self, letters: int) -> None: ...

    def stop(self) -> None: ...


def _os_problem(exc: OSError, folder: Path) -> PleaError:
    reason = "the disk is full" if exc.errno in (28, 122) else (exc.strerror or str(exc)).lower()
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
        raise _os_problem(exc, out) from None
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


def prepare_output(plan: Plan, recorded: set[str], *, force: bool, workdir: str) -> None:
    """Create the clients' folders and clean what a killed run left: temp files, its private
    work folder, files it wrote but did not record (unless this run writes them again).
    `recorded`: the paths the database records under the output folder."""
    out = plan.out_dir
    try:
        for folder in sorted({i.folder for i in plan.items}):
            (out / folder).mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise _os_problem(exc, out) from None
    for folder in [out, out / STATE, *sorted({out / i.folder for i in plan.items})]:
        clean_stale(folder)
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
    foreign = [
        p
        for i in plan.todo
        for f in i.todo
        if (p := i.path(out, f)) not in recorded and p not in pending and os.path.lexists(p)
    ]
    if foreign and not force:
        raise Conflict(
            f"{len(foreign)} file(s) in {out} have the names of letters but were not written by plea, "
            f"e.g. {foreign[0]}",
            hint="choose another --out folder, or pass --force to replace them",
        )
    from plea.fileio import atomic_write_text

    try:
        atomic_write_text(journal, "".join(p + "\n" for p in sorted(wanted)))
    except OSError as exc:
        raise _os_problem(exc, out) from None


def _task_item(plan: Plan, item: Item, out: Path | None = None) -> dict[str, Any]:
    """What a worker needs of one planned letter (see work.Task); with `out`, the files to write."""
    d = {
        "case_id": item.case_id,
        "mission": plan.missions[item.mission_id],
        "lang": item.lang,
        "paper": item.paper,
        "first_letter": item.first_letter,
        "response": item.response,
    }
    if out is not None:
        d["paths"] = {f: item.path(out, f) for f in item.todo}
    return d


def _chunks(
    plan: Plan,
    cases: dict[int, dict[str, Any]],
    *,
    root: str | None,
    today: date,
    letterhead: str | None,
    workdir: str,
    soffice: str | None,
) -> Iterator[tuple[list[Item], Task]]:
    size = work.PDF_CHUNK if "pdf" in plan.formats else work.CHUNK
    todo = sorted(plan.todo, key=lambda i: (i.ref, i.lang, i.state, i.host))
    out = plan.out_dir
    for start in range(0, len(todo), size):
        part = todo[start : start + size]
        items = [_task_item(plan, i, out) for i in part]
        yield (
            part,
            Task(
                plan.spec.name,
                root,
                today,
                letterhead,
                plan.formats,
                {cid: cases[cid] for cid in {i.case_id for i in part}},
                items,
                workdir,
                soffice,
            ),
        )


def precheck(
    plan: Plan,
    cases: dict[int, dict[str, Any]],
    *,
    root: str | None,
    today: date,
    pool: Any = None,
    workers: int = 1,
) -> None:
    """Render one letter per client and language in memory: a template problem stops the batch
    before any file is written. Done by the workers when there are any (their caches are then
    warm for the clients they check), split between them by client; else here."""
    from plea.letters.work import check_chunk

    firsts: dict[tuple[int, str], Item] = {}
    for item in plan.todo:
        firsts.setdefault((item.case_id, item.lang), item)
    if not firsts:
        return
    items = sorted(firsts.values(), key=lambda i: (i.ref, i.lang))
    refs = sorted({i.ref for i in items})
    parts = min(workers if pool is not None else 1, len(refs))
    size = -(-len(refs) // parts)
    tasks = []
    for n in range(parts):
        # consecutive clients in each part: the first error found is the first in the plan's order
        mine = set(refs[n * size : (n + 1) * size])
        part = [i for i in items if i.ref in mine]
        if not part:
            continue
        tasks.append(
            Task(
                plan.spec.name,
                root,
                today,
                None,
                [],
                {i.case_id: cases[i.case_id] for i in part},
                [_task_item(plan, i) for i in part],
                "",
            )
        )
    if pool is None:
        errors = [check_chunk(t) for t in tasks]
    else:
        try:
            errors = [f.result() for f in [pool.submit(check_chunk, t) for t in tasks]]
        except Exception as exc:  # a worker died (killed, out of memory)
            raise ExternalProblem(_worker_died(exc), hint="nothing was written") from None
    error = next((e for e in errors if e is not None), None)
    if error is not None:
        kind, message, hint = error
        known = {"TemplateProblem": TemplateProblem, "ExternalProblem": ExternalProblem}
        raise known.get(kind, InvalidInput)(message, hint=f"{hint + '; ' if hint else ''}nothing was written")


def execute(
    db: Any,
    plan: Plan,
    *,
    jobs: int,
    actor: str,
    today: date,
    force: bool = False,
    zip_: bool = False,
    progress: Progress | None = None,
    workers: Any = None,
) -> Result:
    """Render, write and record the plan's letters. `workers`: a pool from early_workers
    (started before planning, so the workers load while this process plans), used when
    jobs > 1 and shut down by its owner; without one, a pool is made (and shut down) here."""
    from plea.letters import record as store
    from plea.letters.plan import plain_case
    from plea.resources import templates_are_shipped, templates_dir

    progress = progress or Progress()
    result = Result(plan)
    cases = {c.id: plain_case(c) for c in plan.cases if c.id is not None}
    root = None if templates_are_shipped() else str(templates_dir())
    soffice = find_soffice() if "pdf" in plan.formats and plan.todo else None
    lock = open_output(plan.out_dir)
    pool = workers if jobs > 1 else None
    workdir = ""
    try:
        # the run's private work folder (LibreOffice profiles, PDF conversion, the letterhead as
        # hashed) inside the output folder: a killed run's is removed by the next one
        workdir = tempfile.mkdtemp(dir=plan.out_dir / STATE, prefix="work-")
        letterhead = None
        if plan.letterhead is not None:  # the bytes that were hashed, whatever happens to the file meanwhile
            letterhead = os.path.join(workdir, "letterhead.docx")
            shutil.copyfile(plan.letterhead, letterhead)
        if pool is None and jobs > 1 and len(plan.todo) > work.CHUNK:
            pool = _pool(jobs, plan, root, letterhead)
        precheck(plan, cases, root=root, today=today, pool=pool, workers=jobs)
        with db.read() as s:
            recorded = store.recorded_paths(s, plan.out_dir)
            rows = {r["file"]: r for r in store.manifest_rows(s, plan.out_dir)}
        prepare_output(plan, recorded, force=force, workdir=workdir)
        progress.start(len(plan.items), plan.already_done)
        last_manifest = time.monotonic()
        failure: tuple[str, str, str | None] | None = None

        def handle(part: list[Item], done: list[Done], error: tuple[str, str, str | None] | None) -> None:
            nonlocal failure, last_manifest
            if done:
                with db.transaction() as s:
                    store.record_done(s, plan, done, actor=actor, today=today)
                by_key: dict[tuple[int, str], list[Done]] = {}
                for d in done:
                    by_key.setdefault((d.case_id, d.mission_id), []).append(d)
                for item in part:
                    for d in by_key.get(item.key, []):
                        rel = os.path.relpath(d.path, plan.out_dir)
                        rows[rel] = {
                            "case": item.ref,
                            "recipient": item.mission_id,
                            "letter": plan.spec.name,
                            "language": item.lang,
                            "file": rel,
                            "sha256": d.sha256,
                        }
                    if item.key in by_key:
                        result.rendered += 1
                progress.advance(sum(1 for item in part if item.key in by_key))
                result.files += len(done)
            if error is not None and failure is None:
                failure = error
            if time.monotonic() - last_manifest > MANIFEST_EVERY:
                store.write_manifest(
                    plan.out_dir, sorted(rows.values(), key=lambda r: (r["case"], r["file"]))
                )
                last_manifest = time.monotonic()

        chunks = _chunks(
            plan, cases, root=root, today=today, letterhead=letterhead, workdir=workdir, soffice=soffice
        )
        with work.fewer_collections():
            if pool is None:
                for part, task in chunks:
                    handle(part, *render_chunk(task))
                    if failure:
                        break
            else:
                _parallel(pool, chunks, jobs, handle, lambda: failure is not None)
        if failure is not None:
            raise _failure(failure, plan, result)
        with db.read() as s:
            final = store.manifest_rows(s, plan.out_dir)
        result.manifest = store.write_manifest(plan.out_dir, final)
        if zip_:
            result.zips = store.write_zips(plan.out_dir, final, [c.ref for c in plan.cases])
        (plan.out_dir / STATE / JOURNAL).unlink(missing_ok=True)
    finally:
        progress.stop()
        if pool is not None and pool is not workers:
            pool.shutdown(wait=True, cancel_futures=True)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        lock.close()
    return result


@contextmanager
def early_workers(
    workers: int,
    letter: str,
    *,
    formats: list[str] | None = None,
    paper: str | None = None,
    letterhead: Path | None = None,
    fork: bool = False,
) -> Iterator[Any]:
    """The workers for a batch of `letter` (none if workers < 1), started before the plan is
    made: while this process plans (a good part of a batch's time), each prepares the letter's
    templates in every language and the styled skeletons for either paper. `fork`: the caller
    has no database open, so they may be forked (see _start_pool). Hand them to execute(); they are
    shut down when the block ends, whatever happens."""
    from plea.render.catalog import get_letter
    from plea.resources import templates_are_shipped, templates_dir

    root = None if templates_are_shipped() else str(templates_dir())
    warm: tuple[Any, ...] = (letter, root, [], None, False)
    if workers > 0:
        try:
            spec = get_letter(letter)
        except PleaError:  # reported by the plan
            spec = None
        if spec is not None:
            shapes = [(lang, p) for lang in spec.langs for p in ([paper] if paper else ["a4", "letter"])]
            # a letterhead's skeletons are made from the copy execute() hashes, not warmed here
            docx = letterhead is None and any(f in (formats or ["docx"]) for f in ("docx", "pdf"))
            warm = (letter, root, shapes, None, docx)
    pool = _start_pool(workers, warm, fork=fork) if workers > 0 else None
    try:
        yield pool
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int, plan: Plan, root: str | None, letterhead: str | None) -> Any:
    """Workers warming up what the plan needs (templates, styled skeletons) as soon as they start."""
    shapes = sorted({(i.lang, i.paper) for i in plan.todo})
    docx = any(f in plan.formats for f in ("docx", "pdf"))
    return _start_pool(workers, (plan.spec.name, root, shapes, letterhead, docx))


def _start_pool(workers: int, warm: tuple[Any, ...], *, fork: bool = False) -> Any:
    """A pool of workers, each running warm_up(*warm) first, all started now (a pool otherwise
    starts its processes only as work arrives). Spawned (a fresh interpreter: no database
    connection crosses into them), or with `fork` (the caller has opened no database) forked
    where that is safe: on Linux, from a process with no other thread; a forked worker has
    this process's modules already loaded."""
    import multiprocessing as mp
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor

    forking = fork and sys.platform == "linux" and threading.active_count() == 1
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("fork" if forking else "spawn"),
        initializer=warm_up,
        initargs=warm,
    )
    for _ in range(workers):
        pool.submit(int)
    return pool


def _parallel(
    pool: Any,
    chunks: Iterator[tuple[list[Item], Task]],
    workers: int,
    handle: Callable[..., None],
    stop: Callable[[], bool],
) -> None:
    """Chunks over the workers, two in flight each (memory stays flat, and none waits for the
    next); this process records results as they come (rendering here as well was measured no
    faster on two cores: it delays the recording). After a failure, what is in flight finishes
    and is recorded."""
    from concurrent.futures import FIRST_COMPLETED, wait

    in_flight: dict[Any, list[Item]] = {}
    exhausted = False

    def take() -> tuple[list[Item], Task] | None:
        nonlocal exhausted
        if exhausted or stop():
            return None
        nxt = next(chunks, None)
        exhausted = nxt is None
        return nxt

    while True:
        while len(in_flight) < 2 * workers and (nxt := take()) is not None:
            in_flight[pool.submit(render_chunk, nxt[1])] = nxt[0]
        if not in_flight:
            return
        finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
        for future in finished:
            part = in_flight.pop(future)
            try:
                done, error = future.result()
            except Exception as exc:  # a worker died (killed, out of memory)
                done, error = [], ("ExternalProblem", _worker_died(exc), None)
            handle(part, done, error)


def _worker_died(exc: BaseException) -> str:
    return f"a worker process failed ({exc.__class__.__name__})"


def _failure(error: tuple[str, str, str | None], plan: Plan, result: Result) -> PleaError:
    kind, message, hint = error
    resume = (
        f"{result.rendered} letter(s) were written and recorded before it stopped; "
        "run the same command again to finish the rest"
    )
    if kind == "OSError":
        return ExternalProblem(f"{message}", hint=f"{resume} (free some space or fix the folder first)")
    cls = {"TemplateProblem": TemplateProblem, "ExternalProblem": ExternalProblem, "Conflict": Conflict}.get(
        kind
    )
    if cls is None:
        return InvalidInput(message, hint=hint)
    return cls(message, hint=f"{hint + '; ' if hint else ''}{resume}")
