"""Verified corrections travel: `plea embassies export --verified-only FILE` from one caseworker's
database, `plea embassies import FILE` into another's. A verified value wins over an unverified
one; two different values both verified are a conflict: listed, exit 6, nothing imported, until
--prefer says which."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest

from tests.conftest import Days, copy_initialised
from tests.dbcheck import PleaDB, execute
from tests.dbcheck import rows as q

FR, DE, IT = "Q2841718", "Q324833", "Q5369749"  # the embassies of France, Germany, Italy in the US


def get(path: Path, mid: str, *columns: str) -> tuple:
    return q(path, f"SELECT {', '.join(columns)} FROM mission WHERE id=?", mid)[0]


@pytest.fixture
def theirs(db_file: PleaDB, _initialised: Path, tmp_path: Path) -> Path:
    """A second caseworker's database: a freshly initialised SQLite file, whatever ours is (an NGO's
    PostgreSQL database exchanges corrections with a caseworker's laptop)."""
    return copy_initialised(_initialised, tmp_path / "ngo" / "plea.sqlite3")


def as_them(plea, theirs: Path, *args: str, code: int = 0):
    return plea("--db", str(theirs), "--actor", "ana", *args, code=code)


def export_theirs(plea, theirs: Path, tmp_path: Path, name: str = "verified.csv") -> Path:
    out = tmp_path / name
    as_them(plea, theirs, "config", "set", "organisation", "Ana's NGO")  # who vouches, in a shared file
    r = as_them(plea, theirs, "embassies", "export", "--verified-only", str(out))
    assert r.stdout.strip() == str(out)
    return out


def test_export_verified_only_writes_edited_and_verified_rows(days: Days, plea, db_file: Path,
                                                              tmp_path: Path) -> None:
    plea("embassies", "edit", FR, "--email", "visa@ambafrance.example", "--verified")
    (verified_on,) = get(db_file, FR, "verified_on")
    assert verified_on in days
    plea("embassies", "edit", DE, "--phone", "+1 202 298 4000")  # edited, not verified
    out = tmp_path / "mine.csv"
    r = plea("embassies", "export", "--verified-only", str(out))
    assert r.stdout.strip() == str(out) and "2 mission(s) with your edits or verifications" in r.stderr
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert sorted(rows) == sorted([DE, FR])
    # the login never goes into a shared file: verified_by is the organisation, once it is set
    assert (rows[FR]["verified_on"], rows[FR]["verified_by"]) == (verified_on, "")
    assert r.stderr.endswith("verified_by is left empty (plea never writes your login into a shared file): name "
                             'your organisation with `plea config set organisation "Legal Aid Paris"`\n')
    assert rows[FR]["email"] == "visa@ambafrance.example"
    assert rows[FR]["edited_fields"] == "email"  # what it edited and verified, not the mission's other fields
    assert (rows[DE]["verified_on"], rows[DE]["verified_by"], rows[DE]["edited_fields"]) == ("", "", "phone")
    plea("config", "set", "organisation", "Legal Aid Paris")
    r = plea("embassies", "export", "--verified-only", "--force", str(out))
    assert "verified_by" not in r.stderr
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert (rows[FR]["verified_by"], rows[DE]["verified_by"]) == ("Legal Aid Paris", "")
    assert "tester" not in out.read_text(encoding="utf-8-sig")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))
    # never overwrites without --force
    r = plea("embassies", "export", "--verified-only", str(out), code=6)
    assert f"{out} exists" in r.stderr and "--force" in r.stderr
    plea("embassies", "export", "--verified-only", str(out), "--force")
    # importing one's own file changes nothing
    r = plea("embassies", "import", str(out))
    assert "0 added, 0 updated, 2 unchanged" in r.stdout


def test_export_verified_only_needs_a_file(plea, db_file: Path, tmp_path: Path) -> None:
    r = plea("embassies", "export", "--verified-only", code=3)
    assert "give FILE" in r.stderr
    plea("embassies", "export", "--verified-only", str(tmp_path / "x.csv"), "--json", code=3)


def test_export_to_a_file_and_host_filter(plea, db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "lt.csv"
    plea("embassies", "export", str(out), "--host", "LT")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel then reads it as UTF-8
    assert out.read_text(encoding="utf-8-sig") == plea("embassies", "export", "--host", "LT").stdout
    plea("embassies", "export", str(out), "--host", "LT", code=6)


def test_their_corrections_fill_what_you_never_edited(days: Days, plea, db_file: Path, theirs: Path,
                                                       tmp_path: Path) -> None:
    as_them(plea, theirs, "embassies", "edit", FR, "--email", "visa@ambafrance.example",
            "--address", "4101 Reservoir Rd NW", "--verified")
    (verified_on,) = get(theirs, FR, "verified_on")  # the day they checked it
    assert verified_on in days
    path = tmp_path / "ngo-missions.csv"
    path.write_text("id,sending,host,city,kind,email\nNGO-1,UA,US,Washington,embassy,consul@mfa.example\n")
    as_them(plea, theirs, "embassies", "import", str(path))
    as_them(plea, theirs, "embassies", "edit", "NGO-1", "--phone", "+1 202 349 2920", "--verified")
    exported = export_theirs(plea, theirs, tmp_path)
    events = q(db_file, "SELECT count(*) FROM event")[0][0]

    r = plea("embassies", "import", str(exported), "--dry-run")
    assert r.stdout.startswith("dry run, nothing changed: merged verified corrections: 1 added, 1 updated")
    assert get(db_file, FR, "email") == ("",)

    r = plea("embassies", "import", str(exported))
    assert r.stdout.strip() == "merged verified corrections: 1 added, 1 updated, 0 unchanged"
    fr = get(db_file, FR, "email", "street_address", "verified_on", "verified_by", "user_fields")
    assert fr == ("visa@ambafrance.example", "4101 Reservoir Rd NW", verified_on, "Ana's NGO", "email street_address")
    ngo = get(db_file, "NGO-1", "sending", "phone", "verified_by", "user_fields")
    assert ngo == ("UA", "+1 202 349 2920", "Ana's NGO", "phone")
    (event,) = q(db_file, "SELECT kind, subject, actor, data FROM event WHERE id > ?", events)
    data = json.loads(event[3])
    assert event[:3] == ("embassies.merged", "file:verified.csv", "tester")
    assert data["missions"][FR] == {"fields": ["email", "street_address"], "verified_on": verified_on}
    assert data["added"] == 1 and len(data["sha256"]) == 64
    # a colleague's corrections are yours now: the shipped data does not undo them
    plea("init")
    assert get(db_file, FR, "email", "street_address") == ("visa@ambafrance.example", "4101 Reservoir Rd NW")


def test_verified_wins_over_unverified_on_both_sides(plea, db_file: Path, theirs: Path,
                                                     tmp_path: Path) -> None:
    plea("embassies", "edit", FR, "--phone", "+1 202 000 0000")  # ours: not verified
    as_them(plea, theirs, "embassies", "edit", FR, "--phone", "+1 202 944 6000", "--verified")
    plea("embassies", "edit", DE, "--email", "ours@diplo.example", "--verified")  # ours: verified
    as_them(plea, theirs, "embassies", "edit", DE, "--email", "theirs@diplo.example")
    r = plea("embassies", "import", str(export_theirs(plea, theirs, tmp_path)), "--json")
    data = json.loads(r.stdout)
    assert (data["merged"], data["updated"], data["kept_ours"], data["conflicts"]) == (True, 1, 1, 0)
    assert get(db_file, FR, "phone", "verified_by") == ("+1 202 944 6000", "Ana's NGO")
    assert get(db_file, DE, "email", "verified_by") == ("ours@diplo.example", "tester")


def test_two_verified_values_conflict_until_you_choose(days: Days, plea, db_file: Path, theirs: Path,
                                                       tmp_path: Path) -> None:
    plea("embassies", "edit", FR, "--email", "ours@ambafrance.example", "--verified")
    as_them(plea, theirs, "embassies", "edit", FR, "--email", "theirs@ambafrance.example", "--verified")
    as_them(plea, theirs, "embassies", "edit", IT, "--email", "it@esteri.example", "--verified")
    exported = export_theirs(plea, theirs, tmp_path)
    ((ours_on,), (theirs_on,)) = get(db_file, FR, "verified_on"), get(theirs, FR, "verified_on")
    assert ours_on in days and theirs_on in days
    # verified on the same day, a tie for --prefer newer below (the days differ only if the test
    # crossed midnight between the two edits: the file then says ours)
    exported.write_text(exported.read_text(encoding="utf-8-sig").replace(
        f",{theirs_on},Ana's NGO,", f",{ours_on},Ana's NGO,"), encoding="utf-8-sig")
    before = q(db_file, "SELECT * FROM mission ORDER BY id")
    events = q(db_file, "SELECT count(*) FROM event")

    r = plea("embassies", "import", str(exported), code=6)
    assert (f"plea: error: {exported}: 1 conflict(s) between your values and theirs; "
            "nothing was imported") in r.stderr
    assert (f"{FR} France (FR) in US, email: yours 'ours@ambafrance.example' (verified {ours_on} by tester), "
            f"theirs 'theirs@ambafrance.example' (verified {ours_on} by Ana's NGO)") in r.stderr
    assert "--prefer theirs, --prefer ours or --prefer newer" in r.stderr
    assert q(db_file, "SELECT * FROM mission ORDER BY id") == before  # not even Italy's was taken
    assert q(db_file, "SELECT count(*) FROM event") == events

    r = plea("embassies", "import", str(exported), "--json", code=6)
    data = json.loads(r.stdout)
    assert data["conflicts"] == 1 and data["conflicts_list"][0]["field"] == "email"
    assert data["conflicts_list"][0]["theirs"] == "theirs@ambafrance.example"

    # a tie on the date: --prefer newer cannot decide either
    plea("embassies", "import", str(exported), "--prefer", "newer", code=6)

    r = plea("embassies", "import", str(exported), "--prefer", "ours")
    assert "1 of your values kept" in r.stdout and "1 conflict(s) settled with --prefer ours" in r.stdout
    assert get(db_file, FR, "email", "verified_by") == ("ours@ambafrance.example", "tester")
    assert get(db_file, IT, "email") == ("it@esteri.example",)

    plea("embassies", "import", str(exported), "--prefer", "theirs")
    assert get(db_file, FR, "email") == ("theirs@ambafrance.example",)


def test_prefer_newer_takes_the_more_recent_verification(days: Days, plea, db_file: Path, theirs: Path,
                                                         tmp_path: Path) -> None:
    plea("embassies", "edit", FR, "--email", "ours@ambafrance.example", "--verified")
    as_them(plea, theirs, "embassies", "edit", FR, "--email", "theirs@ambafrance.example", "--verified")
    exported = export_theirs(plea, theirs, tmp_path)
    ((ours_on,), (theirs_on,)) = get(db_file, FR, "verified_on"), get(theirs, FR, "verified_on")
    assert ours_on in days and theirs_on in days
    text = exported.read_text(encoding="utf-8-sig")
    older = text.replace(f",{theirs_on},Ana's NGO,", ",2024-01-02,Ana's NGO,")
    assert older != text
    exported.write_text(older, encoding="utf-8")
    plea("embassies", "import", str(exported), "--prefer", "newer")
    assert get(db_file, FR, "email", "verified_on") == ("ours@ambafrance.example", ours_on)
    # and the other way round
    execute(db_file, ("UPDATE mission SET verified_on='2023-05-06' WHERE id=?", (FR,)))
    plea("embassies", "import", str(exported), "--prefer", "newer")
    got = get(db_file, FR, "email", "verified_on", "verified_by")
    assert got == ("theirs@ambafrance.example", "2024-01-02", "Ana's NGO")


def test_prefer_only_for_files_of_verified_corrections(plea, db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("id,sending,host\nU-1,FR,LT\n")
    r = plea("embassies", "import", str(path), "--prefer", "theirs", code=3)
    assert "--prefer goes with a file of verified corrections" in r.stderr
    plea("embassies", "edit", FR, "--email", "a@example.org", "--verified")
    out = tmp_path / "v.csv"
    plea("embassies", "export", "--verified-only", str(out))
    r = plea("embassies", "import", str(out), "--prefer", "mine", code=3)
    assert "--prefer: 'mine' is not one of theirs, ours, newer" in r.stderr


def test_bad_edited_fields_are_refused(plea, db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(f"id,sending,host,email,edited_fields\n{FR},FR,US,a@example.org,email verified_by\n")
    r = plea("embassies", "import", str(path), code=3)
    assert f"{path}:2: edited_fields: not an editable field 'verified_by'" in r.stderr
