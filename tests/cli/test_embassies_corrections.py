"""Many corrections at once (issue 21): `embassies gaps --need address --csv` writes the missions to
fill in, `embassies edit --from-csv FILE` reads them back: every row checked first (FILE:LINE: column:
problem, nothing changed), then each applied as an `embassies edit`, verified where the row says so."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.dbcheck import rows as q


def fill(text: str, values: dict[str, dict[str, str]]) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row.update(values.get(row["state"], {}))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def test_fifty_addresses_filled_in_a_sheet_and_read_back(plea, db_file: Path, tmp_path: Path) -> None:
    r = plea("embassies", "gaps", "--host", "US", "--need", "address", "--csv")
    header = r.stdout.splitlines()[0]
    assert header == "id,state,name,lacks,look_it_up_on,address,postcode,area,city,verified"
    sheet = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(sheet) > 150 and all(row["lacks"] == "address" for row in sheet)
    fr = next(row for row in sheet if row["state"] == "FR")
    assert (fr["id"], fr["city"], fr["address"]) == ("Q2841718", "Washington, D.C.", "")
    # fifty missions get a street and a postcode; France's row also says it was checked
    fifty = [row["state"] for row in sheet if row["city"] == "Washington, D.C."][:50]
    values = {
        s: {"address": f"{100 + n} Massachusetts Avenue NW", "postcode": "20008"} for n, s in enumerate(fifty)
    }
    values["FR"] = {"address": "4101 Reservoir Road NW", "postcode": "20007", "verified": "yes"}
    path = tmp_path / "addresses.csv"
    path.write_text(fill(r.stdout, values), encoding="utf-8")
    events = q(db_file, "SELECT count(*) FROM event WHERE kind = 'mission.edited'")[0][0]
    r = plea("embassies", "edit", "--from-csv", str(path))
    changed = r.stdout.split()
    assert len(changed) == len(set(values) | set(fifty)) and "Q2841718" in changed
    assert r.stderr == f"{len(changed)} mission(s) corrected, {len(sheet) - len(changed)} unchanged\n"
    assert q(db_file, "SELECT count(*) FROM event WHERE kind = 'mission.edited'")[0][0] == events + len(
        changed
    )
    assert q(
        db_file,
        "SELECT street_address, postcode, user_fields, verified_on IS NOT NULL FROM mission "
        "WHERE id = 'Q2841718'",
    ) == [("4101 Reservoir Road NW", "20007", "city postcode street_address", 1)]  # what its row showed
    plain = next(row["id"] for row in sheet if row["state"] in fifty and row["state"] != "FR")
    other = q(db_file, "SELECT verified_on IS NULL, user_fields FROM mission WHERE id = ?", plain)
    assert other == [(1, "postcode street_address")]  # edited, not verified: its row said nothing
    left = json.loads(plea("embassies", "gaps", "--host", "US", "--need", "address", "--json").stdout)
    assert not {row["state"] for row in left["rows"]} & set(values)
    # the same file again changes nothing; France's row says it was checked (today, again)
    again = plea("embassies", "edit", "--from-csv", str(path))
    assert (
        again.stdout == "Q2841718\n"
        and again.stderr == f"1 mission(s) corrected, {len(sheet) - 1} unchanged\n"
    )


def test_a_bad_sheet_names_every_line_and_changes_nothing(plea, db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,address,postcode,area,email,verified\n"
        "Q2841718,4101 Reservoir Road NW,20007,DC,,yes\n"
        "Qnope,1 Main St,10000,,,\n"
        "Q324833,4645 Reservoir Road NW,20007,Atlantis,not-an-email,\n"
        "Q5369749,,,,,maybe\n"
        "Q2841718,,,,,\n",
        encoding="utf-8",
    )
    before = q(
        db_file, "SELECT id, street_address, postcode, area, email, user_fields FROM mission ORDER BY id"
    )
    r = plea("embassies", "edit", "--from-csv", str(path), code=3)
    assert r.stderr == (
        f"plea: error: {path}: 5 problem(s); nothing was changed\n"
        f"{path}:3: id: no mission 'Qnope'\n"
        f"{path}:4: email: not a valid email address 'not-an-email': An email address must have an @-sign.\n"
        f"{path}:4: area: unknown area 'Atlantis' for US\n"
        f"{path}:5: verified: 'maybe' is not a field of a mission; name some of: email, phone, address, "
        "postcode, area, name, city, website, languages, kind\n"
        f"{path}:6: id: Q2841718 is corrected twice (also on line 2)\n"
        "fix these lines and run the command again\n"
    )
    assert (
        q(db_file, "SELECT id, street_address, postcode, area, email, user_fields FROM mission ORDER BY id")
        == before
    )
    typo = tmp_path / "typo.csv"
    typo.write_text("id,adress\nQ2841718,4101 Reservoir Road NW\n", encoding="utf-8")
    r = plea("embassies", "edit", "--from-csv", str(typo), code=3)
    assert r.stderr.startswith(
        f"plea: error: {typo}:1: header: unknown column(s) 'adress' (did you mean address?)"
    )
    r = plea("embassies", "edit", "Q2841718", "--from-csv", str(typo), code=3)
    assert (
        r.stderr
        == "plea: error: --from-csv takes the corrections from the file: give no ID or field options\n"
    )
    r = plea("embassies", "edit", code=3)
    assert r.stderr == "plea: error: give a mission ID (see `plea embassies list`) or --from-csv FILE\n"
