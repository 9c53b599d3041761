"""The worker processes of a batch: started early (they warm up while this process plans),
forked or spawned, and fed chunks two at a time each (parallel). Without workers, the chunks are
rendered in this process, each made durable while the next one renders (pipelined)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plea.errors import PleaError
from plea.letters.work import (
    ChunkResult,
    Failure,
    Pipeline,
    Task,
    build_chunk,
    flush_chunks,
    render_chunk,
    warm_up,
)

if TYPE_CHECKING:  # the plan brings the database layer, which a worker does without
    from plea.letters.plan import Item, Plan


@contextmanager
def early_workers(
    workers: int,
    letter: str,
    *,
    formats: list[str] | None = None,
    paper: str | None = None,
    hosts: list[str] | None = None,
    letterhead: Path | None = None,
    fork: bool = False,
) -> Iterator[Any]:
    """The workers for a batch of `letter` (none if workers < 1), started before the plan is
    made: while this process plans (a good part of a batch's time), each prepares the letter's
    templates in every language and the styled skeletons for the paper of its letters (`paper`,
    else that of each of the `hosts`, else either). `fork`: the caller
    has no database open, so they may be forked (see start_pool); they load the renderer
    (python-docx) themselves, while this process, which never needs it, loads the database
    layer. Hand them to execute(); they are shut down when the block ends, whatever happens."""
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
            from plea.render.paper import paper_for_host

            papers = [paper] if paper else sorted({paper_for_host(h) for h in hosts or []}) or ["a4", "letter"]
            shapes = [(lang, p) for lang in spec.langs for p in papers]
            # a letterhead's skeletons are made from the copy execute() hashes, not warmed here
            docx = letterhead is None and any(f in (formats or ["docx"]) for f in ("docx", "pdf"))
            warm = (letter, root, shapes, None, docx)
    pool = start_pool(workers, warm, fork=fork) if workers > 0 else None
    try:
        yield pool
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def pool_for(workers: int, plan: Plan, root: str | None, letterhead: str | None) -> Workers:
    """Workers warming up what the plan needs (templates, styled skeletons) as soon as they start."""
    shapes = sorted({(i.lang, i.paper) for i in plan.todo})
    docx = any(f in plan.formats for f in ("docx", "pdf"))
    return start_pool(workers, (plan.spec.name, root, shapes, letterhead, docx))


def start_pool(workers: int, warm: tuple[Any, ...], *, fork: bool = False) -> Workers:
    """`workers` worker processes, each running warm_up(*warm) first, all started now (a pool
    otherwise starts its processes only as work arrives). Spawned (a fresh interpreter: no
    database connection crosses into them), or with `fork` (the caller has opened no database)
    forked where that is safe: on Linux, from a process with no other thread; a forked worker
    has this process's modules already loaded."""
    import multiprocessing as mp
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor

    forking = fork and sys.platform == "linux" and threading.active_count() == 1
    context = mp.get_context("fork" if forking else "spawn")
    pools = [
        ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=warm_up, initargs=warm)
        for _ in range(workers)
    ]
    for pool in pools:
        pool.submit(int)
    return Workers(pools, context.get_start_method())


class Workers:
    """The worker processes of a batch, each a pool of one, so that work goes to the worker
    chosen for it: the one that checked a client renders that client's letters, with the
    case-level parts (plea.letters.fast) it prepared then (bench/batch.py: each worker otherwise
    prepares every client's)."""

    def __init__(self, pools: list[Any], method: str) -> None:
        self.pools = pools
        self.method = method  # "fork" or "spawn"

    def __len__(self) -> int:
        return len(self.pools)

    def submit(self, worker: int, fn: Callable[..., Any], *args: Any) -> Any:
        return self.pools[worker].submit(fn, *args)

    def shutdown(self, *, wait: bool = True, cancel_futures: bool = False) -> None:
        for pool in self.pools:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def shards(refs: list[str], parts: int) -> list[list[str]]:
    """The clients (sorted) in at most `parts` consecutive groups of near-equal size, one per
    worker: the clients it checks, then renders first."""
    refs = sorted(set(refs))
    parts = max(1, min(parts, len(refs)))
    size = -(-len(refs) // parts)
    return [refs[n * size : (n + 1) * size] for n in range(parts) if refs[n * size : (n + 1) * size]]


def parallel(
    pool: Workers,
    own: list[list[list[Item]]],
    task: Callable[[list[Item]], Task],
    handle: Callable[..., None],
    stop: Callable[[], bool],
) -> None:
    """Each worker's chunks (own[n]: its clients' letters, in chunks; see shards), two calls in
    flight per worker (memory stays flat, and none waits for the next). A worker whose own are
    done takes another's from the end, where its owner comes last. Each worker makes a chunk
    durable while it renders the next (render_chunk): a call returns the results of its chunks
    that are now whole, oldest first, and a worker with nothing more to render is asked for its
    last (flush_chunks). This process records results as they come (rendering here as well was
    measured no faster on two cores: it delays the recording). After a failure, what is in
    flight finishes and is recorded."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, wait

    queues = [deque(parts) for parts in own]
    sent: list[deque[list[Item]]] = [deque() for _ in range(len(pool))]  # each worker's chunks, no result yet
    calls: list[deque[Any]] = [deque() for _ in range(len(pool))]  # each worker's calls in flight, in order

    def take(worker: int) -> list[Item] | None:
        if stop():
            return None
        mine = queues[worker] if worker < len(queues) else None
        if mine:
            return mine.popleft()
        others = [q for q in queues if q]
        return max(others, key=len).pop() if others else None

    while True:
        for worker in range(len(pool)):
            while len(calls[worker]) < 2 and (part := take(worker)) is not None:
                calls[worker].append(pool.submit(worker, render_chunk, task(part)))
                sent[worker].append(part)
            if not calls[worker] and sent[worker]:  # nothing more for it: its last chunk, once durable
                calls[worker].append(pool.submit(worker, flush_chunks))
        if not any(calls):
            return
        wait([c for mine in calls for c in mine], return_when=FIRST_COMPLETED)
        for worker, mine in enumerate(calls):
            while mine and mine[0].done():  # a worker's calls end in the order they were made
                _handed(mine.popleft(), sent[worker], handle)


def _handed(call: Any, sent: Any, handle: Callable[..., None]) -> None:
    """Hand each result of a worker's call to `handle` with its chunk (the oldest sent); a worker
    that died (killed, out of memory) loses the chunks it held: the first is reported."""
    try:
        results = call.result()
    except Exception as exc:
        if sent:
            lost = sent.popleft()
            sent.clear()
            handle(lost, ChunkResult(failure=Failure("ExternalProblem", worker_died(exc))))
        return
    for chunk in results:
        handle(sent.popleft(), chunk)


def pipelined(
    chunks: Iterator[tuple[list[Item], Task]],
    handle: Callable[..., None],
    stop: Callable[[], bool],
) -> None:
    """The chunks rendered and written in this process, one after another, each made durable
    while the next one renders (plea.letters.work.Pipeline). Results are handled in order, each
    once its files stand under their final names; nothing more is started after a failure."""
    from collections import deque

    line = Pipeline()
    sent: deque[list[Item]] = deque()
    try:
        for part, task in chunks:
            built = build_chunk(task)
            sent.append(part)
            for chunk in line.add(built):
                handle(sent.popleft(), chunk)
            if stop() or built.failure is not None:
                break
        for chunk in line.flush():
            handle(sent.popleft(), chunk)
    finally:
        line.close()


def worker_died(exc: BaseException) -> str:
    return f"a worker process failed ({exc.__class__.__name__})"
