"""Client import speed: `plea cases import` of 2,400, 24,000 and 96,000 rows into an empty campaign,
measured in the same run. The project's target: 24,000 rows take at most 12× the time of 2,400
(import grows linearly), and 96,000 rows finish.

Each size runs in a fresh PLEA_HOME (SQLite, the shipped embassies loaded by `plea init`), as a
subprocess of the installed `plea`; the sheet is made here: Latin and Cyrillic names, dates of
birth, a story, a family and authority ids, one client a row.

Usage: python bench/import_cases.py [--sizes 2400,24000,96000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST = ["Ivan", "Olga", "Pavel", "Maria", "Yaroslav", "Anna", "Dmitry", "Elena"]
NATIVE = ["Иван", "Ольга", "Павел", "Мария", "Ярослав", "Анна", "Дмитрий", "Елена"]
LAST = ["Petrov", "Ivanova", "Smirnov", "Kuznetsova", "Popov", "Volkova", "Sokolov", "Morozova"]
LAST_NATIVE = ["Петров", "Иванова", "Смирнов", "Кузнецова", "Попов", "Волкова", "Соколов", "Морозова"]


def sheet(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name_latin", "name_native", "nationality", "birth_date", "current_country", "situation",
                    "persecution", "family", "authority_ids"])
        for i in range(n):
            a, b = i % len(FIRST), (i // len(FIRST)) % len(LAST)
            w.writerow([f"{FIRST[a]} {LAST[b]} {i}", f"{NATIVE[a]} {LAST_NATIVE[b]} {i}", "RU",
                        f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}", "US", "detained",
                        "Arrested after a report on the protests; a criminal case was opened.",
                        f"Maria {LAST[b]};wife;1987-05-06", f"Passport=75 {i:07d}"])


def run(work: Path, n: int) -> float:
    home = work / f"home-{n}"
    env = {**os.environ, "PLEA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "plea", "init"], env=env, check=True, capture_output=True)
    path = work / f"clients-{n}.csv"
    sheet(path, n)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "plea", "cases", "import", str(path)], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2400,24000,96000")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        times = {}
        for n in sizes:
            times[n] = run(Path(tmp), n)
            print(f"{n:>7} rows: {times[n]:7.1f} s  ({n / times[n]:,.0f} rows/s)", flush=True)
    if 2400 in times and 24000 in times:
        ratio = times[24000] / times[2400]
        print(f"24,000 / 2,400 rows: {ratio:.1f}× the time (target: at most 12×) -> {'ok' if ratio <= 12 else 'FAIL'}")


if __name__ == "__main__":
    main()
