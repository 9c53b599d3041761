"""Reading spreadsheets people actually have (CSV saved by Excel or LibreOffice), and writing CSV
that is safe to open in them.

Encodings: UTF-8 with or without BOM, UTF-16, or a single-byte code page judged by plea.charsets
(cp1251, cp1252, KOI8-R, Mac Cyrillic, Mac Roman); `--encoding` names it outright. `,` `;` or tab
as delimiter; quoted fields with newlines; Excel's trailing empty columns are dropped. Every row
keeps the line it starts on, for error messages.

Formulas: a cell that starts with `=`, `+`, `-`, `@`, tab or CR is written with a `'` before it
(Excel and LibreOffice then show it as text, not run it), except plain numbers and phone numbers;
reading removes a `'` only where such a character follows, so a round trip is exact.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from plea.charsets import NameCells, decode_as, detect, detect_wide
from plea.errors import InvalidInput, NotFound
from plea.text import clean


@dataclass
class Sheet:
    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column → value)
    encoding: str
    delimiter: str


@dataclass(frozen=True)
class SheetOptions:
    """How to read a sheet where guessing is not enough: --encoding and --date-format."""

    encoding: str | None = None
    date_order: str | None = None  # DMY, MDY or YMD (see date_order())


# -- formulas ---------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")
_SIGNED_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)*|[.,]\d+)([eE][+-]?\d+)?%?$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")


def _plain_number(cell: str) -> bool:
    if _SIGNED_NUMBER.match(cell):
        return True
    return bool(_PHONE.match(cell)) and sum(c.isdigit() for c in cell) >= 6 and cell[-1].isdigit()


def defuse(cell: str) -> str:
    """The text to write for a cell: `'` before what a spreadsheet would take for a formula."""
    if (cell.startswith(_FORMULA_START) and not _plain_number(cell)) or _QUOTED_FORMULA.match(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The value of a cell read back: the `'` defuse() added (or a person typed) goes."""
    return cell[1:] if _QUOTED_FORMULA.match(cell) else cell


class SafeWriter:
    """csv.writer whose every cell goes through defuse(): the one way plea writes CSV."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._w = csv.writer(fh, lineterminator="\n", **kwargs)

    def writerow(self, cells: Iterable[object]) -> None:
        self._w.writerow([defuse("" if c is None else str(c)) for c in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


# -- reading ----------------------------------------------------------------------------------------


def decode(data: bytes, path: Path | str = "file", *, encoding: str | None = None,
           names: NameCells | None = None) -> tuple[str, str]:
    """(text, encoding name) of a CSV file's bytes; see plea.charsets."""
    decoded = decode_as(data, encoding, path) if encoding else detect(data, path, names=names)
    return decoded.text, decoded.encoding


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


#: a heading → "latin" (names in Latin script), "name" (names in any script) or None
Roles = Callable[[str], str | None]


def _name_cells(roles: Roles) -> NameCells:
    """For plea.charsets: the (role, cell) of a candidate text's cells under name headings."""

    def cells(text: str) -> Iterable[tuple[str, str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
        try:
            header = next(reader, [])
            wanted = [(i, role) for i, h in enumerate(header) if (role := roles(h.strip()))]
            for n, record in enumerate(reader):
                if n >= 5000:
                    break
                yield from ((role, record[i]) for i, role in wanted if i < len(record))
        except csv.Error:
            return

    return cells


def read_sheet(path: Path, *, encoding: str | None = None, roles: Roles | None = None) -> Sheet:
    """The header and rows of a CSV file. `encoding` overrides detection; `roles(heading)` says
    which columns hold names (see Roles), which helps tell code pages apart."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a CSV file") from None
    except NotADirectoryError:
        raise NotFound(f"{path}: no such file (a part of the path is a file, not a folder)") from None
    except PermissionError:
        raise InvalidInput(f"{path}: cannot be read (permission denied)") from None
    wide = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (encoding or "").lower().startswith(
        ("utf-16", "utf16"))
    if b"\x00" in data and not wide and detect_wide(data) is None:
        raise InvalidInput(f"{path}: not a text CSV file (it contains NUL bytes)",
                           hint="save it from your spreadsheet as 'CSV (comma or semicolon separated)'")
    text, used = decode(data, path, encoding=encoding,
                        names=_name_cells(roles) if roles else None)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(f"{path}:1: the file is empty")
    delimiter = _delimiter(text.split("\n", 1)[0])
    header, rows = _rows(path, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return Sheet(path, header, rows, used, delimiter)


def _rows(path: Path, reader: Any) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        full = [restore(h.strip()) for h in next(reader)]
        header = list(full)
        while header and not header[-1]:
            header.pop()  # Excel's trailing empty columns
        rows: list[tuple[int, dict[str, str]]] = []
        problems: list[str] = []
        start = reader.line_num + 1
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if any(cell.strip() for cell in record[len(header):]):
                problems.append(
                    f"{path}:{line}: row has {len(record)} fields but the header has {len(header)}"
                    if len(record) > len(full)
                    else f"{path}:{line}: a value in column {len(header) + 1}, which has no heading")
                continue
            record = record[: len(header)] + [""] * (len(header) - len(record))
            rows.append((line, {h: restore(clean(v).strip()) for h, v in zip(header, record, strict=True)}))
    except csv.Error as exc:
        raise InvalidInput(f"{path}:{reader.line_num}: unreadable CSV: {exc}") from None
    if problems:
        raise InvalidInput(f"{path}: {len(problems)} problem(s); nothing was imported", problems=problems)
    return header, rows


def for_excel(text: str) -> bytes:
    """A CSV file's bytes: UTF-8 with a BOM, so Excel reads it as UTF-8 (without one, Excel reads
    it in the locale's code page and a Russian Windows turns Cyrillic into mojibake)."""
    return codecs.BOM_UTF8 + text.encode("utf-8")


def write_csv(columns: list[str], rows: list[dict[str, object]]) -> str:
    """Header and rows (column → value), every cell through defuse()."""
    buf = io.StringIO(newline="")
    writer = SafeWriter(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row.get(c) for c in columns)
    return buf.getvalue()


# -- dates as spreadsheets rewrite them --------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")
DATE_ORDERS = ("DMY", "MDY", "YMD")


def date_order(option: str) -> str:
    """--date-format: DMY, MDY or YMD, or a pattern such as DD.MM.YYYY or MM/DD/YYYY."""
    order = "".join(dict.fromkeys(c for c in option.upper() if c in "DMY"))
    if order not in DATE_ORDERS:
        raise InvalidInput(f"--date-format {option!r}: give the order of day, month and year, "
                           "as DMY (15.07.1995), MDY (11/30/1985) or YMD (1985-11-30)")
    return order


def iso_date(cell: str, order: str | None = None) -> str:
    """An ISO date (YYYY-MM-DD) from a date as Excel or LibreOffice may rewrite it (30.11.1985,
    11/30/1985); ValueError where day and month cannot be told apart without `order` (03/04/1985;
    with dots, 03.04.1985, it is day first: no month-first locale writes dots)."""
    m = _DMY.match(cell.strip())
    if not m or re.match(r"^\d{4}-", cell.strip()):
        return cell  # ISO already, or not a date at all: checked where the field is
    a, b, c = (int(g) for g in m.groups())
    if len(m.group(1)) == 4:
        return _valid(cell, c, b, a)
    if len(m.group(3)) != 4:
        raise ValueError(f"{cell!r}: write the year with four digits (YYYY-MM-DD, e.g. 1990-04-12)")
    if order == "YMD":
        raise ValueError(f"{cell!r} is not a date in the order YMD")
    dotted = "." in cell  # 30.11.1985: only day-first locales (Russian, German…) write dates with dots
    day_first = order == "DMY" or (order is None and (b <= 12 < a or a == b or dotted))
    if day_first or (order is None and a <= 12 < b) or order == "MDY":
        return _valid(cell, a, b, c) if day_first else _valid(cell, b, a, c)
    raise ValueError(f"{cell!r} could be {_valid(cell, a, b, c)} (day first) or {_valid(cell, b, a, c)} "
                     "(month first): write it as YYYY-MM-DD, or pass --date-format DMY or MDY")


def _valid(cell: str, day: int, month: int, year: int) -> str:
    from datetime import date

    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{cell!r} is not a date (use YYYY-MM-DD, e.g. 1990-04-12)") from None
