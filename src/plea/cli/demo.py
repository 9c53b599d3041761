"""`plea demo`: run the whole path on a throwaway database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import OPTIONS, note


def demo(
    keep: Annotated[Path | None, typer.Option("--keep", help="Keep the demo database and letters in this folder.")] = None,
) -> None:
    """A fictional case written to every mission in Washington DC, France answering: then `plea status`."""
    import shutil
    import tempfile
    from datetime import date

    from plea.cli.campaign import status
    from plea.cli.letters import _progress
    from plea.demo import run_demo

    folder = keep.expanduser() if keep else Path(tempfile.mkdtemp(prefix="plea-demo-"))
    if keep and (folder / "plea-demo.sqlite3").exists():
        from plea.errors import Conflict

        raise Conflict(f"{folder} already holds a demo", hint="choose another --keep folder, or delete that one")
    try:
        note(f"demo folder: {folder}")
        with _progress(200, "writing letters") as step:
            result = run_demo(folder, today=date.today(), progress=step)
        note(f"{result.letters} letters written to {result.letters_dir} for the fictional case {result.ref}")
        OPTIONS.db = str(result.db_path)
        status(result.ref, json_=False)
        if keep:
            note(f"kept: plea --db {result.db_path} status {result.ref}")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
