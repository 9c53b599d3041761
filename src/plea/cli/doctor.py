"""`plea doctor`."""

from __future__ import annotations

from typing import Annotated

import typer

from plea.cli.common import OPTIONS, open_db, print_json
from plea.i18n import translate


def doctor(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the installation, LibreOffice and fonts for PDF, database, file permissions, encryption and
    templates; say what to fix."""
    from plea.db.location import database_url, home, sqlite_path
    from plea.doctor import (
        Check,
        check_database,
        check_files,
        check_installation,
        check_pdf,
        check_templates_all,
    )
    from plea.errors import ExitStatus, PleaError

    checks = check_installation()
    checks += check_pdf()
    url = database_url(OPTIONS.db)
    path = sqlite_path(url)
    try:
        db = open_db()
        checks += check_database(db)
    except PleaError as exc:
        checks.append(Check("fail", f"database: {exc.message}", exc.hint or ""))
    checks += check_files(path.parent if path else home(), path)
    checks += check_templates_all()
    if json_:
        print_json([c.as_dict() for c in checks])
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
        for c in checks:
            fix = f"\n      → {translate(c.fix)}" if c.fix and c.level != "ok" else ""
            typer.echo(f"{marks[c.level]}  {translate(c.what)}{fix}")
    if any(c.level == "fail" for c in checks):
        raise typer.Exit(int(ExitStatus.ERROR))
