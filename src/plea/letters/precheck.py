"""The check before a batch writes anything: one letter per client and language rendered in
memory, so that a template problem stops the batch before its first file, naming the first
client and language in the plan's order that fails.

With workers (`plea batch --jobs N`) each checks the clients whose letters it renders first (their
case-level parts are then ready there: plea.letters.fast). Checking each client while the plan
was still being made, as soon as it was planned, was tried and measured no faster on two cores
(bench/batch.py): the workers' checks slowed the planning as much as they saved after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from plea.letters.work import Failure, Task, TaskItem, check_chunk
from plea.letters.workers import shards, worker_died

if TYPE_CHECKING:  # the plan brings the database layer
    from plea.letters.plan import Item, Plan


def firsts(items: Iterable[Item]) -> list[Item]:
    """The first letter of each client and language, in the plan's order (client, language)."""
    seen: dict[tuple[int, str], Item] = {}
    for item in items:
        seen.setdefault((item.case_id, item.lang), item)
    return sorted(seen.values(), key=lambda i: (i.ref, i.lang))


def precheck(
    plan: Plan,
    cases: dict[int, dict[str, Any]],
    *,
    root: str | None,
    today: date,
    pool: Any = None,
    only: set[int] | None = None,
) -> None:
    """Check the letters the plan renders (of the clients in `only`, if given), here or split
    between the workers by client (shards), and raise the first failure in the plan's order."""
    items = firsts(i for i in plan.todo if only is None or i.case_id in only)
    if not items:
        return
    tasks = []
    # consecutive clients in each part: the first error found is the first in the plan's order
    for mine in shards([i.ref for i in items], len(pool) if pool is not None else 1):
        refs = set(mine)
        part = [i for i in items if i.ref in refs]
        checked = {i.case_id: cases[i.case_id] for i in part}
        letters = [TaskItem.of(i, plan.missions[i.mission_id]) for i in part]
        tasks.append(Task(plan.spec.name, root, today, None, [], checked, letters, ""))
    if pool is None:
        results = [check_chunk(t) for t in tasks]
    else:
        try:
            results = [f.result() for f in [pool.submit(n, check_chunk, t) for n, t in enumerate(tasks)]]
        except Exception as exc:  # a worker died (killed, out of memory)
            raise Failure("ExternalProblem", worker_died(exc)).error(resume=None) from None
    failure = next((r.failure for r in results if r.failure is not None), None)
    if failure is not None:
        raise failure.error(resume=None)
