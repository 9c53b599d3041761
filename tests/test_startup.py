"""Start-up stays light: the CLI module and `plea --help` load no heavy library.
(The timings themselves are measured by bench/startup.py, not by tests.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

HEAVY = ("sqlalchemy", "sqlmodel", "docx", "jinja2", "babel", "alembic", "markdown_it", "email_validator",
         "publicsuffixlist")


def loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert loaded_after("import plea.cli") == []


def test_help_loads_no_heavy_module() -> None:
    code = ("import sys\nfrom plea.cli import app\nsys.argv = ['plea', '--help']\n"
            "try:\n    app()\nexcept SystemExit:\n    pass")
    assert loaded_after(code) == []


def test_subcommand_help_loads_no_heavy_module() -> None:
    for sub in ("letters", "embassies", "cases", "responses"):
        code = (f"import sys\nfrom plea.cli import app\nsys.argv = ['plea', '{sub}', 'render' if '{sub}' == 'letters' else 'list', '--help']\n"
                "try:\n    app()\nexcept SystemExit:\n    pass")
        assert loaded_after(code) == [], sub


def test_version_fast_path_prints_version() -> None:
    from plea import __version__

    out = subprocess.run([sys.executable, "-m", "plea", "--version"], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == f"plea {__version__}"


# -- the everyday read commands: plain rows through Core tables, no ORM ---------------------------------

#: what `plea status` and `plea embassies list` must not load: the ORM and the SQLModel (Pydantic)
#: model classes, migrations, documents, templates
NOT_ON_READ_PATH = ("sqlmodel", "sqlalchemy.orm", "plea.db.models", "alembic", "docx", "jinja2",
                    "markdown_it", "email_validator", "babel")


def loaded_running(*args: str) -> list[str]:
    """Run `plea ARGS` through the console script's entry point in a fresh interpreter; the
    modules of NOT_ON_READ_PATH it loaded."""
    code = ("import sys, json\nfrom plea.entry import main\n"
            f"sys.argv = ['plea', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(json.dumps([m for m in {NOT_ON_READ_PATH!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def campaign(plea, db_file: Path, tmp_path: Path) -> str:
    """A case written to France and Germany in the US, France answered; follow-ups after 30 days."""
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Test Person", "--nationality", "RU", "--persecution", "Story.",
               "--country", "US", "--situation", "at-liberty").stdout.strip()
    plea("letters", "render", ref, "--host", "US", "--to", "FR,DE", "--format", "md",
         "--out", str(tmp_path / "out"))
    plea("letters", "sent", "--force", ref, "--to", "FR,DE", "--on", "2025-01-02", "--via", "post")
    plea("responses", "log", ref, "FR", "--outcome", "positive", "--on", "2025-02-03")
    plea("config", "set", "followup_days", "30")
    plea("cautions", "add", "RU", "TR", "--reason", "a test caution", "--source-url", "https://example.org/c")
    plea("routes", "add", "DE", "humanitarian-visa", "--source-url", "https://example.org/r", "--checked-on",
         "2025-01-01")
    return ref


def test_status_loads_no_orm_nor_heavy_module(plea, campaign: str) -> None:
    [summary] = json.loads(plea("status", "--json").stdout)
    assert (summary["case"], summary["wrote_to"], summary["answered"], summary["due"]) == (campaign, 2, 1, 1)
    assert loaded_running("status") == []
    assert loaded_running("status", "--json") == []
    # one case too, by reference or by number
    one = json.loads(plea("status", campaign, "--json").stdout)
    assert one["headline"]["answered"] == 1 and {s["state"] for s in one["states"]} == {"FR", "DE"}
    assert loaded_running("status", campaign) == []
    assert loaded_running("status", str(int(campaign.rsplit("-", 1)[1])), "--json") == []


def test_embassies_list_loads_no_orm_nor_heavy_module(db_file: Path) -> None:
    # states given as codes, missions of member states: not even Babel's names are needed
    assert loaded_running("embassies", "list", "--host", "FR", "--sending", "DE") == []
    assert loaded_running("embassies", "list", "--host", "us", "--json") == ["babel"]  # names of VA, XK…


def test_core_tables_mirror_the_models() -> None:
    from sqlmodel import SQLModel
    from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

    import plea.db.models  # noqa: F401
    from plea.db import tables

    same = {AutoString: sa.String, UTCDateTime: tables.UTCDateTime}
    for name, table in tables.metadata.tables.items():
        model = SQLModel.metadata.tables[name]
        assert [c.name for c in table.columns] == [c.name for c in model.columns], name
        for ours, theirs in zip(table.columns, model.columns, strict=True):
            where = f"{name}.{ours.name}"
            assert type(ours.type) is same.get(type(theirs.type), type(theirs.type)), where
            assert getattr(ours.type, "length", None) == getattr(theirs.type, "length", None), where
            assert (ours.nullable, ours.primary_key) == (theirs.nullable, theirs.primary_key), where


def test_core_tables_read_what_the_models_read(campaign: str) -> None:
    from sqlmodel import Session, select

    from plea.db import models, tables
    from plea.db.engine import open_database
    from plea.db.location import database_url

    by_table = {m.__tablename__: m for m in (models.Mission, models.Setting, models.Case, models.Letter,
                                             models.LetterEvent, models.Response, models.Caution,
                                             models.Route)}
    # the tables with model classes (the report_* tables are Core tables in the models too)
    assert set(by_table) == {n for n in tables.metadata.tables if not n.startswith("report_")}
    db = open_database(database_url(None))
    try:
        for name, model in by_table.items():
            table, key = tables.metadata.tables[name], [c.name for c in tables.metadata.tables[name].primary_key]
            with db.read_rows() as conn:
                rows = [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key))]
            with Session(db.engine) as s:
                objs = s.exec(select(model).order_by(*(getattr(model, k) for k in key))).all()
                expected = [tuple(getattr(o, c.name) for c in table.columns) for o in objs]
            assert rows, name
            assert repr(rows) == repr(expected), name  # same values, same types (aware UTC datetimes)
    finally:
        db.close()


def test_member_code_answers_what_resolve_answers() -> None:
    from plea import states

    for code in states.un_members():
        for text in (code, code.lower(), f" {code.lower()} "):
            assert states.member_code(text) == states.resolve(text) == code
    for text in ("XK", "va", "TW", "France", "U", "USA", "", "Zz"):
        assert states.member_code(text) is None
