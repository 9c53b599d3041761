"""Reports over a big campaign, measured as whole commands.

Builds a database with 1,000,000 letters (5,000 cases x 200 states, one mission per state,
sending dates spread over a year, about one answer in six), then times
  plea status CASE                     target < 1 s
  plea report --all --format json      target < 1 s
as whole processes (start-up included), and prints the medians with the database's size.
With --more, also (untargeted, fewer runs) plea status (every open case), plea report --case,
and plea report --all as a table, CSV and HTML.

Usage: python bench/report.py [--cases N] [--states N] [--runs N] [--keep DIR] [--more]
  --keep DIR  build the database in DIR and reuse it on later runs (building takes minutes;
              opening a database built by an older plea migrates it once, before the timings)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float, bytes]:
    """(median wall seconds, median CPU seconds of the child, last stdout)."""
    walls, cpus, out = [], [], b""
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        r = subprocess.run(cmd, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = os.times()
        used = after.children_user - before.children_user + after.children_system - before.children_system
        cpus.append(used)
        out = r.stdout
    return statistics.median(walls), statistics.median(cpus), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="folder to build the database in and reuse")
    parser.add_argument("--more", action="store_true", help="also time other status and report commands")
    args = parser.parse_args()
    from fixtures import build_campaign_db

    work = args.keep or Path(tempfile.mkdtemp(prefix="plea-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "plea.sqlite3"
    stamp = work / "built.json"
    wanted = {"cases": args.cases, "states": args.states}
    if not (db.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted):
        t0 = time.perf_counter()
        build_campaign_db(db, cases=args.cases, letters_per_case=args.states, per_state=True, varied=True)
        stamp.write_text(json.dumps(wanted))
        print(f"built in {time.perf_counter() - t0:.0f} s")
    letters = args.cases * args.states
    print(f"database: {args.cases:,} cases x {args.states} states = {letters:,} letters, "
          f"{db.stat().st_size / 1e6:.0f} MB ({db})")
    # as installed, from cached bytecode: this machine sets PYTHONDONTWRITEBYTECODE, which would
    # make every run compile plea's modules (see bench/startup.py); cached by the warm-up runs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PLEA_HOME": str(work), "COLUMNS": "120", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    env.pop("PLEA_DATABASE_URL", None)
    plea = [sys.executable, "-m", "plea"]
    case = f"PLEA-2026-{args.cases // 2:04d}"
    commands = {
        "python -c 'import typer, sqlmodel'": [sys.executable, "-c", "import typer, sqlmodel"],
        f"plea status {case}": [*plea, "status", case],
        "plea report --all --format json": [*plea, "report", "--all", "--format", "json"],
    }
    results = {}
    t0 = time.perf_counter()
    subprocess.run([*plea, "db", "status"], env=env, check=True, capture_output=True)  # migrates if needed
    print(f"first open (migrations, if any): {time.perf_counter() - t0:.1f} s")
    for name, cmd in commands.items():
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # warm the page cache
        wall, cpu, out = timed(cmd, env, args.runs)
        results[name] = wall
        print(f"{name:<40} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (median of {args.runs})")
        if "report" in name:
            totals = json.loads(out)["totals"]
            print(f"{'':<40} report: {totals['appeals']:,} appeals, {totals['answered']:,} answered, "
                  f"{totals['states_written']} states")
    if args.more:
        html = work / "report.html"
        more = {
            "plea status (every open case)": [*plea, "status"],
            f"plea report --case {case} --format json": [*plea, "report", "--case", case, "--format", "json"],
            "plea report --all (table)": [*plea, "report", "--all"],
            "plea report --all --format csv": [*plea, "report", "--all", "--format", "csv"],
            "plea report --all --format html --out": [
                *plea, "report", "--all", "--format", "html", "--out", str(html), "--force"],
        }
        runs = max(1, args.runs // 2)
        for name, cmd in more.items():
            wall, cpu, _out = timed(cmd, env, runs)
            print(f"{name:<40} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (median of {runs})")
    for name in list(commands)[1:]:
        verdict = "ok" if results[name] < 1.0 else "over the 1 s target"
        print(f"target < 1 s: {name}: {results[name]:.2f} s {verdict}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
