"""Result tables: plain aligned columns (one row a line) when stdout is a file or a pipe, Rich's
table on a terminal; data is never read as Rich markup in either."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from plea.cli.common import table

NAME = "Olga [bold]Ivanova[/] [/]"


def test_piped_table_is_plain_and_keeps_brackets(plea, db_file: Path) -> None:
    ref = plea("cases", "add", "--name", NAME, "--nationality", "RU", "--country", "TR").stdout.strip()
    plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "GE")
    lines = plea("cases", "list").stdout.splitlines()
    assert lines[0].split() == ["ref", "name", "nationality", "situation", "status", "created"]
    row = next(line for line in lines if line.startswith(ref))
    assert NAME in row  # as typed: no markup applied, no crash on "[/]"
    # aligned: every column starts at the same place on every line
    at = lines[0].index("nationality")
    assert all(line[at - 2 : at] == "  " for line in lines[1:]), lines
    assert "│" not in "\n".join(lines) and "━" not in "\n".join(lines)


def test_plain_table_aligns_wide_characters_and_flattens_line_breaks() -> None:
    t = table("name", "city")
    t.add_row("東京大使館", "Tokyo")
    t.add_row("Embassy", "Two\nlines")
    lines = t.plain().splitlines()
    assert lines == ["name        city", "東京大使館  Tokyo", "Embassy     Two lines"]


def test_terminal_table_is_rich_and_keeps_brackets() -> None:
    t = table("ref", "name", title="Cases")
    t.add_row("PLEA-2026-0001", NAME)
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=120, color_system=None).print(t.rich())
    text = buf.getvalue()
    assert "Cases" in text and "┃" in text and NAME in text
