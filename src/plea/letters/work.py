"""Rendering letters a chunk at a time, in memory: in worker processes (spawned, or forked
before any database is open: no database connection crosses a fork) or in the command's own
process. Touches no database. What crosses the process boundary is typed: a Task of TaskItems
in, a ChunkResult (files Done, or one Failure; the accelerator's fallbacks) out.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from plea.errors import Conflict, ExternalProblem, InvalidInput, PleaError, TemplateProblem
from plea.letters import write
from plea.letters.pdf import to_pdf
from plea.letters.write import os_message, write_files

CHUNK = 96
PDF_CHUNK = 24


@dataclass
class TaskItem:
    """One letter as a worker needs it."""

    case_id: int
    mission: dict[str, Any]  # the mission's plain fields
    lang: str
    paper: str
    first_letter: dict[str, Any] | None
    response: dict[str, Any] | None
    paths: dict[str, str] = field(default_factory=dict)  # format → path to write (none: only checked)
    annexes: list[int] = field(default_factory=list)  # documents after the letter in its PDF (the packet)

    @classmethod
    def of(cls, item: Any, mission: dict[str, Any], out: Any = None) -> TaskItem:
        """A planned letter (plea.letters.plan.Item) as a worker needs it, with its mission's plain
        fields; with `out`, the files to write there."""
        paths = {f: item.path(out, f) for f in item.todo} if out is not None else {}
        return cls(item.case_id, mission, item.lang, item.paper, item.first_letter, item.response, paths,
                   [a.id for a in item.annexes])


@dataclass
class Task:
    letter: str
    templates_root: str | None  # None: the shipped templates; else render in a confined child
    today: date
    letterhead: str | None
    formats: list[str]
    cases: dict[int, dict[str, Any]]  # case id → plain case fields
    items: list[TaskItem]
    workdir: str  # the run's private temp folder (PDF conversion, LibreOffice profile)
    soffice: str | None = None
    annex_pdfs: dict[int, bytes] = field(default_factory=dict)  # document id → its PDF, for the packets


@dataclass
class Built:
    """A file rendered in memory, not yet written."""

    case_id: int
    mission_id: str
    fmt: str
    path: str
    data: bytes


@dataclass
class Done:
    case_id: int
    mission_id: str
    fmt: str
    path: str
    sha256: str


@dataclass
class Failure:
    """Why a chunk failed, as it crosses back from a worker; turned into a PleaError in one
    place (error). kind: a PleaError class name, or "OSError"."""

    kind: str
    message: str
    hint: str | None = None

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        if isinstance(exc, PleaError):
            return cls(exc.__class__.__name__, exc.message, exc.hint)
        if isinstance(exc, OSError):
            return cls("OSError", os_message(exc))
        raise exc

    def error(self, *, resume: str | None) -> PleaError:
        """The error a user reads. `resume`: what was kept and how to finish (a batch that stopped
        part-way); None: nothing was written."""
        after = resume or "nothing was written"
        hint = f"{self.hint}; {after}" if self.hint else after
        if self.kind == "OSError":
            return ExternalProblem(self.message, hint=f"{after} (free some space or fix the folder first)")
        kinds = {"TemplateProblem": TemplateProblem, "ExternalProblem": ExternalProblem, "Conflict": Conflict}
        return kinds.get(self.kind, InvalidInput)(self.message, hint=hint)


@dataclass
class ChunkResult:
    done: list[Done] = field(default_factory=list)
    failure: Failure | None = None
    fallbacks: Counter[str] = field(default_factory=Counter)  # reason → letters rendered whole instead


class _Worker:
    """What a process keeps between chunks: parsed templates, styled skeletons, caches."""

    def __init__(self) -> None:
        from plea.letters.segments import Cache, SegmentParser

        self.renderers: dict[tuple[str, str | None], Any] = {}
        self.parser = SegmentParser()
        self.xml: dict[int, tuple[Any, Any]] = {}
        self._cache = Cache
        self.line = Pipeline()  # the chunks this worker writes (render_chunk)

    def renderer(self, letter: str, root: str | None) -> Any:
        key = (letter, root)
        if key not in self.renderers:
            from plea.letters.fast import FastRenderer
            from plea.render.catalog import get_letter

            self.renderers[key] = FastRenderer(get_letter(letter))
        return self.renderers[key]

    def pieces(
        self, segments: list[tuple[str, list[Any]]], skeleton: Any, rtl: bool
    ) -> list[tuple[bytes, bytes]]:
        """The paragraphs' XML a segment at a time, each segment's XML made and compressed once
        (plea.render.docx.deflate_piece)."""
        from plea.render.docx import body_xml, deflate_piece

        holder = self.xml.get(id(skeleton))
        if holder is None or holder[0] is not skeleton:
            holder = self.xml[id(skeleton)] = (skeleton, self._cache(4096))
        cache = holder[1]
        out = []
        number = 0
        # the style of the block after each segment's last (body_xml's `following`)
        firsts = [blocks[0].style if blocks else None for _, blocks in segments]
        after: list[str | None] = [None] * len(segments)
        for i in range(len(segments) - 2, -1, -1):
            after[i] = firsts[i + 1] if firsts[i + 1] is not None else after[i + 1]
        for (text, blocks), following in zip(segments, after, strict=True):
            out.append(
                cache.get_or(
                    (text, rtl, number, following),
                    lambda b=blocks, n=number, f=following: deflate_piece(
                        body_xml(b, skeleton, rtl=rtl, number=n, following=f)
                    ),
                )
            )
            for block in blocks:
                number = number + 1 if block.style == "number" else 0
        return out


_WORKER: _Worker | None = None


def _worker() -> _Worker:
    global _WORKER
    if _WORKER is None:
        _WORKER = _Worker()
    return _WORKER


def warm_up(
    letter: str | None = None,
    root: str | None = None,
    shapes: list[tuple[str, str]] | None = None,
    letterhead: str | None = None,
    docx: bool = True,
) -> None:
    """Pool initializer: prepare what rendering needs (templates split, styled skeletons)
    before the first chunk arrives. Failures are left for the chunk to report."""
    import plea.letters.fast  # noqa: F401
    import plea.render.docx  # noqa: F401

    _die_with_parent()
    w = _worker()
    if letter is None:
        _worker_collections()
        return
    try:
        _worker_collections()
        from plea.render.docx import skeleton_for

        for lang, paper in shapes or []:
            if root is None:
                w.renderer(letter, None)._staged(lang)
            if docx:
                skeleton_for(lang, paper=paper, letterhead=Path(letterhead) if letterhead else None)
    except Exception:  # noqa: S110 - reported by the chunk that meets it
        pass


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Rendering thousands of letters allocates millions of short-lived objects, and CPython's
    cycle collector would run every 700 of them, each time scanning everything loaded so far:
    what exists now (modules, templates, the plan) is frozen out of its scans, and it runs
    after 20,000 allocations instead (what letters leave behind is still collected). Measured
    with bench/batch.py: a tenth less time. Restored afterwards."""
    import gc

    before = gc.get_threshold()
    _worker_collections()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _worker_collections() -> None:
    """The collector settings of fewer_collections, for good (a worker renders until the batch
    ends)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _die_with_parent() -> None:
    """Linux: a worker is killed when the command's process dies (kill -9 included), so no
    orphan goes on writing into the folder while the batch is run again."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _markdowns(task: Task, fallbacks: Counter[str]) -> list[str]:
    if task.templates_root is not None:
        from plea.render.isolate import render_many

        jobs = [
            {
                "lang": it.lang,
                "case": task.cases[it.case_id],
                "mission": it.mission,
                "today": task.today,
                "first_letter": it.first_letter,
                "response": it.response,
            }
            for it in task.items
        ]
        return render_many(task.letter, Path(task.templates_root), jobs)
    from plea.letters.fast import case_key
    from plea.render.context import case_context

    renderer = _worker().renderer(task.letter, None)
    cases = {cid: SimpleNamespace(**fields) for cid, fields in task.cases.items()}
    # from the data, never stale (with every version of the story: a letter's language picks one)
    keys = {cid: case_key({**case_context(case), "stories": getattr(case, "stories", None)})
            for cid, case in cases.items()}
    before = Counter(renderer.reasons)
    out = []
    for it in task.items:
        case, ck = cases[it.case_id], keys[it.case_id]
        out.append(
            renderer.markdown(
                it.lang,
                case=case,
                case_key=ck,
                mission=SimpleNamespace(**it.mission),
                today=task.today,
                first_letter=it.first_letter,
                response=it.response,
            )
        )
    fallbacks.update(renderer.reasons - before)
    return out


def check_chunk(task: Task) -> ChunkResult:
    """Render a chunk's letters in memory only (the check before anything is written)."""
    result = ChunkResult()
    try:
        _markdowns(task, result.fallbacks)
    except (PleaError, OSError) as exc:
        result.failure = Failure.of(exc)
    return result


def render_chunk(task: Task) -> list[ChunkResult]:
    """In a worker: render one chunk and start writing it, made durable while the next chunk
    renders (Pipeline). The results of this worker's chunks that are now whole under their final
    names, oldest first: the chunk before this one, and this one if it failed (it wrote nothing)."""
    return _worker().line.add(build_chunk(task))


def flush_chunks() -> list[ChunkResult]:
    """In a worker with no more chunks to render: the result of its last chunk, once durable."""
    return _worker().line.flush()


class Pipeline:
    """Rendered chunks written one after another, each made durable while the next one renders:
    only the wait on the disk runs in a thread (a sync that blocks on the disk, not the processor;
    53 of them took 0.36 s of a 5,000-letter batch in bench/batch.py), one call per chunk; the
    files are created and renamed in the caller's thread, since a thread making many short system
    calls would wait for the interpreter after each. Used by each worker (render_chunk) and by a
    batch without workers (plea.letters.workers.pipelined)."""

    def __init__(self) -> None:
        self._waiting: tuple[BuiltChunk, Any, Any] | None = None  # (chunk, write.Pending, its sync)
        self._syncer: Any = None

    def add(self, built: BuiltChunk) -> list[ChunkResult]:
        """Start writing a rendered chunk; the results that are ready (see render_chunk): this
        chunk's is among them, empty, if the chunk before it failed (this one is not written)."""
        out = self.flush()
        if built.failure is not None:
            return [*out, ChunkResult(failure=built.failure, fallbacks=built.fallbacks)]
        if any(r.failure is not None for r in out):  # nothing more is written after a failure
            return [*out, ChunkResult()]
        try:
            pending = write.begin([(b.path, b.data) for b in built.built])
        except OSError as exc:
            return [*out, ChunkResult(failure=Failure.of(exc), fallbacks=built.fallbacks)]
        if self._syncer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plea-sync")
        self._waiting = (built, pending, self._syncer.submit(write.durable, pending))
        return out

    def flush(self) -> list[ChunkResult]:
        """The chunk being made durable, once it is, under its final names (none waiting: [])."""
        if self._waiting is None:
            return []
        built, pending, synced = self._waiting
        self._waiting = None
        try:
            synced.result()
            shas = write.finish(pending)
        except OSError as exc:
            pending.abort()
            return [ChunkResult(failure=Failure.of(exc), fallbacks=built.fallbacks)]
        result = done_chunk(built.built, shas)
        result.fallbacks = built.fallbacks
        return [result]

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
            self._syncer = None


@dataclass
class BuiltChunk:
    built: list[Built] = field(default_factory=list)
    failure: Failure | None = None
    fallbacks: Counter[str] = field(default_factory=Counter)


def build_chunk(task: Task) -> BuiltChunk:
    """Render one chunk's files in memory (nothing written)."""
    out = BuiltChunk()
    try:
        out.built = _build_chunk(task, out.fallbacks)
    except (PleaError, OSError) as exc:
        out.failure = Failure.of(exc)
    return out


def write_chunk(built: list[Built]) -> ChunkResult:
    """Write a rendered chunk's files durably (plea.letters.write); on failure nothing stands
    under a final name."""
    try:
        shas = write_files([(b.path, b.data) for b in built])
    except OSError as exc:
        return ChunkResult(failure=Failure.of(exc))
    return done_chunk(built, shas)


def done_chunk(built: list[Built], shas: list[str]) -> ChunkResult:
    """The result of a chunk whose files stand under their final names."""
    return ChunkResult(
        [Done(b.case_id, b.mission_id, b.fmt, b.path, sha) for b, sha in zip(built, shas, strict=True)]
    )


def _build_chunk(task: Task, fallbacks: Counter[str]) -> list[Built]:
    from plea.render.blocks import to_text
    from plea.render.catalog import get_letter
    from plea.render.docx import docx_bytes, is_rtl, skeleton_for

    w = _worker()
    spec = get_letter(task.letter)
    letterhead = Path(task.letterhead) if task.letterhead else None
    files: list[tuple[TaskItem, str, str, bytes]] = []
    pdf_sources: list[tuple[TaskItem, str, bytes]] = []
    for it, md in zip(task.items, _markdowns(task, fallbacks), strict=True):
        lang = it.lang
        segments = w.parser.blocks(md)
        wanted = it.paths
        docx = None
        if "docx" in wanted or "pdf" in wanted:
            skeleton = skeleton_for(lang, paper=it.paper, letterhead=letterhead)
            blocks = [b for _, bs in segments for b in bs]
            docx = docx_bytes(
                blocks,
                subject=spec.subject(lang),
                lang=lang,
                skeleton=skeleton,
                pieces=w.pieces(segments, skeleton, is_rtl(lang)),
                reference=str(task.cases[it.case_id].get("ref", "")),
            )
        for fmt, path in wanted.items():
            if fmt == "docx":
                files.append((it, fmt, path, docx))  # type: ignore[arg-type]
            elif fmt == "pdf":
                pdf_sources.append((it, path, docx))  # type: ignore[arg-type]
            elif fmt == "md":
                files.append((it, fmt, path, md.encode("utf-8")))
            else:
                text = to_text([b for _, bs in segments for b in bs])
                files.append((it, fmt, path, text.encode("utf-8")))
    if pdf_sources:
        pdfs = to_pdf(
            [(_stem(p), data) for _, p, data in pdf_sources], Path(task.workdir), task.soffice or "soffice"
        )
        files += [(it, "pdf", p, _packet(task, it, pdfs[_stem(p)])) for it, p, _ in pdf_sources]
    return [Built(it.case_id, it.mission["id"], fmt, str(p), data) for it, fmt, p, data in files]


def _packet(task: Task, it: TaskItem, letter_pdf: bytes) -> bytes:
    """The letter's PDF, or with annexes its packet: the letter, then each annex, pages numbered across."""
    if not it.annexes:
        return letter_pdf
    from plea.letters.annex import packet

    return packet(letter_pdf, [task.annex_pdfs[d] for d in it.annexes])


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]
