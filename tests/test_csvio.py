"""plea.csvio and plea.charsets on their own: formula prefixes that round-trip exactly, and the
encoding a sheet was saved in told apart even on small files (or refused, naming the candidates)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plea.charsets import detect
from plea.csvio import _name_cells, _plain_number, defuse, iso_date, read_sheet, restore
from plea.errors import InvalidInput

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("cell", ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|x",
                                  "@SUM(A1)", "\t=1", "\r=1", "- item", "'=1", "''+x"])
def test_formulas_get_a_quote_and_come_back_exactly(cell: str) -> None:
    assert defuse(cell) == "'" + cell
    assert restore(defuse(cell)) == cell


@pytest.mark.parametrize("cell", ["+7 912 345-67-89", "+1 (555) 123-4567", "-5", "+3.25", "-1,5", "1e-3",
                                  "'t Hooft", "O'Brien", "Ivan", "", "'"])
def test_numbers_phones_and_apostrophes_are_kept_as_they_are(cell: str) -> None:
    assert defuse(cell) == cell
    assert restore(cell) == cell


def test_a_quote_a_person_typed_before_a_formula_character_goes() -> None:
    assert restore("'+7 912 345 67 89") == "+7 912 345 67 89"
    assert restore("'-") == "-"


@given(st.text())
def test_any_cell_round_trips(cell: str) -> None:
    out = defuse(cell)
    assert restore(out) == cell
    assert not out.startswith(FORMULA_CHARS) or _plain_number(out)


@pytest.mark.parametrize(("text", "encoding"), [
    ("name_latin;native_name\nIvan Petrov;Иван Петров\n", "cp1251"),
    ("name_latin;native_name\nIvan Petrov;Иван Петров\n", "koi8_r"),
    ("name_latin;native_name\nIvan Petrov;Иван Петров\n", "mac_cyrillic"),
    ("a\nПривет\n", "cp1251"),
    ("name\nJosé Álvarez\n", "cp1252"),
    ("name\nJosé Álvarez\n", "mac_roman"),
    ("name\nÉmile Zoë Müller\n", "cp1252"),
])
def test_one_line_is_enough_when_the_words_tell(text: str, encoding: str) -> None:
    decoded = detect(text.encode(encoding), "f.csv")
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_cyrillic_read_as_latin_one_is_not_plausible() -> None:
    # the example: "Иван Петров" as cp1252 is "Èâàí Ïåòðîâ"
    assert detect("Иван Петров\n".encode("cp1251"), "f").text == "Иван Петров\n"


def test_unsure_names_the_candidates() -> None:
    with pytest.raises(InvalidInput) as err:
        detect("name_latin;family\nIvan;жена\n".encode("cp1251"), "f.csv")
    assert str(err.value) == (
        "f.csv: cannot tell which encoding the file was saved in (it could be cp1251, koi8_r, mac_cyrillic); "
        "nothing was imported\n"
        "name it with --encoding (for example --encoding cp1251), or save the file from your spreadsheet "
        "as 'CSV UTF-8'")


def test_name_latin_must_stay_latin() -> None:
    # "Josй" (cp1251) and "JosИ" (KOI8-R) are refused for a name_latin cell even without other clues
    data = "name_latin\nJosé\n".encode("cp1252")
    assert detect(data, "f", names=lambda text: [("latin", text.split("\n")[1])]).encoding == "cp1252"


@pytest.mark.parametrize(("cell", "order", "iso"), [
    ("11/30/1985", None, "1985-11-30"), ("15.07.1995", None, "1995-07-15"), ("1985/11/30", None, "1985-11-30"),
    ("03/03/1985", None, "1985-03-03"), ("03/04/1985", "DMY", "1985-04-03"), ("03/04/1985", "MDY", "1985-03-04"),
    ("1985-11-30", None, "1985-11-30"), ("not a date", None, "not a date"),
])
def test_excel_dates(cell: str, order: str | None, iso: str) -> None:
    assert iso_date(cell, order) == iso


def test_an_ambiguous_date_is_refused_with_both_readings() -> None:
    with pytest.raises(ValueError) as err:
        iso_date("03/04/1985")
    assert str(err.value) == ("'03/04/1985' could be 1985-04-03 (day first) or 1985-03-04 (month first): "
                              "write it as YYYY-MM-DD, or pass --date-format DMY or MDY")


CSVKIT = Path(__file__).parent / "data" / "sheets" / "csvkit"


@pytest.mark.parametrize(("name", "header", "last"), [
    ("test_latin1.csv", ["a", "b", "c"], {"a": "4", "b": "5", "c": "©"}),
    ("test_utf16_little.csv", ["a", "b", "c"], {"a": "4", "b": "5", "c": "ʤ"}),
    ("test_utf16_big.csv", ["a", "b", "c"], {"a": "4", "b": "5", "c": "ʤ"}),
    ("test_utf8_bom.csv", ["foo", "bar", "baz"], {"foo": "4", "bar": "5", "baz": "ʤ"}),
    ("test_empty_columns.csv", ["a", "b", "c"], {"a": "", "b": "", "c": "c"}),
    ("mac_newlines.csv", ["a", "b", "c"], {"a": "Once upon\na time", "b": "5", "c": "6"}),
])
def test_csvkit_files(name: str, header: list[str], last: dict[str, str]) -> None:
    # real files from csvkit's own tests (MIT; tests/data/sheets/csvkit/README.md)
    sheet = read_sheet(CSVKIT / name)
    assert sheet.header == header and sheet.rows[-1][1] == last


def test_every_csv_writer_goes_through_safe_writer() -> None:
    # a new csv.writer elsewhere would write formulas raw: CSV is written with csvio.SafeWriter only
    src = Path(__file__).resolve().parent.parent / "src" / "plea"
    raw = [str(p.relative_to(src)) for p in src.rglob("*.py")
           if p.name != "csvio.py" and any(w in p.read_text(encoding="utf-8") for w in ("csv.writer", "DictWriter"))]
    assert raw == []


def test_names_start_with_a_capital() -> None:
    # as Mac Cyrillic, cp1251 "Фёдор Щербаков" is "‘ёдор ўербаков": every letter plausible, no capital
    data = "name_latin;native_name\nFedor Shcherbakov;Фёдор Щербаков\n".encode("cp1251")
    with pytest.raises(InvalidInput):
        detect(data, "f")
    roles = {"name_latin": "latin", "native_name": "name"}
    decoded = detect(data, "f", names=_name_cells(lambda h: roles.get(h)))
    assert decoded.encoding == "cp1251" and "Фёдор Щербаков" in decoded.text
