"""How a batch's chunks are shared among its workers: each client goes to one worker (the one
that checked it, and holds its case-level parts), and a worker whose own clients are done takes
the last chunks of another's."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future
from typing import Any

import pytest

from plea.letters import work, workers
from plea.letters.work import ChunkResult


def test_shards_are_consecutive_clients_of_near_equal_size() -> None:
    refs = [f"PLEA-2026-{n:04d}" for n in (3, 1, 2, 5, 4, 1, 3)]
    assert workers.shards(refs, 2) == [
        ["PLEA-2026-0001", "PLEA-2026-0002", "PLEA-2026-0003"],
        ["PLEA-2026-0004", "PLEA-2026-0005"],
    ]
    assert workers.shards(refs[:1], 4) == [["PLEA-2026-0003"]]  # never an empty shard
    assert workers.shards(refs, 1) == [sorted(set(refs))]
    assert workers.shards([], 2) == []


class FakePool:
    """Workers that render each chunk at once and, like the real ones (plea.letters.work.render_chunk),
    return its result with their next call, or when asked for their last (flush_chunks); noting
    which worker got which chunk. A result names its chunk (in its fallbacks), so that the test
    sees each result handed back with its own chunk."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.got: list[tuple[int, str]] = []
        self.held: dict[int, str] = {}  # worker → the chunk it is making durable
        self.flushes = 0

    def __len__(self) -> int:
        return self.n

    def submit(self, worker: int, fn: Any, *args: Any) -> Future[list[ChunkResult]]:
        held = self.held.pop(worker, None)
        out = [ChunkResult(fallbacks=Counter({held: 1}))] if held is not None else []
        if fn is work.flush_chunks:
            self.flushes += 1
        else:
            assert fn is work.render_chunk
            self.got.append((worker, args[0]))
            self.held[worker] = args[0]
        future: Future[list[ChunkResult]] = Future()
        future.set_result(out)
        return future


def run(pool: FakePool, own: list[list[str]], stop_after: int | None = None) -> list[str]:
    handled: list[str] = []

    def handle(part: list[str], chunk: ChunkResult) -> None:
        assert list(chunk.fallbacks) == part  # the result of this very chunk
        handled.append(part[0])

    parallel_parts = [[[p] for p in parts] for parts in own]  # a chunk: a list of one "item"
    workers.parallel(
        pool,  # type: ignore[arg-type]
        parallel_parts,  # type: ignore[arg-type]
        lambda part: part[0],  # the task: the chunk's name
        handle,
        lambda: stop_after is not None and len(handled) >= stop_after,
    )
    assert not pool.held  # every worker's last chunk was asked for
    return handled


def test_each_worker_renders_its_own_clients_then_takes_the_end_of_another() -> None:
    pool = FakePool(2)
    own = [["a1", "a2", "a3", "a4", "a5", "a6"], ["b1", "b2"]]
    handled = run(pool, own)
    assert sorted(handled) == sorted(own[0] + own[1])  # each chunk once
    by_worker = {w: [t for v, t in pool.got if v == w] for w in (0, 1)}
    assert by_worker[0] == ["a1", "a2", "a3", "a4"]  # its own, in order
    assert by_worker[1] == ["b1", "b2", "a6", "a5"]  # then worker 0's, from the end


def test_a_worker_without_clients_of_its_own_shares_the_only_client_from_the_other_end() -> None:
    pool = FakePool(2)
    handled = run(pool, [["c1", "c2", "c3", "c4", "c5"]])
    assert sorted(handled) == ["c1", "c2", "c3", "c4", "c5"]
    assert [t for w, t in pool.got if w == 0] == ["c1", "c2", "c3"]
    assert [t for w, t in pool.got if w == 1] == ["c5", "c4"]


def test_nothing_more_is_started_once_a_failure_asks_to_stop() -> None:
    pool = FakePool(2)
    handled = run(pool, [["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]], stop_after=1)
    assert len(pool.got) == 4  # two in flight per worker when the first result came back
    assert sorted(handled) == sorted(t for _, t in pool.got)  # what was in flight is still recorded


@pytest.mark.parametrize("n", [1, 2, 3])
def test_workers_are_started_at_once_and_shut_down(n: int) -> None:
    pool = workers.start_pool(n, (None,), fork=False)
    try:
        assert len(pool) == n and pool.method == "spawn"
        assert [pool.submit(k, abs, -k).result() for k in range(n)] == list(range(n))
    finally:
        pool.shutdown()
