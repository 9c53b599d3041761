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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plea.errors import InvalidInput
from plea.letters import work
from plea.letters.output import JOURNAL, STATE, foreign_files, open_output, os_problem, prepare_output
from plea.letters.pdf import find_soffice
from plea.letters.plan import Item, Plan
from plea.letters.precheck import precheck
from plea.letters.work import ChunkResult, Done, Failure, Task, TaskItem
from plea.letters.workers import Workers, parallel, pipelined, pool_for, shards

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
        from plea.i18n import translate

        n = sum(self.fallbacks.values())
        if not n:
            return translate("accelerator: no fallback (every letter staged)")
        reasons = "; ".join(f"{why} ({k})" for why, k in self.fallbacks.most_common())
        return translate(f"accelerator: {n} letter(s) rendered whole instead: {reasons}")

    def fallback_json(self) -> dict[str, Any]:
        return {"count": sum(self.fallbacks.values()), "reasons": dict(self.fallbacks.most_common())}


class Progress:
    """What the command shows while a batch runs (the CLI's Rich bar implements it)."""

    def start(self, total: int, done: int) -> None: ...

    def advance(self, letters: int) -> None: ...

    def stop(self) -> None: ...


def _parts(plan: Plan, todo: list[Item]) -> list[list[Item]]:
    """The letters in chunks, in the order they are written (by client, language, state)."""
    size = work.PDF_CHUNK if "pdf" in plan.formats else work.CHUNK
    todo = sorted(todo, key=lambda i: (i.ref, i.lang, i.state, i.host))
    return [todo[start : start + size] for start in range(0, len(todo), size)]


def _tasker(  # 8 parameters: what every chunk's Task carries beside its letters
    plan: Plan,
    cases: dict[int, dict[str, Any]],
    *,
    root: str | None,
    today: date,
    letterhead: str | None,
    workdir: str,
    soffice: str | None,
    annex_pdfs: dict[int, bytes],
) -> Callable[[list[Item]], Task]:
    """What makes a chunk of letters into the Task a worker renders."""

    def task(part: list[Item]) -> Task:
        items = [TaskItem.of(i, plan.missions[i.mission_id], plan.out_dir) for i in part]
        needed = {d for it in items if "pdf" in it.paths for d in it.annexes}
        return Task(
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
        )

    return task


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
    from plea.letters.manifest import recorded_paths, rendered_before

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
        raise os_problem(exc, out) from None
    workdir = tempfile.mkdtemp(prefix="plea-letters-") if soffice else ""
    try:
        built = work.build_chunk(_case_task(session, plan, today=today, workdir=workdir, soffice=soffice))
        result.fallbacks.update(built.fallbacks)
        if built.failure is not None:
            raise built.failure.error(resume=None)
        data = {b.path: b.data for b in built.built}
        foreign_files(
            list(data),
            recorded_paths(session, out),
            out=out,
            force=force,
            ours=lambda p: Path(p).read_bytes() == data[p],
            earlier=lambda paths: rendered_before(session, plan, paths),
        )
        progress.start(len(plan.items), plan.already_done)
        written = work.write_chunk(built.built)
        if written.failure is not None:
            raise written.failure.error(resume=None)
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


def _case_task(session: Any, plan: Plan, *, today: date, workdir: str, soffice: str | None) -> Task:
    """The whole of a one-case plan as one chunk, for write_case: the letterhead read where it is."""
    from plea.letters.plan import plain_case
    from plea.resources import templates_are_shipped, templates_dir

    return Task(
        plan.spec.name,
        None if templates_are_shipped() else str(templates_dir()),
        today,
        str(plan.letterhead) if plan.letterhead else None,
        plan.formats,
        {c.id: plain_case(c, plan.annexes.get(c.id)) for c in plan.cases if c.id is not None},
        [TaskItem.of(i, plan.missions[i.mission_id], plan.out_dir) for i in plan.todo],
        workdir,
        soffice,
        annex_pdfs(session, plan, workdir, soffice),
    )


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


def execute(  # 9 parameters: the database, the plan and `plea batch`'s options, passed by name
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
    cases = {c.id: plain_case(c, plan.annexes.get(c.id)) for c in plan.cases if c.id is not None}
    root = None if templates_are_shipped() else str(templates_dir())
    soffice = find_soffice() if "pdf" in plan.formats and plan.todo else None
    lock = open_output(plan.out_dir)
    pool = workers if jobs > 1 else None
    workdir = ""
    try:
        # the run's private work folder (LibreOffice profiles, PDF conversion, the letterhead as
        # hashed) inside the output folder: a killed run's is removed by the next one
        workdir = tempfile.mkdtemp(dir=plan.out_dir / STATE, prefix="work-")
        letterhead = _letterhead_copy(plan, workdir)
        if record.old_names(plan):  # files named by an earlier rule: renamed, recorded
            with db.transaction() as s:
                record.rename_old(s, plan, actor=actor)
        if pool is None and jobs > 1 and len(plan.todo) > work.CHUNK:
            pool = pool_for(jobs, plan, root, letterhead)
        precheck(plan, cases, root=root, today=today, pool=pool)
        with db.read() as s:
            recorded = manifest.recorded_paths(s, plan.out_dir)
            rows = {r["file"]: r for r in manifest.manifest_rows(s, plan.out_dir)}
            pdfs = annex_pdfs(s, plan, workdir, soffice)  # before any file is written: a bad annex stops here
        prepare_output(plan, recorded, force=force, workdir=workdir,
                       earlier=lambda paths: _rendered_before(db, plan, paths))
        progress.start(len(plan.items), plan.already_done)
        recorder = _Recorder(db, plan, result, progress, rows, actor=actor, today=today)
        task = _tasker(
            plan, cases, root=root, today=today, letterhead=letterhead, workdir=workdir, soffice=soffice,
            annex_pdfs=pdfs,
        )
        _render(pool, plan, task, recorder)
        if recorder.failure is not None:
            raise recorder.failure.error(
                resume=(
                    f"{result.rendered} letter(s) were written and recorded before it stopped; "
                    "run the same command again to finish the rest"
                ),
            )
        _finish(plan, result, recorder.rows, zip_=zip_)
    finally:
        progress.stop()
        if pool is not None and pool is not workers:
            pool.shutdown(wait=True, cancel_futures=True)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        lock.close()
    return result


def _rendered_before(db: Any, plan: Plan, paths: list[str]) -> set[str]:
    from plea.letters.manifest import rendered_before

    with db.read() as s:
        return rendered_before(s, plan, paths)


def _letterhead_copy(plan: Plan, workdir: str) -> str | None:
    """The letterhead's bytes that were hashed, copied into the work folder, whatever happens to
    the file meanwhile."""
    if plan.letterhead is None:
        return None
    letterhead = os.path.join(workdir, "letterhead.docx")
    shutil.copyfile(plan.letterhead, letterhead)
    return letterhead


class _Recorder:
    """What execute does with each chunk's result, as it comes: its files recorded in their own
    transaction, the manifest's rows kept in step (the manifest rewritten every MANIFEST_EVERY
    seconds), the counts and the progress bar advanced, the first failure kept."""

    def __init__(self, db: Any, plan: Plan, result: Result, progress: Progress,
                 rows: dict[str, dict[str, str]], *, actor: str, today: date) -> None:
        self.db, self.plan, self.result, self.progress, self.rows = db, plan, result, progress, rows
        self.actor, self.today = actor, today
        self.failure: Failure | None = None
        self.last_manifest = time.monotonic()

    def __call__(self, part: list[Item], chunk: ChunkResult) -> None:
        from plea.letters import manifest, record

        plan, result = self.plan, self.result
        done = chunk.done
        result.fallbacks.update(chunk.fallbacks)
        if done:
            with self.db.transaction() as s:
                record.record_done(s, plan, done, actor=self.actor, today=self.today)
            by_key: dict[tuple[int, str], list[Done]] = {}
            for d in done:
                by_key.setdefault((d.case_id, d.mission_id), []).append(d)
            for item in part:
                for d in by_key.get(item.key, []):
                    rel = os.path.relpath(d.path, plan.out_dir)
                    self.rows[rel] = {
                        "case": item.ref,
                        "recipient": item.mission_id,
                        "letter": plan.spec.name,
                        "language": item.lang,
                        "file": rel,
                        "sha256": d.sha256,
                    }
                if item.key in by_key:
                    result.rendered += 1
            self.progress.advance(sum(1 for item in part if item.key in by_key))
            result.files += len(done)
        if chunk.failure is not None and self.failure is None:
            self.failure = chunk.failure
        if time.monotonic() - self.last_manifest > MANIFEST_EVERY:
            manifest.write_manifest(
                plan.out_dir,
                manifest.with_annexes(sorted(self.rows.values(), key=lambda r: (r["case"], r["file"])), plan),
            )
            self.last_manifest = time.monotonic()


def _render(
    pool: Workers | None, plan: Plan, task: Callable[[list[Item]], Task], recorder: _Recorder
) -> None:
    """The chunks rendered here, one after another, or by the workers, each worker its own
    clients' first (shards, as precheck split them); each result recorded as it comes; nothing
    more started after a failure."""
    with work.fewer_collections():
        if pool is None:
            chunks = ((part, task(part)) for part in _parts(plan, plan.todo))
            pipelined(chunks, recorder, lambda: recorder.failure is not None)
        else:
            mine = [set(refs) for refs in shards([i.ref for i in plan.todo], len(pool))]
            streams = [_parts(plan, [i for i in plan.todo if i.ref in refs]) for refs in mine]
            parallel(pool, streams, task, recorder, lambda: recorder.failure is not None)


def _finish(plan: Plan, result: Result, rows: dict[str, dict[str, str]], *, zip_: bool) -> None:
    """The end of a batch that wrote everything: the manifest (its rows as read from the database
    when the run began, with the files this run recorded: _Recorder), the zips, and the journal
    gone."""
    from plea.letters import manifest

    final = manifest.with_annexes(sorted(rows.values(), key=lambda r: (r["case"], r["file"])), plan)
    result.manifest = manifest.write_manifest(plan.out_dir, final)
    if zip_:
        result.zips = manifest.write_zips(plan.out_dir, final, [c.ref for c in plan.cases])
    (plan.out_dir / STATE / JOURNAL).unlink(missing_ok=True)
