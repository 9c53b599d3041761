"""Property tests for the embassy CSV importer: any bytes in, rows or a clear error out.

A few hundred examples in the default run; `pytest -m slow` runs 10,000 per target."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plea.directory.importing import parse_file
from plea.directory.queries import COLUMNS
from plea.errors import PleaError
from tests.tiers import examples

FAST = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LONG = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

header_line = st.sampled_from([",".join(COLUMNS), ";".join(COLUMNS), "id,sending,host", "id;sending;host;email",
                               "\ufeffid,sending,host,notes"])
junk = st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))


def _check_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        rows = parse_file(path)
    except PleaError as exc:
        assert str(exc).strip()
        return
    for line, row in rows:
        assert line >= 2 and row["id"] and len(row["sending"]) == 2


def _bytes_target(tmp_path: Path):  # type: ignore[no-untyped-def]
    @given(st.tuples(header_line, junk))
    def run(parts: tuple[str, bytes]) -> None:
        header, body = parts
        _check_bytes(tmp_path, header.encode("utf-8") + b"\n" + body)

    return run


cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
row = st.fixed_dictionaries({
    "id": st.from_regex(r"U-[0-9]{1,6}", fullmatch=True),
    "sending": st.sampled_from(["FR", "DE", "fr", "XX", "", "France"]),
    "host": st.sampled_from(["US", "LT", "us", "ZZ"]),
    "city": cell, "notes": cell, "email": st.one_of(st.just(""), st.emails(), cell),
    "website": st.one_of(st.just(""), st.just("https://example.org/x"), cell),
    "latitude": st.one_of(st.just(""), st.floats(allow_nan=True).map(str), cell),
})


def _rows_target(tmp_path: Path):  # type: ignore[no-untyped-def]
    @given(st.lists(row, max_size=6), st.sampled_from([",", ";"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    def run(rows: list[dict[str, str]], delimiter: str, encoding: str) -> None:
        buf = io.StringIO(newline="")
        writer = csv.DictWriter(buf, fieldnames=list(row.wrapped_strategy.mapping) if hasattr(row, "wrapped_strategy")
                                else ["id", "sending", "host", "city", "notes", "email", "website", "latitude"],
                                delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        try:
            data = buf.getvalue().encode(encoding)
        except UnicodeEncodeError:
            data = buf.getvalue().encode("utf-8")
        _check_bytes(tmp_path, data)

    return run


def test_any_bytes_give_rows_or_a_clear_error(tmp_path: Path) -> None:
    FAST(_bytes_target(tmp_path))()


def test_structured_rows_give_rows_or_a_clear_error(tmp_path: Path) -> None:
    FAST(_rows_target(tmp_path))()


@pytest.mark.slow
def test_any_bytes_long(tmp_path: Path) -> None:
    LONG(_bytes_target(tmp_path))()


@pytest.mark.slow
def test_structured_rows_long(tmp_path: Path) -> None:
    LONG(_rows_target(tmp_path))()
