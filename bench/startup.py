"""Start-up time of everyday commands, measured as whole processes.

Runs each command 20 times, interleaved (one round runs every command once, so load on the
machine hits all alike), and prints medians of wall-clock and CPU time (user + sys of the
process, steadier when other work shares the machine) and the ratios the project targets:
  plea --help            within 1.2x of a minimal two-command Typer app's --help
  plea --version         within 1.2x of  python -c "import typer"
  plea status            within 1.3x of  python -c "import typer, sqlmodel"   (10,000 letters)
  plea embassies list    within 1.3x of  python -c "import typer, sqlmodel"   (--host US)

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from fixtures import build_campaign_db

    work = Path(tempfile.mkdtemp(prefix="plea-bench-"))
    db = work / "plea.sqlite3"
    t0 = time.perf_counter()
    build_campaign_db(db, cases=50, letters_per_case=200)
    print(f"database: 50 cases x 200 letters = 10,000 letters, built in {time.perf_counter() - t0:.1f} s "
          f"({db.stat().st_size / 1e6:.1f} MB)")
    py = sys.executable
    plea = [py, "-m", "plea"]
    # as installed: modules run from cached bytecode (pip compiles it at install). This machine sets
    # PYTHONDONTWRITEBYTECODE, which would make every run compile plea's own modules from source
    # while typer and sqlmodel load theirs from site-packages; so every command here, the yardsticks
    # too, caches its bytecode in the work folder during the warm-up run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PLEA_HOME": str(work), "COLUMNS": "120", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    commands: dict[str, list[str]] = {
        "python -c pass": [py, "-c", "pass"],
        "import typer": [py, "-c", "import typer"],
        "import typer, sqlmodel": [py, "-c", "import typer, sqlmodel"],
        "minimal typer --help": [py, str(HERE / "minimal_app.py"), "--help"],
        "plea --help": [*plea, "--help"],
        "plea --version": [*plea, "--version"],
        "plea status": [*plea, "status"],
        "plea embassies list --host US": [*plea, "embassies", "list", "--host", "US"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    for name, cmd in commands.items():  # warm the caches, check they work
        subprocess.run(cmd, env=env, check=True, capture_output=True)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"\nmedian of {args.runs} runs (interleaved), load average {os.getloadavg()[0]:.2f} at the end:")
    print(f"  {'':<32} {'wall':>9} {'cpu':>9}")
    for k, v in med.items():
        print(f"  {k:<32} {v * 1000:6.1f} ms {med_cpu[k] * 1000:6.1f} ms")
    targets = [
        ("plea --help", "minimal typer --help", 1.2),
        ("plea --version", "import typer", 1.2),
        ("plea status", "import typer, sqlmodel", 1.3),
        ("plea embassies list --host US", "import typer, sqlmodel", 1.3),
    ]
    print("\nratios, wall-clock and CPU time (target):")
    ok = True
    for cmd, base, target in targets:
        ratio, ratio_cpu = med[cmd] / med[base], med_cpu[cmd] / med_cpu[base]
        ok &= ratio <= target
        print(f"  {cmd:<32} / {base:<24} = {ratio:4.2f} wall, {ratio_cpu:4.2f} cpu  (<= {target})  "
              f"{'ok' if ratio <= target else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
