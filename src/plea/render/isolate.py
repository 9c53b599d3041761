"""Rendering templates that did not ship with plea in a confined child process: letters
(`letters render`, `batch`), the sample letter (`templates preview`) and the checks (`templates
check`, `doctor`) alike.

The Jinja sandbox stops attribute tricks but not resource exhaustion: a template can loop
for hours without writing a byte. So templates from elsewhere render in a spawned child
(no inherited database connection) with limits on memory (RLIMIT_AS) and CPU time
(RLIMIT_CPU), and the parent kills it after a wall-clock timeout.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from plea.errors import TemplateProblem

MEMORY_BYTES = 1 << 30


def timeout_seconds() -> float:
    return float(os.environ.get("PLEA_RENDER_TIMEOUT", "60"))


def _limits(cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _render_in_child(letter: str, root: str, jobs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    from plea.errors import PleaError
    from plea.render.catalog import get_letter
    from plea.render.letter import render_markdown_for

    out = []
    try:
        spec = get_letter(letter, Path(root))
        for job in jobs:
            out.append(("ok", render_markdown_for(spec, job["lang"], case=SimpleNamespace(**job["case"]),
                                                   mission=SimpleNamespace(**job["mission"]), today=job["today"],
                                                   first_letter=job["first_letter"], response=job["response"],
                                                   root=Path(root))))
    except PleaError as exc:
        return [("error", str(exc))]
    except MemoryError:
        return [("error", "the template used more memory than allowed")]
    return out


def plain(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(obj, f, None) for f in fields}


def _preview_in_child(letter: str, lang: str, sending: str) -> list[tuple[str, str]]:
    from plea.errors import PleaError
    from plea.render.letter import preview

    try:
        r = preview(letter, lang, sending)
    except PleaError as exc:
        return [("error", str(exc))]
    except MemoryError:
        return [("error", "the template used more memory than allowed")]
    return [("ok", r.markdown)]


def _check_in_child() -> list[tuple[str, int, str, bool]]:
    from plea.render.check import check_templates

    try:
        return [(f.path, f.line, f.message, f.blocking) for f in check_templates()]
    except MemoryError:
        return [("templates", 1, "the templates used more memory than allowed", True)]


def preview_markdown(letter: str, lang: str, sending: str) -> str:
    """`templates preview` of templates from elsewhere: the sample letter's Markdown, rendered in
    the confined child, as `letters render` renders them."""
    (kind, md), = run_confined(_preview_in_child, letter, lang, sending)
    if kind == "error":
        raise TemplateProblem(md)
    return md


def check_findings() -> list[tuple[str, int, str, bool]]:
    """`templates check` and `doctor` on templates from elsewhere: the findings, from the confined
    child (a hostile template stops it: TemplateProblem)."""
    return run_confined(_check_in_child)


def render_many(letter: str, root: Path, jobs: list[dict[str, Any]]) -> list[str]:
    """Markdown for each job, rendered in a confined child; TemplateProblem on any failure."""
    results = run_confined(_render_in_child, letter, str(root), jobs)
    errors = [msg for kind, msg in results if kind == "error"]
    if errors:
        raise TemplateProblem(errors[0])
    return [md for _, md in results]


def _too_long(limit: float) -> TemplateProblem:
    return TemplateProblem(f"the template took longer than {limit:g} s to render and was stopped",
                           hint="a template from elsewhere may be hostile; nothing was written")


def run_confined(func: Any, *args: Any) -> Any:
    """func(*args) in a spawned child (no inherited database connection) under RLIMIT_AS and
    RLIMIT_CPU, killed after the wall-clock timeout; TemplateProblem if it is stopped."""
    import multiprocessing as mp
    import time

    limit = timeout_seconds()
    # The CPU limit is a backstop set past the wall-clock limit, so that a busy template meets the
    # wall clock first and is reported as such, even when a loaded machine wakes the parent late.
    executor = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"),
                                   initializer=_limits, initargs=(int(limit) + 3,))
    started = time.monotonic()
    try:
        future = executor.submit(func, *args)
        try:
            return future.result(timeout=limit)
        except FutureTimeout:
            raise _too_long(limit) from None
        except Exception as exc:  # the child died (CPU limit, memory): BrokenProcessPool
            if time.monotonic() - started >= limit:
                raise _too_long(limit) from None
            raise TemplateProblem(f"the template's rendering process was stopped ({exc.__class__.__name__}): it "
                                  "used too much time or memory", hint="nothing was written") from None
    finally:
        for proc in list(getattr(executor, "_processes", {}).values()):
            proc.kill()
        executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["render_many", "plain", "date"]
