"""Reading spreadsheets people actually have: CSV saved by Excel or LibreOffice.

UTF-8 with or without BOM, UTF-16 with BOM, else cp1252; `,` `;` or tab as delimiter;
quoted fields with newlines. Every row keeps the line it starts on, for error messages.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from plea.errors import InvalidInput, NotFound


@dataclass
class Sheet:
    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column → value)
    encoding: str
    delimiter: str


def decode(data: bytes, path: Path | None = None) -> tuple[str, str]:
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path or 'file'}:{line}: the file says it is {exc.encoding} (it starts with a byte "
                           f"order mark) but byte {exc.start} is not valid {exc.encoding}",
                           hint="save it again from your spreadsheet as 'CSV UTF-8'") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_sheet(path: Path) -> Sheet:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise InvalidInput(f"{path}: cannot be read (permission denied)") from None
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput(f"{path}: not a text CSV file (it contains NUL bytes)",
                           hint="save it from your spreadsheet as 'CSV (comma or semicolon separated)'")
    text, encoding = decode(data, path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(f"{path}:1: the file is empty")
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        rows: list[tuple[int, dict[str, str]]] = []
        problems: list[str] = []
        start = reader.line_num + 1
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header):
                problems.append(f"{path}:{line}: row has {len(record)} fields but the header has {len(header)}")
                continue
            record += [""] * (len(header) - len(record))
            rows.append((line, {h: v.strip() for h, v in zip(header, record, strict=True)}))
    except csv.Error as exc:
        raise InvalidInput(f"{path}:{reader.line_num}: unreadable CSV: {exc}") from None
    if problems:
        raise InvalidInput(f"{path}: {len(problems)} problem(s); nothing was imported", problems=problems)
    return Sheet(path, header, rows, encoding, delimiter)


def write_csv(columns: list[str], rows: list[dict[str, object]]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()
