"""File names plea builds stay distinct on case-insensitive file systems (macOS, Windows)
and never leave the output folder."""

from __future__ import annotations

import json
from pathlib import Path

from plea.fileio import inside, safe_name


def test_rendered_names_differ_in_more_than_case(plea, db_file: Path, tmp_path: Path) -> None:
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Case Person", "--nationality", "RU", "--persecution", "x").stdout.strip()
    out = tmp_path / "out"
    r = plea("letters", "render", ref, "--host", "US", "--to", "all", "--format", "md,txt", "--out", str(out), "--json")
    names = [Path(f["path"]).name for w in json.loads(r.stdout) for f in w["files"]]
    assert len(names) > 300
    assert len({n.casefold() for n in names}) == len(names)
    assert all(Path(f["path"]).parent == out.resolve() for w in json.loads(r.stdout) for f in w["files"])


def test_names_differing_only_in_case_map_to_distinct_safe_names(tmp_path: Path) -> None:
    a, b = safe_name("Report"), safe_name("report")
    assert a != b  # kept as given; plea's own names are canonical (upper-case codes, lower-case slugs)
    assert inside(tmp_path, a).parent == tmp_path.resolve() and inside(tmp_path, b).parent == tmp_path.resolve()
    for hostile in ("../Report", "/etc/Report", "REPORT\x00.txt", "Con", "cOm1.docx", "nUl.txt"):
        name = safe_name(hostile)
        assert inside(tmp_path, name).parent == tmp_path.resolve()
        assert name.split(".")[0].upper() not in {"CON", "COM1", "NUL"}
