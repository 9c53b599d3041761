"""Runs tests with midnight inside them: a check for tests (and commands) that take "today" twice.

An opt-in pytest plugin, for a person hunting midnight failures; no test needs it. Under libfaketime
(preloaded, built with FAKE_SETTIME so that clock_settime moves the fake clock in every thread at
once), it sets the clock before each test so that midnight falls `--midnight-frac` of the way
through the test's setup and call, by the durations a `--midnight-record` run measured. Between
tests the clock is back on the day the run started (or `--midnight-day`, e.g. 2026-12-31 for a new
year), so module-level constants are taken on the day before. The clock runs at its real pace;
monotonic time is left alone (DONT_FAKE_MONOTONIC=1), so timeouts and sleeps are real.

    # libfaketime's C source comes with the PyPI package libfaketime (not a dependency of plea)
    pip download libfaketime --no-deps -d /tmp/lft && unzip -q /tmp/lft/libfaketime-*.whl -d /tmp/lft
    cd /tmp/lft/libfaketime/vendor/libfaketime/src && rm -f libfaketime.so.1 && make libfaketime.so.1 \\
        CFLAGS="-std=gnu99 -fPIC -DFAKE_INTERNAL_CALLS -DFAKE_SETTIME -DPREFIX='\\"/usr/local\\"' \\
                -DLIBDIRNAME='\\"/lib/faketime\\"' -D__EXTENSIONS__ -D_XOPEN_SOURCE=600"
    cd - && PYTHONPATH=$PWD/src python -m pytest -p tests.midnight --midnight-record /tmp/d.json \\
        --backend sqlite tests/cli/test_campaign.py
    LD_PRELOAD=/tmp/lft/libfaketime/vendor/libfaketime/src/libfaketime.so.1 DONT_FAKE_MONOTONIC=1 \\
        FAKETIME_CACHE_DURATION=1000000 FAKETIME=+0 PYTHONPATH=$PWD/src python -m pytest -p tests.midnight \\
        --midnight-durations /tmp/d.json --midnight-frac 0.5 --backend sqlite tests/cli/test_campaign.py

Run a few fractions (0, 0.25, 0.5, 0.75, 0.95): a test fails only when midnight falls between the
two readings of the clock it compares. The build leaves out libfaketime's pthread, sleep and timer
wrappers (they read the environment on every call, racing the tests' own setenv: segfaults), and
the long cache keeps libfaketime from reading FAKETIME again except when the clock is set."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

_durations: dict[str, float] = {}
_measured: dict[str, float] = {}
_clock = {"offset": 0.0, "base": 0.0}  # seconds the fake clock is ahead: now, and between tests


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("midnight", "midnight inside each test (tests/midnight.py)")
    group.addoption("--midnight-record", metavar="FILE", help="write each test's setup+call seconds to FILE")
    group.addoption(
        "--midnight-durations", metavar="FILE", help="the durations a --midnight-record run wrote"
    )
    group.addoption(
        "--midnight-frac", type=float, help="where midnight falls in each test: 0 (start) to 1 (end)"
    )
    group.addoption(
        "--midnight-day", metavar="YYYY-MM-DD", help="the day before the midnight (default: today)"
    )


def _real_now() -> float:
    return time.time() - _clock["offset"]


def _set(offset: float) -> None:
    """Move the fake clock (libfaketime's clock_settime sets its FAKETIME offset); subprocesses get the
    offset through FAKETIME in os.environ too."""
    time.clock_settime(time.CLOCK_REALTIME, _real_now() + offset)
    os.environ["FAKETIME"] = f"{offset:+.6f}"
    _clock["offset"] = offset


def _preloaded_with_settime() -> bool:
    """libfaketime is preloaded, and a build that takes clock_settime over: never the real clock."""
    libs = [p for p in os.environ.get("LD_PRELOAD", "").split(":") if "libfaketime" in p]
    return bool(libs) and all(Path(p).is_file() and b"clock_settime" in Path(p).read_bytes() for p in libs)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("midnight_durations"):
        _durations.update(json.loads(Path(config.getoption("midnight_durations")).read_text()))
    if config.getoption("midnight_frac") is None:
        return
    if not _preloaded_with_settime():
        raise pytest.UsageError(
            "--midnight-frac: run under libfaketime built with FAKE_SETTIME (tests/midnight.py)"
        )
    day = config.getoption("midnight_day")
    if day:
        real = datetime.fromtimestamp(_real_now(), UTC).date()
        _clock["base"] = (date.fromisoformat(day) - real).days * 86400.0
        _set(_clock["base"])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
    frac = item.config.getoption("midnight_frac")
    if frac is not None:
        real = _real_now()
        day = datetime.fromtimestamp(real + _clock["base"], UTC).date()
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
        _set(midnight - frac * _durations.get(item.nodeid, 1.0) - real)
    yield
    if frac is not None:
        _set(_clock["base"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    yield
    _measured[item.nodeid] = time.monotonic() - start


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    yield
    _measured[item.nodeid] = _measured.get(item.nodeid, 0.0) + time.monotonic() - start


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = session.config.getoption("midnight_record")
    if out:
        path = Path(out)
        known = json.loads(path.read_text()) if path.is_file() else {}
        path.write_text(json.dumps({**known, **_measured}, indent=0))
