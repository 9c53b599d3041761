"""`plea demo`: run the whole path on a demo database in a folder of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import OPTIONS, note
from plea.i18n import state_name


def demo(
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="Put the demo in this new or empty folder (default: a new ./plea-demo).")] = None,
) -> None:
    """A fictional case written to every mission in Washington DC, France answering: then `plea status`.
    The letters and the database stay in the folder it names."""
    import shlex
    from datetime import date

    from plea.cli.common import Bar, print_case_status
    from plea.demo import check_keep, new_folder, run_demo

    if keep is not None:
        folder = keep.expanduser()
        check_keep(folder)
    else:
        folder = new_folder(Path.cwd())
    note(f"demo folder: {folder}")
    result = run_demo(folder, today=date.today(), progress=Bar())
    note(f"{result.letters} letters written to {result.letters_dir} for the fictional case {result.ref}")
    if result.held_back:
        threat = ", ".join(state_name(h.state) for h in result.held_back if h.kind == "threat")
        cautioned = [state_name(h.state) for h in result.held_back if h.kind == "caution"]
        if cautioned:
            note(f"held back, as for every case: {threat} (the applicant's persecutor) and {len(cautioned)} "
                 f"state(s) that may hand a person over to it ({', '.join(cautioned)}); see "
                 f"`plea letters plan {result.ref}` for why")
        else:
            note(f"held back, as for every case: {threat} (the applicant's persecutor); see "
                 f"`plea letters plan {result.ref}` for why")
    OPTIONS.db = str(result.db_path)
    print_case_status(result.ref, json_=False)
    note(f"look at it: PLEA_HOME={shlex.quote(str(folder))} plea status {result.ref}; "
         f"the letters are in {result.letters_dir}")
