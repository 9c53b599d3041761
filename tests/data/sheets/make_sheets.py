"""Writes the client sheets in this folder, each as a spreadsheet program saves it in one locale.

Run from this folder: python make_sheets.py. The texts are invented; the encodings, delimiters, line
ends and date forms are those of the programs named (Excel for Windows in a Russian or Western locale
saves "CSV (разделители - запятые)" as cp1251 with `;` and DD.MM.YYYY dates; Excel's "Unicode Text"
is UTF-16 LE with a BOM and tabs; "CSV UTF-8" has a BOM; old Mac programs used Mac Cyrillic and Mac
Roman; KOI8-R is what Unix mail and old Linux desktops in Russia used).
"""

from __future__ import annotations

from pathlib import Path

RUSSIAN = [
    ["name_latin", "native_name", "nationality", "born", "country", "situation", "persecution", "family", "", ""],
    ["Ivan Petrov", "Иван Петров", "RU", "15.07.1985", "US", "detained",
     "Журналист. Задержан после репортажа о протестах; возбуждено уголовное дело.",
     "Мария Петрова;жена;06.05.1987 | Павел Петров;сын", "", ""],
    ["Olga Ivanova", "Ольга Иванова", "RU", "30.11.1990", "TR", "at-liberty",
     "Уехала после обыска. Её имя в «списке иноагентов».", "", "", ""],
    ["Yaroslav Shchukin", "Ярослав Щукин", "RU", "", "GE", "in-transit",
     "Отказался от мобилизации; объявлен в розыск.", "Юлия Щукина;мать", "", ""],
]
WESTERN = [
    ["name_latin", "native_name", "nationality", "born", "country", "situation", "persecution"],
    ["José Álvarez", "", "RU", "11/30/1985", "US", "detained", "Arrested in Moscow; moved to a détention centre."],
    ["Zoë Müller", "", "RU", "", "DE", "at-liberty", "Fled via Tbilisi. Her lawyer, Mr Brontë, is in Zürich."],
    ["François Lefèvre", "", "RU", "15.07.1995", "FR", "in-transit", "Deserted; his passport was cancelled."],
]


def sheet(rows: list[list[str]], delimiter: str) -> str:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in (delimiter, '"', "\n")) else v

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def main() -> None:
    here = Path(__file__).parent
    files = {
        "clients-cp1251.csv": (RUSSIAN, ";", "cp1251", b""),
        "clients-koi8r.csv": (RUSSIAN, ";", "koi8_r", b""),
        "clients-mac-cyrillic.csv": (RUSSIAN, ",", "mac_cyrillic", b""),
        "clients-utf16.txt": (RUSSIAN, "\t", "utf-16-le", b"\xff\xfe"),
        "clients-utf8-bom.csv": (RUSSIAN, ";", "utf-8", b"\xef\xbb\xbf"),
        "clients-cp1252.csv": (WESTERN, ";", "cp1252", b""),
        "clients-mac-roman.csv": (WESTERN, ",", "mac_roman", b""),
    }
    for name, (rows, delimiter, encoding, bom) in files.items():
        text = sheet(rows, delimiter)
        if encoding == "koi8_r":
            text = text.replace("«", '"').replace("»", '"')  # KOI8-R has no guillemets
        (here / name).write_bytes(bom + text.encode(encoding))


if __name__ == "__main__":
    main()
