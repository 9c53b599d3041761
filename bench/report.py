"""Reports over a big campaign, measured as whole commands.

Builds a database with 1,000,000 letters (5,000 cases x 200 states, one mission per state,
sending dates spread over a year, about one answer in six), then times
  plea status CASE                     target < 1 s
  plea status (every open case)        target < 1 s
  plea report --all --format json      target < 1 s
as whole processes (start-up included), and prints the medians with the database's size.
With --more, also (untargeted, fewer runs) plea report --case, and plea report --all as a
table, CSV and HTML.

Usage: python bench/report.py [--backend sqlite|postgresql] [--cases N] [--states N] [--runs N]
                              [--keep DIR] [--more]
  --backend postgresql  the same on a throwaway local PostgreSQL server, started as the tests
              start theirs (tests/pg_server.py: initdb + pg_ctl on a loopback port, as `postgres`
              when root), with the same targets; the database is built anew each run
  --keep DIR  build the SQLite database in DIR and reuse it on later runs (building takes
              minutes; opening a database built by an older plea migrates it once, before the
              timings)
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
sys.path.insert(1, str(HERE.parent))  # tests.pg_server


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
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="folder to build the database in and reuse")
    parser.add_argument("--more", action="store_true", help="also time other report commands")
    args = parser.parse_args()
    if args.backend == "postgresql":
        from tests.pg_server import PostgresServer, why_unavailable

        reason = why_unavailable()
        if reason:
            raise SystemExit(f"no PostgreSQL here: {reason}")
        server = PostgresServer()
        try:
            server.start()
            return measure(args, server.create_database())
        finally:
            server.stop()
    return measure(args, None)


def build(args: argparse.Namespace, work: Path, url: str | None) -> str:
    """Builds the database (SQLite: reused when --keep holds one of the same size); says its size."""
    from fixtures import build_campaign_db

    db = work / "plea.sqlite3"
    stamp = work / "built.json"
    wanted = {"cases": args.cases, "states": args.states}
    if url is not None or not (db.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted):
        t0 = time.perf_counter()
        build_campaign_db(db, cases=args.cases, letters_per_case=args.states, per_state=True, varied=True,
                          url=url)
        if url is None:
            stamp.write_text(json.dumps(wanted))
        print(f"built in {time.perf_counter() - t0:.0f} s")
    if url is None:
        return f"{db.stat().st_size / 1e6:.0f} MB ({db})"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return f"{size / 1e6:.0f} MB (PostgreSQL {url.rsplit('@', 1)[1]})"


def measure(args: argparse.Namespace, url: str | None) -> int:
    """Times the commands on the database (SQLite in the work folder, or PostgreSQL at url)."""
    work = args.keep if args.keep and url is None else Path(tempfile.mkdtemp(prefix="plea-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    where = build(args, work, url)
    letters = args.cases * args.states
    print(f"database: {args.cases:,} cases x {args.states} states = {letters:,} letters, {where}")
    # as installed, from cached bytecode: this machine sets PYTHONDONTWRITEBYTECODE, which would
    # make every run compile plea's modules (see bench/startup.py); cached by the warm-up runs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PLEA_HOME": str(work), "COLUMNS": "120", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    env.pop("PLEA_DATABASE_URL", None)
    if url is not None:
        env["PLEA_DATABASE_URL"] = url
    plea = [sys.executable, "-m", "plea"]
    case = f"PLEA-2026-{args.cases // 2:04d}"
    commands = {
        "python -c 'import typer, sqlmodel'": [sys.executable, "-c", "import typer, sqlmodel"],
        f"plea status {case}": [*plea, "status", case],
        "plea status (every open case)": [*plea, "status"],
        "plea report --all --format json": [*plea, "report", "--all", "--format", "json"],
    }
    print(f"backend: {args.backend}; load average before measuring: {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPU(s)")
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
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    for name in list(commands)[1:]:
        verdict = "ok" if results[name] < 1.0 else "over the 1 s target"
        if results[name] >= 1.0 and load > cpus:  # other work has the CPUs: compare with the baseline
            verdict += f" (at load {load:.1f} on {cpus} CPUs; baseline {results[list(commands)[0]]:.2f} s)"
        print(f"target < 1 s: {name}: {results[name]:.2f} s {verdict}")
    print(f"load average while measuring: {load:.1f} on {cpus} CPU(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
