"""Reading a message with a long RFC 2047-encoded Subject: time and peak memory must grow at most
linearly with the header's size (issue 24: the standard library's default policy took 426 MB for
a 200 KB header and 5.5 GB for 840 KB).

For 50, 200 and 800 KB encoded headers it prints, measured in this one process:
  parse     plea.mail.parse.parse() of the whole message (caps raised to let it through)
  yardstick bytes.decode() of the same header bytes, then str.split() (a linear pass)
and the growth of parse from 50 to 800 KB against the 16x growth of the size. tracemalloc gives
the peak memory of Python allocations.

Usage: python bench/headers.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

WORD = "=?utf-8?B?0J/RgNC40LLQtdGCLCDQvNC40YA=?="  # "Привет, мир" encoded
SIZES_KB = (50, 200, 800)


def message(kb: int) -> bytes:
    words = []
    size = 0
    while size < kb * 1024:
        words.append(WORD)
        size += len(WORD) + 2
    head = "From: Consulat <consulat@example.org>\r\nMessage-ID: <bench@example.org>\r\n"
    return (head + "Subject: " + "\r\n ".join(words) + "\r\n\r\nBody.\r\n").encode()


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, int]:
    """Best wall time over runs (seconds) and the peak of Python allocations (bytes) of one run."""
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from plea.mail.headers import Limits
    from plea.mail.parse import parse

    limits = Limits(header=4 << 20, message=64 << 20)
    rows = []
    print(f"{'header':>8}  {'parse s':>9}  {'parse MB':>9}  {'yardstick s':>11}  {'yardstick MB':>12}")
    for kb in SIZES_KB:
        raw = message(kb)
        subject = parse(raw, limits).subject
        assert subject.startswith("Привет, мир") and len(subject) > kb * 200, "the header was not decoded"
        p_time, p_peak = measure(lambda raw=raw: parse(raw, limits), args.runs)
        y_time, y_peak = measure(lambda raw=raw: raw.decode("ascii").split(), args.runs)
        rows.append((kb, p_time, p_peak))
        print(f"{kb:>6}KB  {p_time:>9.4f}  {p_peak / 1e6:>9.1f}  {y_time:>11.4f}  {y_peak / 1e6:>12.1f}")
    (k0, t0, m0), (k1, t1, m1) = rows[0], rows[-1]
    print(f"growth {k0} → {k1} KB (size x{k1 // k0}): time x{t1 / t0:.1f}, peak memory x{m1 / m0:.1f}")
    linear = t1 / t0 <= 2 * (k1 / k0) and m1 / m0 <= 2 * (k1 / k0)
    print("at most linear: " + ("yes" if linear else "NO"))
    return 0 if linear else 1


if __name__ == "__main__":
    raise SystemExit(main())
