"""A closed stdout pipe (`plea … | head -1`, a pager quit early) ends a command quietly: exit 0,
nothing on stderr (issue 25, Deliver 7). Real pipes, real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MISSION = "Q2841718"  # a shipped mission (the embassy of Australia in Washington)


def _env(db_file, plea_home: Path) -> dict[str, str]:
    env = db_file.env(plea_home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head")
@pytest.mark.parametrize("args", [["embassies", "list"], ["embassies", "list", "--json"],
                                  ["embassies", "show", MISSION]])
def test_piped_into_head_exits_quietly(db_file, plea_home: Path, args: list[str]) -> None:
    with subprocess.Popen([sys.executable, "-m", "plea", *args], env=_env(db_file, plea_home),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as plea:
        head = subprocess.run(["head", "-1"], stdin=plea.stdout, capture_output=True, timeout=120)
        plea.stdout.close()  # type: ignore[union-attr]  # head held the only other reading end
        err = plea.stderr.read()  # type: ignore[union-attr]
        assert plea.wait(timeout=120) == 0 and err == b""
    assert head.returncode == 0 and len(head.stdout.splitlines()) == 1 and head.stdout.strip()


@pytest.mark.parametrize("args", [["embassies", "list"], ["embassies", "show", MISSION],
                                  ["embassies", "show", MISSION, "--json"], ["status"], ["--help"],
                                  ["--version"]])
def test_a_pipe_closed_before_any_output_is_not_an_error(db_file, plea_home: Path, args: list[str]) -> None:
    """The reader is gone before plea writes its first byte: every write fails, and plea still
    stops quietly (the small outputs `head` could let through whole are covered here)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run([sys.executable, "-m", "plea", *args], env=_env(db_file, plea_home),
                           stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert (r.returncode, r.stderr) == (0, b"")
