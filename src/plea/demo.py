"""`plea demo`: the whole path on a throwaway database with a fictional case.

One case; a letter to every mission in Washington DC, each in its language; all marked
sent 25 days ago; France answers positively, Germany acknowledges; then the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from plea.db.engine import open_database
from plea.fileio import private_folder

HOST = "US"


@dataclass
class DemoResult:
    db_path: Path
    letters_dir: Path
    ref: str
    letters: int
    held_back: list[Any]  # plea.recipients.Held: the case's threat state and its cautioned states


def new_folder(base: Path) -> Path:
    """./plea-demo, or ./plea-demo-2, -3 … if that exists: running the demo twice keeps both."""
    candidate, n = base / "plea-demo", 1
    while candidate.exists():
        n += 1
        candidate = base / f"plea-demo-{n}"
    return candidate


def check_keep(folder: Path) -> None:
    """--keep DIR takes an empty or new folder (a demo never mixes with other files)."""
    from plea.errors import Conflict, InvalidInput

    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"--keep: {folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise Conflict(f"--keep: {folder} is not empty", hint="choose a new or empty folder")


def run_demo(folder: Path, *, today: date, actor: str = "plea demo", progress=None) -> DemoResult:  # type: ignore[no-untyped-def]
    from plea import campaign
    from plea.cases import create_case
    from plea.directory.importing import load_shipped
    from plea.letters.choose import Planned, choose
    from plea.letters.plan import plan_case
    from plea.letters.run import write_case
    from plea.sample import SAMPLE_CASE

    private_folder(folder)  # a plea folder (its database, its letters) is private, as plea doctor checks
    db_path = folder / "plea.sqlite3"  # as in any plea folder: PLEA_HOME=folder opens it
    db = open_database(f"sqlite:///{db_path}", create=True)
    sent_on = today - timedelta(days=25)
    letters_dir = folder / "letters"
    try:
        with db.transaction() as s:
            load_shipped(s, actor=actor)
            case = create_case(s, dict(SAMPLE_CASE), actor=actor, today=today)
        with db.transaction() as s:
            case, spec, picked = choose(s, case.ref, letter="humanitarian-visa", to="all", host=HOST,
                                        today=today)
            plan = plan_case(s, case, spec, [Planned(r) for r in picked.found], out_dir=letters_dir,
                             formats=["docx"], paper=None, letterhead=None)
            write_case(s, plan, actor=actor, today=sent_on, progress=progress)
        with db.transaction() as s:
            # posted in the story: the shipped directory has no postal addresses, hence force
            campaign.mark_sent(s, case, to="all", on=sent_on, via="post", actor=actor, today=today,
                               force=True)
            campaign.log_response(s, case, "FR", on=today - timedelta(days=10), outcome="positive",
                                  summary="Invited to apply for a humanitarian visa (fictional demo answer).",
                                  channel="email", actor=actor, today=today)
            campaign.log_response(s, case, "DE", on=today - timedelta(days=5), outcome="acknowledged",
                                  summary="Receipt acknowledged (fictional demo answer).", channel="email",
                                  actor=actor, today=today)
    finally:
        db.close()
    return DemoResult(db_path, letters_dir, case.ref, len(picked.found), list(picked.held_back))
