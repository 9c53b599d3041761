"""Clients from a spreadsheet: `plea cases import FILE [--dry-run]` (Excel and LibreOffice
exports, all or nothing, every problem as FILE:LINE: column: problem) and `plea cases export
[--csv|--json]`, whose CSV imports back."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dbcheck import rows
from tests.tiers import examples

YEAR = date.today().year
HEADER = (
    "name_latin;native_name;nationality;born;country;situation;facility;authority_ids;persecution;family;"
    "rep_name;rep_email\n"
)
ROWS = [
    "Ivan Petrov;Иван Петров;RU;1985-02-03;US;detained;Example Center;Alien Registration Number=A-123 | "
    'Passport=75 123;"Arrested twice.\n\nA case was opened.";"Maria Petrova;wife;1987-05-06 | Pavel;son";'
    "Jane Counsel;jane@example.org\n",
    "Olga Ivanova;;Russia;;TR;at-liberty;;;Fled after a search.;;;\n",
    "José Álvarez;;RU;1990-01-01;US;in-transit;;;Deserted.;;Jane Counsel;\n",
]


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def test_import_a_semicolon_cp1252_sheet(plea, db_file: Path, tmp_path: Path) -> None:
    # fields with newlines and ; inside quotes, Windows line ends, Excel's cp1252 (no Cyrillic in it)
    sheet = write(tmp_path / "clients.csv", HEADER + ROWS[1] + ROWS[2], "cp1252")
    r = plea("cases", "import", str(sheet))
    assert r.stdout.split() == [f"PLEA-{YEAR}-0001", f"PLEA-{YEAR}-0002"]
    assert "2 created, 0 updated, 0 unchanged" in r.stderr
    assert rows(
        db_file, 'SELECT name_latin, nationality, current_country, situation FROM "case" ORDER BY ref'
    ) == [("Olga Ivanova", "RU", "TR", "at-liberty"), ("José Álvarez", "RU", "US", "in-transit")]


def test_import_utf8_bom_lists_and_multiline_story(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "clients.csv"
    sheet.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(ROWS)).encode("utf-8"))
    plea("cases", "import", str(sheet))
    data = json.loads(plea("cases", "show", f"PLEA-{YEAR}-0001", "--json").stdout)
    assert data["name_native"] == "Иван Петров" and data["birth_date"] == "1985-02-03"
    assert data["authority_ids"] == [
        {"label": "Alien Registration Number", "number": "A-123"},
        {"label": "Passport", "number": "75 123"},
    ]
    assert data["family"] == [
        {"name": "Maria Petrova", "relation": "wife", "birth_date": "1987-05-06"},
        {"name": "Pavel", "relation": "son", "birth_date": ""},
    ]
    assert data["persecution"] == "Arrested twice.\n\nA case was opened."
    assert data["rep_email"] == "jane@example.org"
    kinds = rows(db_file, "SELECT kind, data FROM event WHERE kind = 'case.created'")
    assert len(kinds) == 3 and all("Ivan" not in d for _, d in kinds)


def test_importing_the_same_sheet_again_adds_no_one(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path / "clients.csv", HEADER + "".join(ROWS))
    plea("cases", "import", str(sheet))
    events = rows(db_file, "SELECT count(*) FROM event")
    r = plea("cases", "import", str(sheet))
    assert "0 created, 0 updated, 3 unchanged" in r.stderr and r.stdout == ""
    assert rows(db_file, 'SELECT count(*) FROM "case"') == [(3,)]
    assert rows(db_file, "SELECT count(*) FROM event") == events
    # a changed cell updates that client only, with its history event
    write(
        sheet,
        HEADER + ROWS[0] + ROWS[1].replace("Fled after a search.", "Fled after two searches.") + ROWS[2],
    )
    r = plea("cases", "import", str(sheet))
    assert "0 created, 1 updated, 2 unchanged" in r.stderr and r.stdout.split() == [f"PLEA-{YEAR}-0002"]
    assert rows(db_file, "SELECT data FROM event WHERE kind = 'case.edited'") == [
        ('{"fields": ["persecution"]}',)
    ]


def test_every_problem_is_listed_and_nothing_is_imported(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = write(
        tmp_path / "bad.csv",
        HEADER
        + "Ivan Petrov;;Narnia;1985-13-40;US;jailed;;Passport;Story.;;;not-an-email\n"
        + ";;RU;;;;;;Story.;;;\n"
        + 'Olga Ivanova;;RU;2999-01-01;US;detained;;;Story.;"Maria;wife;1987-05-06;x";;\n'
        + ROWS[2],
    )
    r = plea("cases", "import", str(sheet), code=3)
    err = r.stderr
    assert f"plea: error: {sheet}: " in err and "problem(s); nothing was imported" in err
    assert f"{sheet}:2: nationality: " in err and "Narnia" in err
    assert f"{sheet}:2: birth_date: not a date '1985-13-40'" in err
    assert f"{sheet}:2: situation: 'jailed' is not one of detained, at-liberty, in-transit" in err
    assert f"{sheet}:2: authority_ids: 'Passport' should be LABEL=NUMBER" in err
    assert f"{sheet}:2: rep_email: not a valid email address" in err
    assert f"{sheet}:3: name_latin: the applicant's name (Latin script) is required" in err
    assert f"{sheet}:4: birth_date: 2999-01-01 is in the future" in err
    assert f"{sheet}:4: family: 'Maria;wife;1987-05-06;x' should be NAME;RELATION;BIRTH-DATE" in err
    assert rows(db_file, 'SELECT count(*) FROM "case"') == [(0,)]


def test_header_problems(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path / "h.csv", "name_latn,nationality,colour\nIvan,RU,red\n")
    r = plea("cases", "import", str(sheet), code=3)
    assert f"{sheet}:1: header: unknown column 'name_latn' (did you mean name_latin?)" in r.stderr
    assert f"{sheet}:1: header: unknown column 'colour'" in r.stderr
    write(sheet, "nationality\nRU\n")
    assert (
        "a name_latin column (new clients) or a ref column (updates) is needed"
        in plea("cases", "import", str(sheet), code=3).stderr
    )
    assert "no such file" in plea("cases", "import", str(tmp_path / "none.csv"), code=4).stderr


def test_dry_run_changes_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path / "clients.csv", HEADER + "".join(ROWS))
    events = rows(db_file, "SELECT count(*) FROM event")
    r = plea("cases", "import", str(sheet), "--dry-run", "--json")
    assert json.loads(r.stdout)["dry_run"] is True and len(json.loads(r.stdout)["created"]) == 3
    assert "would be: 3 created, 0 updated, 0 unchanged; nothing was changed" in r.stderr
    assert rows(db_file, 'SELECT count(*) FROM "case"') == [(0,)]
    assert rows(db_file, "SELECT count(*) FROM event") == events


def test_export_csv_imports_back_into_another_database(
    plea, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clone_db
) -> None:
    plea("cases", "import", str(write(tmp_path / "clients.csv", HEADER + "".join(ROWS))))
    plea("cases", "archive", f"PLEA-{YEAR}-0002")
    text = plea("cases", "export").stdout
    assert [r["ref"] for r in csv.DictReader(io.StringIO(text))] == [f"PLEA-{YEAR}-0001", f"PLEA-{YEAR}-0003"]
    exported = tmp_path / "all.csv"
    r = plea("cases", "export", str(exported), "--all", "--csv")
    assert r.stdout.strip() == str(exported) and "personal data" in r.stderr
    assert "exists" in plea("cases", "export", str(exported), code=6).stderr
    first = json.loads(plea("cases", "export", "--json", "--all").stdout)
    # another database: the same clients under the same references
    other = tmp_path / "other-home"
    clone_db(other, empty=True, use=True)  # PLEA_HOME=other, and on PostgreSQL a new database
    plea("init")
    r = plea("cases", "import", str(exported))
    assert r.stdout.split() == [f"PLEA-{YEAR}-000{n}" for n in (1, 2, 3)]
    second = json.loads(plea("cases", "export", "--json", "--all").stdout)

    def strip(cases: list[dict]) -> list[dict]:
        return [{k: v for k, v in c.items() if k not in ("created_at", "updated_at")} for c in cases]

    assert strip(second) == strip(first)
    assert plea("cases", "import", str(exported)).stderr.strip().endswith("0 created, 0 updated, 3 unchanged")


def test_update_by_reference_and_status(plea, db_file: Path, tmp_path: Path) -> None:
    plea("cases", "import", str(write(tmp_path / "clients.csv", HEADER + "".join(ROWS))))
    sheet = write(
        tmp_path / "upd.csv",
        f"ref,status,facility\nPLEA-{YEAR}-0001,archived,\nPLEA-{YEAR}-0003,,Another Center\n",
    )
    r = plea("cases", "import", str(sheet))
    assert "0 created, 2 updated, 0 unchanged" in r.stderr
    assert rows(
        db_file, 'SELECT ref, status, facility FROM "case" WHERE ref != ? ORDER BY ref', f"PLEA-{YEAR}-0002"
    ) == [(f"PLEA-{YEAR}-0001", "archived", ""), (f"PLEA-{YEAR}-0003", "open", "Another Center")]
    bad = write(tmp_path / "bad.csv", "ref,facility\nPLEA-1,x\nPLEA-2026-0777,y\n")
    r = plea("cases", "import", str(bad), code=3)
    assert f"{bad}:2: ref: 'PLEA-1' is not a case reference" in r.stderr
    assert (
        f"{bad}:3: name_latin: the applicant's name (Latin script) is required (no case PLEA-2026-0777 yet)"
        in r.stderr
    )


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30), story=st.text(max_size=60), born=st.text(max_size=12))
def test_any_cell_imports_or_is_a_clear_error(
    plea, db_file: Path, tmp_path: Path, name: str, story: str, born: str
) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([["name_latin", "persecution", "birth_date"], [name, story, born]])
    sheet = tmp_path / "fuzz.csv"
    sheet.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    r = plea.runner.invoke(__import__("plea.cli", fromlist=["app"]).app, ["cases", "import", str(sheet)])
    assert r.exit_code in (0, 3), (r.exit_code, r.stderr, r.exception)
    if r.exit_code == 3:
        assert r.stderr.startswith("plea: error: ") and "Traceback" not in r.stderr
