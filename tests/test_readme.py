"""The README walk-through: the shell commands of its "Quick start" and "For lawyers" blocks run in
order, as they are written, on a fresh PLEA_HOME, and each exits 0 (issue 25). The README's text
is read at test time, so any drift between it and plea fails here.

What is not run, and why, is listed by `skip_reason`; what is adapted, by `adapt`:
- `pip …` lines (plea is this source tree, on PYTHONPATH);
- `plea send` without `--dry-run` (it would email embassies);
- `plea embassies refresh` and `plea inbox fetch` (they need the internet);
- `plea config password` (it prompts for a secret);
- the example reference PLEA-2026-0001 becomes the one `plea cases add` printed (a case added in
  another year is PLEA-<year>-0001);
- without LibreOffice, `--format docx,pdf` loses `pdf` (PDF is tested by the soffice tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.dbcheck import PleaDB

README = REPO / "README.md"
EXAMPLE_REF = "PLEA-2026-0001"
SKIPS = {
    r"^pip\b": "installs plea: the test runs this source tree",
    r"^plea send\b(?!.*--dry-run)": "sends email to embassies (only --dry-run is run)",
    r"^plea embassies refresh\b": "asks Wikidata: needs the internet",
    r"^plea inbox fetch\b": "reads a mailbox: needs the internet",
    r"^plea config password\b": "prompts for a password",
}


def sh_blocks(text: str) -> dict[str, list[str]]:
    """Heading → the ```sh blocks under it (the heading's text, without #)."""
    out: dict[str, list[str]] = {}
    heading = ""
    for m in re.finditer(r"^(#{1,4}) ([^\n]+)$|^```sh\n(.*?)^```$", text, re.M | re.S):
        if m.group(1):
            heading = m.group(2).strip()
        else:
            out.setdefault(heading, []).append(m.group(3))
    return out


def commands(block: str) -> list[str]:
    """A block's commands: comment lines dropped, `\\` continuations joined, a here-document kept
    with its command (up to its end word)."""
    out: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        heredoc = re.search(r"<<-?'?(\w+)'?", line)
        if heredoc:
            body = []
            while i < len(lines) and lines[i] != heredoc.group(1):
                body.append(lines[i])
                i += 1
            i += 1
            line = "\n".join([line, *body, heredoc.group(1)])
        out.append(line)
    return out


def skip_reason(command: str) -> str | None:
    return next((why for pattern, why in SKIPS.items() if re.search(pattern, command)), None)


def adapt(command: str, ref: str | None, notes: list[str]) -> str:
    if ref and EXAMPLE_REF in command and ref != EXAMPLE_REF:
        command = command.replace(EXAMPLE_REF, ref)
    if "pdf" in command and not (shutil.which("soffice") or os.environ.get("PLEA_SOFFICE")):
        notes.append(f"without LibreOffice, without pdf: {command}")
        command = command.replace(",pdf", "").replace("pdf,", "")
    return command


class Walk:
    """Runs commands with bash in a work folder; `plea` there is this tree's plea."""

    def __init__(self, tmp: Path, db: PleaDB) -> None:
        self.cwd = tmp / "work"
        self.cwd.mkdir()
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "plea"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m plea "$@"\n')
        shim.chmod(0o755)
        self.env = db.env(tmp / "fresh-home")
        source = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
        path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        self.env.update(PATH=path, PLEA_ACTOR="readme", PYTHONPATH=source)
        self.ref: str | None = None
        self.skipped: list[str] = []
        self.adapted: list[str] = []

    def run(self, block: str) -> list[tuple[str, str]]:
        """Run a block's commands in order; (command, stdout) of those that ran."""
        outputs = []
        for command in commands(block):
            why = skip_reason(command)
            if why:
                self.skipped.append(f"{command.splitlines()[0]}: {why}")
                continue
            command = adapt(command, self.ref, self.adapted)
            r = subprocess.run(["bash", "-c", command], cwd=self.cwd, env=self.env, capture_output=True,
                               text=True, stdin=subprocess.DEVNULL, timeout=900)
            assert r.returncode == 0, f"README command failed ({r.returncode}): {command}\n{r.stderr}"
            if command.startswith("plea cases add"):
                self.ref = r.stdout.strip()
            outputs.append((command, r.stdout))
        return outputs


@pytest.fixture
def walk(empty_db: PleaDB, tmp_path: Path) -> Walk:
    return Walk(tmp_path, empty_db)


def test_readme_names_the_blocks_this_test_runs() -> None:
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks["Quick start: your own case"]) == 1
    assert len(blocks["For lawyers: batches"]) == 1
    first = commands(blocks["Quick start: your own case"][0])
    assert [skip_reason(c) for c in first].count(None) == len(first) - 1  # only `pip install .`


def test_quick_start_runs_as_written(walk: Walk) -> None:
    (block,) = sh_blocks(README.read_text(encoding="utf-8"))["Quick start: your own case"]
    outputs = walk.run(block)
    assert walk.skipped == ["pip install .: installs plea: the test runs this source tree"]
    assert re.fullmatch(r"PLEA-\d{4}-0001", walk.ref or "")
    work = walk.cwd
    assert sorted(p.suffix for p in (work / "letters").iterdir() if walk.ref in p.name) and any(
        p.name.endswith("_FR-US_humanitarian-visa_fr.docx") for p in (work / "letters").iterdir())
    out = {c.split("  #")[0].strip(): o for c, o in outputs}
    status = out[f"plea status {walk.ref}"]
    assert "France (FR)" in status and "positive" in status
    assert out[f"plea history {walk.ref}"].startswith(f"History of {walk.ref}")


@pytest.mark.soffice  # the block's batch writes PDFs: out of the fast tier (no LibreOffice there)
def test_lawyers_block_runs_as_written(walk: Walk, backend: str) -> None:
    if backend == "postgresql":  # batches on PostgreSQL: tests/cli/test_batch*.py
        pytest.skip("504 letters with PDF take two minutes: the walk-through runs on SQLite")
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    walk.run("plea init\n")
    (block,) = blocks["For lawyers: batches"]
    outputs = walk.run(block)
    assert walk.skipped == []
    refs = next(o for c, o in outputs if c.startswith("plea cases import clients.csv  ")).split()
    assert len(refs) == 3 and all(re.fullmatch(r"PLEA-\d{4}-000\d", r) for r in refs)
    batch = walk.cwd / "batch"
    assert (batch / "manifest.csv").is_file()
    assert sorted(p.name for p in batch.glob("*.zip")) == sorted(f"{r}.zip" for r in refs)
