"""Applying Alembic migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine, current: str | None, target: str = "head") -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from plea.db import HEAD
    from plea.errors import DatabaseProblem

    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise DatabaseProblem(
            f"the database's schema version {current!r} is unknown to this plea",
            hint="it was written by a newer plea: upgrade plea (pip install -U plea)",
        )
    with engine.begin() as conn:  # the engine's begin hook makes it BEGIN IMMEDIATE on SQLite
        command.upgrade(alembic_config(conn), target)
        if target in ("head", HEAD):
            from plea.report.summary import refresh

            refresh(conn)  # count the cases a migration noted (0006: all of them) in the same transaction
