"""Running a plan: `plea batch` (execute) and `plea letters render` (write_case, a batch of one
case in the command's own transaction).

A batch: check everything that can be checked before writing a file, then render
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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plea.errors import Conflict, ExternalProblem, InvalidInput, PleaError, TemplateProblem
from plea.letters import work
from plea.letters.pdf import find_soffice
from plea.letters.plan import Item, Plan
from plea.letters.work import ChunkResult, Done, Failure, Task, TaskItem, render_chunk, warm_up
from plea.letters.write import clean_stale

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
    done: list[Done] = field(default_factory=list)  # the files written by this run
    fallbacks: Counter[str] = field(
        default_factory=Counter
    )  # letters the accelerator rendered whole, by reason

    def fallback_note(self) -> str:
        """The accelerator's fallbacks, for the end of a run."""
        n = sum(self.fallbacks.values())
        if not n:
            return "accelerator: no fallback (every letter staged)"
        return f"accelerator: {n} letter(s) rendered whole instead: " + "; ".join(
            f"{why} ({k})" for why, k in self.fallbacks.most_common()
        )

    def fallback_json(self) -> dict[str, Any]:
        return {"count": sum(self.fallbacks.values()), "reasons": dict(self.fallbacks.most_common())}


class Progress:
    """What the command shows while a batch runs (the CLI's Rich bar implements it)."""

    def start(self, total: int, done: int) -> None: ...

    def advance(self, letters: int) -> None: ...

    def stop(self) -> None: ...


def _os_problem(exc: OSError, folder: Path) -> PleaError:
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
    _refuse_links(out, sorted({i.folder for i in plan.items}))
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
    foreign_files(
        [i.path(out, f) for i in plan.todo for f in i.todo], recorded, out=out, force=force, pending=pending
    )
    from plea.fileio import atomic_write_text

    try:
        atomic_write_text(journal, "".join(p + "\n" for p in sorted(wanted)))
    except OSError as exc:
        raise _os_problem(exc, out) from None


def _task_item(plan: Plan, item: Item, out: Path | None = None) -> TaskItem:
    """What a worker needs of one planned letter; with `out`, the files to write."""
    paths = {f: item.path(out, f) for f in item.todo} if out is not None else {}
    return TaskItem(
        item.case_id,
        plan.missions[item.mission_id],
        item.lang,
        item.paper,
        item.first_letter,
        item.response,
        paths,
        [a.id for a in item.annexes],
    )


def _chunks(
    plan: Plan,
    cases: dict[int, dict[str, Any]],
    *,
    root: str | None,
    today: date,
    letterhead: str | None,
    workdir: str,
    soffice: str | None,
    annex_pdfs: dict[int, bytes],
) -> Iterator[tuple[list[Item], Task]]:
    size = work.PDF_CHUNK if "pdf" in plan.formats else work.CHUNK
    todo = sorted(plan.todo, key=lambda i: (i.ref, i.lang, i.state, i.host))
    out = plan.out_dir
    for start in range(0, len(todo), size):
        part = todo[start : start + size]
        items = [_task_item(plan, i, out) for i in part]
        needed = {d for it in items if "pdf" in it.paths for d in it.annexes}
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
                {d: annex_pdfs[d] for d in needed},
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
        results = [check_chunk(t) for t in tasks]
    else:
        try:
            results = [f.result() for f in [pool.submit(check_chunk, t) for t in tasks]]
        except Exception as exc:  # a worker died (killed, out of memory)
            raise error_for(Failure("ExternalProblem", _worker_died(exc)), resume=None) from None
    failure = next((r.failure for r in results if r.failure is not None), None)
    if failure is not None:
        raise error_for(failure, resume=None)


def foreign_files(
    paths: list[str],
    recorded: set[str],
    *,
    out: Path,
    force: bool,
    pending: set[str] | frozenset[str] = frozenset(),
    ours: Callable[[str], bool] = lambda p: False,
) -> None:
    """Refuse to replace files plea did not write: a file is plea's if a rendition records its
    path, if a killed run meant to write it (`pending`), or if `ours` says so (it holds exactly
    the bytes plea is about to write)."""
    foreign = [
        p for p in paths if p not in recorded and p not in pending and os.path.lexists(p) and not ours(p)
    ]
    if foreign and not force:
        raise Conflict(
            f"{len(foreign)} file(s) in {out} have the names of letters but were not written by plea, "
            f"e.g. {foreign[0]}",
            hint="choose another --out folder, or pass --force to replace them",
        )


def write_case(
    session: Any,
    plan: Plan,
    *,
    actor: str,
    today: date,
    force: bool = False,
    progress: Progress | None = None,
) -> Result:
    """`plea letters render`: the plan's letters (one case) rendered in memory first (a template
    problem stops everything before a file is written), then written (plea.letters.write) and
    recorded (plea.letters.record) in the caller's transaction."""
    from plea.letters import record
    from plea.letters.manifest import recorded_paths
    from plea.letters.plan import plain_case
    from plea.resources import templates_are_shipped, templates_dir

    out = plan.out_dir
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out: {out} is a file, not a folder")
    result = Result(plan)
    record.rename_old(session, plan, actor=actor)
    if not plan.todo:
        return result
    progress = progress or Progress()
    soffice = find_soffice() if "pdf" in plan.formats else None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_problem(exc, out) from None
    workdir = tempfile.mkdtemp(prefix="plea-letters-") if soffice else ""
    try:
        task = Task(
            plan.spec.name,
            None if templates_are_shipped() else str(templates_dir()),
            today,
            str(plan.letterhead) if plan.letterhead else None,
            plan.formats,
            {c.id: plain_case(c, plan) for c in plan.cases if c.id is not None},
            [_task_item(plan, i, out) for i in plan.todo],
            workdir,
            soffice,
            annex_pdfs(session, plan, workdir, soffice),
        )
        built = work.build_chunk(task)
        result.fallbacks.update(built.fallbacks)
        if built.failure is not None:
            raise error_for(built.failure, resume=None)
        data = {b.path: b.data for b in built.built}
        foreign_files(
            list(data),
            recorded_paths(session, out),
            out=out,
            force=force,
            ours=lambda p: Path(p).read_bytes() == data[p],
        )
        progress.start(len(plan.items), plan.already_done)
        written = work.write_chunk(built.built)
        if written.failure is not None:
            raise error_for(written.failure, resume=None)
        record.record_done(session, plan, written.done, actor=actor, today=today)
        progress.advance(len(plan.todo))
    finally:
        progress.stop()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    result.done = written.done
    result.files = len(written.done)
    result.rendered = len({(d.case_id, d.mission_id) for d in written.done})
    return result


def annex_pdfs(session: Any, plan: Plan, workdir: str, soffice: str | None) -> dict[int, bytes]:
    """The annexes of the PDF packets this run writes, each as PDF (decrypted, checked, converted once)."""
    from plea.letters.annex import as_pdf

    wanted = [a for i in plan.todo if "pdf" in i.todo for a in i.annexes]
    if not wanted:
        return {}
    return as_pdf(session, wanted, Path(workdir), soffice)  # a PDF run always has its work folder


def files_of(plan: Plan, result: Result) -> list[tuple[Item, list[tuple[str, str, str]]]]:
    """Each letter's files, (format, path, sha256), written now or already done."""
    now = {(d.case_id, d.mission_id, d.fmt): d for d in result.done}
    out = []
    for item in plan.items:
        files = []
        for fmt in plan.formats:
            path = item.path(plan.out_dir, fmt)
            d = now.get((item.case_id, item.mission_id, fmt))
            if d is not None:
                files.append((fmt, d.path, d.sha256))
                continue
            lid = plan.letters.get(item.key)
            row = next((r for r in plan.renditions.get(lid, []) if r["path"] == path), None) if lid else None
            if row is not None:
                files.append((fmt, path, row["sha256"]))
        out.append((item, files))
    return out


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
    from plea.letters import manifest, record
    from plea.letters.plan import plain_case
    from plea.resources import templates_are_shipped, templates_dir

    progress = progress or Progress()
    result = Result(plan)
    cases = {c.id: plain_case(c, plan) for c in plan.cases if c.id is not None}
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
        if record.old_names(plan):  # files named by an earlier rule: renamed, recorded
            with db.transaction() as s:
                record.rename_old(s, plan, actor=actor)
        if pool is None and jobs > 1 and len(plan.todo) > work.CHUNK:
            pool = _pool(jobs, plan, root, letterhead)
        precheck(plan, cases, root=root, today=today, pool=pool, workers=jobs)
        with db.read() as s:
            recorded = manifest.recorded_paths(s, plan.out_dir)
            rows = {r["file"]: r for r in manifest.manifest_rows(s, plan.out_dir)}
            pdfs = annex_pdfs(s, plan, workdir, soffice)  # before any file is written: a bad annex stops here
        prepare_output(plan, recorded, force=force, workdir=workdir)
        progress.start(len(plan.items), plan.already_done)
        last_manifest = time.monotonic()
        failure: Failure | None = None

        def handle(part: list[Item], chunk: ChunkResult) -> None:
            nonlocal failure, last_manifest
            done = chunk.done
            result.fallbacks.update(chunk.fallbacks)
            if done:
                with db.transaction() as s:
                    record.record_done(s, plan, done, actor=actor, today=today)
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
            if chunk.failure is not None and failure is None:
                failure = chunk.failure
            if time.monotonic() - last_manifest > MANIFEST_EVERY:
                manifest.write_manifest(
                    plan.out_dir,
                    manifest.with_annexes(sorted(rows.values(), key=lambda r: (r["case"], r["file"])), plan),
                )
                last_manifest = time.monotonic()

        chunks = _chunks(
            plan, cases, root=root, today=today, letterhead=letterhead, workdir=workdir, soffice=soffice,
            annex_pdfs=pdfs,
        )
        with work.fewer_collections():
            if pool is None:
                for part, task in chunks:
                    handle(part, render_chunk(task))
                    if failure:
                        break
            else:
                _parallel(pool, chunks, jobs, handle, lambda: failure is not None)
        if failure is not None:
            raise error_for(
                failure,
                resume=(
                    f"{result.rendered} letter(s) were written and recorded before it stopped; "
                    "run the same command again to finish the rest"
                ),
            )
        with db.read() as s:
            final = manifest.with_annexes(manifest.manifest_rows(s, plan.out_dir), plan)
        result.manifest = manifest.write_manifest(plan.out_dir, final)
        if zip_:
            result.zips = manifest.write_zips(plan.out_dir, final, [c.ref for c in plan.cases])
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
                chunk = future.result()
            except Exception as exc:  # a worker died (killed, out of memory)
                chunk = ChunkResult(failure=Failure("ExternalProblem", _worker_died(exc)))
            handle(part, chunk)


def _worker_died(exc: BaseException) -> str:
    return f"a worker process failed ({exc.__class__.__name__})"


def error_for(failure: Failure, *, resume: str | None) -> PleaError:
    """The one place a worker's Failure becomes the error a user reads. `resume`: what was kept
    and how to finish (a batch that stopped part-way); None: nothing was written."""
    after = resume or "nothing was written"
    hint = f"{failure.hint}; {after}" if failure.hint else after
    if failure.kind == "OSError":
        return ExternalProblem(failure.message, hint=f"{after} (free some space or fix the folder first)")
    cls = {"TemplateProblem": TemplateProblem, "ExternalProblem": ExternalProblem, "Conflict": Conflict}.get(
        failure.kind, InvalidInput
    )
    return cls(failure.message, hint=hint)
