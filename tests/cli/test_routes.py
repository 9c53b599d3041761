"""Web forms and the authority that can act (issue 21, Deliver 4 and 5): the web-form worklist, routes with
their sources in `letters plan`, referrals that make an authority the next recipient, bad route files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.dbcheck import rows

HEADER = "state,protection,authority,channel,url,documents,deadline,notes,source_url,checked_on\n"
FORM = "https://example.org/fr/contact-form"
SOURCE = "https://example.org/de/humanitarian-visa"


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea(
        "cases",
        "add",
        "--name",
        "Ivan Petrov",
        "--nationality",
        "RU",
        "--country",
        "US",
        "--persecution",
        "He was arrested twice for posts against the war.",
        "--reply-to",
        "answers@example.org",
    ).stdout.strip()


def plan(plea, ref: str, *args: str) -> dict:
    return json.loads(plea("letters", "plan", ref, "--json", "--host", "US", *args).stdout)


def ministries(tmp_path: Path) -> Path:
    path = tmp_path / "ministries.csv"
    path.write_text(
        "id,sending,host,city,kind,website\n"
        "FR-MEAE,FR,FR,Paris,foreign-ministry,https://www.diplomatie.gouv.fr/\n"
        "DE-AA,DE,DE,Berlin,foreign-ministry,https://www.auswaertiges-amt.de/\n"
        "DE-BAMF,DE,DE,Nuremberg,migration-authority,https://www.bamf.de/\n",
        encoding="utf-8",
    )
    return path


# -- web forms -------------------------------------------------------------------------------------


def test_web_form_worklist_prints_url_subject_and_the_rendered_text(
    one_day: None, plea, case: str, db_file: Path, tmp_path: Path
) -> None:
    """The worklist's text and the rendered letter are the same on the same day (one_day: the
    letter carries the day it is written)."""
    fr = plan(plea, case, "--to", "FR")["recipients"][0]["mission"]
    plea("embassies", "edit", fr, "--web-form", FORM)
    assert rows(db_file, "SELECT web_form, user_fields FROM mission WHERE id = ?", fr)[0][0] == FORM
    r = plea("letters", "worklist", case, "--via", "web-form", "--to", "FR,DE", "--host", "US")
    # the text to paste is the letter exactly as `letters render --format txt` writes it
    plea(
        "letters",
        "render",
        case,
        "--to",
        "FR",
        "--host",
        "US",
        "--format",
        "txt",
        "--out",
        str(tmp_path / "o"),
    )
    [txt] = (tmp_path / "o").glob("*.txt")
    text = txt.read_text(encoding="utf-8").rstrip()
    head, body = r.stdout.split("\n\n", 1)
    assert head.splitlines()[0].startswith(f"== France (FR) · {fr} · fr")
    assert head.splitlines()[1] == f"URL: {FORM}"
    assert head.splitlines()[2].startswith("Subject: ") and len(head.splitlines()[2]) > len("Subject: ")
    assert body == text + "\n"
    de = plan(plea, case, "--to", "DE")["recipients"][0]["mission"]
    assert (
        f"left out, no web form known (1): Germany (DE), {de}; add one with `plea embassies edit ID --web-form URL`\n"
        in r.stderr
    )
    data = json.loads(plea("letters", "worklist", case, "--to", "FR,DE", "--host", "US", "--json").stdout)
    [item] = data["forms"]
    assert item == {
        "state": "FR",
        "mission": fr,
        "url": FORM,
        "subject": head.splitlines()[2][len("Subject: ") :],
        "lang": "fr",
        "text": txt.read_text(encoding="utf-8")[: len(item["text"])],
    }
    assert item["text"].rstrip() == text
    assert data["left_out"] == [{"state": "DE", "mission": de}]


def test_worklist_refuses_other_channels_and_bad_web_forms(plea, case: str, db_file: Path) -> None:
    r = plea("letters", "worklist", case, "--via", "email", code=3)
    assert r.stderr == (
        "plea: error: --via: 'email' has no worklist; the worklist is for web-form "
        "(render letters for other channels with `plea letters render`)\n"
    )
    fr = plan(plea, case, "--to", "FR")["recipients"][0]["mission"]
    r = plea("embassies", "edit", fr, "--web-form", "contact page", code=3)
    assert (
        "--web-form: not a valid web address 'contact page' (it should start with https:// or http://)"
        in r.stderr
    )
    assert rows(db_file, "SELECT web_form FROM mission WHERE id = ?", fr) == [("",)]


def test_web_form_column_imports_and_exports(plea, db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "id,sending,host,city,kind,web_form\nX1,FR,US,Washington,consulate,https://example.org/f\n",
        encoding="utf-8",
    )
    plea("embassies", "import", str(path))
    assert rows(db_file, "SELECT web_form FROM mission WHERE id = 'X1'") == [("https://example.org/f",)]
    header = plea("embassies", "export", "--host", "US", "--csv").stdout.splitlines()[0].split(",")
    assert header.index("web_form") == header.index("website") + 1
    exported = {m["id"]: m for m in json.loads(plea("embassies", "export", "--host", "US", "--json").stdout)}
    assert exported["X1"]["web_form"] == "https://example.org/f"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sending,host,kind,web_form\nX2,FR,US,consulate,ftp://example.org\n", encoding="utf-8")
    r = plea("embassies", "import", str(bad), code=3)
    assert f"{bad}:2: web_form: not a valid web address 'ftp://example.org'" in r.stderr
    assert rows(db_file, "SELECT count(*) FROM mission WHERE id = 'X2'") == [(0,)]


def test_sent_via_web_form_keeps_the_screenshot(plea, case: str, db_file: Path, tmp_path: Path) -> None:
    plea(
        "letters",
        "render",
        case,
        "--to",
        "FR",
        "--host",
        "US",
        "--format",
        "md",
        "--out",
        str(tmp_path / "o"),
    )
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    plea("letters", "sent", case, "--to", "FR", "--via", "web-form", "--proof", str(shot))
    [(via, sha)] = rows(db_file, "SELECT via, proof_sha256 FROM letter_event WHERE status = 'sent'")
    import hashlib

    assert (via, sha) == ("web-form", hashlib.sha256(shot.read_bytes()).hexdigest())


# -- authorities, routes and referrals --------------------------------------------------------------


def test_authorities_are_never_resident_missions(plea, db_file: Path, tmp_path: Path) -> None:
    before = json.loads(plea("embassies", "coverage", "--host", "FR", "--json").stdout)["totals"]
    plea("embassies", "import", str(ministries(tmp_path)))
    after = json.loads(plea("embassies", "coverage", "--host", "FR", "--json").stdout)["totals"]
    assert after == before
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sending,host,kind\nX3,FR,US,interior-ministry\n", encoding="utf-8")
    r = plea("embassies", "import", str(bad), code=3)
    assert f"{bad}:2: host: a interior-ministry is in its own state: host should be FR" in r.stderr


def test_route_with_its_source_shows_in_letters_plan(
    plea, case: str, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plea("embassies", "import", str(ministries(tmp_path)))
    checked = date.today().isoformat()
    assert (
        plea(
            "routes",
            "add",
            "Germany",
            "humanitarian-visa",
            "--authority",
            "DE-AA",
            "--channel",
            "in-person",
            "--url",
            "https://example.org/de/visa",
            "--documents",
            "passport; proof of danger",
            "--source-url",
            SOURCE,
            "--checked-on",
            checked,
        ).stdout
        == "DE humanitarian-visa\n"
    )
    data = plan(plea, case, "--to", "FR,DE")
    by = {r["state"]: r for r in data["recipients"]}
    assert by["FR"]["route"] is None
    assert by["DE"]["route"] == {
        "state": "DE",
        "protection": "humanitarian-visa",
        "authority": "DE-AA",
        "channel": "in-person",
        "url": "https://example.org/de/visa",
        "documents": "passport; proof of danger",
        "deadline": "",
        "notes": "",
        "source_url": SOURCE,
        "checked_on": checked,
        "stale": False,
    }
    assert by["DE"]["why"].endswith(
        f"; route: humanitarian-visa is decided by DE-AA by in-person, "
        f"https://example.org/de/visa (source {SOURCE}, checked {checked})"
    )
    assert (
        by["DE"]["mission"] != "DE-AA"
    )  # the letter still goes to the embassy; the route explains who decides
    monkeypatch.setenv("COLUMNS", "400")  # one line per row: the why column whole
    r = plea("letters", "plan", case, "--to", "DE", "--host", "US")
    assert "route: humanitarian-visa is decided by DE-AA by in-person" in r.stdout and SOURCE in r.stdout
    assert "warning: the route" not in r.stderr
    # checked longer ago than the contact age limit: a warning
    plea("config", "set", "contact_max_age_days", "30")
    old = (date.today() - timedelta(days=31)).isoformat()
    plea("routes", "edit", "DE", "humanitarian-visa", "--checked-on", old)
    r = plea("letters", "plan", case, "--to", "DE", "--host", "US")
    assert (
        f"warning: the route for Germany (DE) was checked on {old}, more than 30 days ago: check {SOURCE} "
        f"and update it with `plea routes edit DE humanitarian-visa --checked-on …`\n"
    ) in r.stderr
    assert plan(plea, case, "--to", "DE")["recipients"][0]["route"]["stale"] is True
    assert rows(db_file, "SELECT state, authority, checked_on FROM route") == [("DE", "DE-AA", old)]
    kinds = [k for (k,) in rows(db_file, "SELECT kind FROM event WHERE kind LIKE 'route.%' ORDER BY id")]
    assert kinds == ["route.added", "route.edited"]


def test_routes_import_export_and_remove(plea, db_file: Path, tmp_path: Path) -> None:
    plea("embassies", "import", str(ministries(tmp_path)))
    good = tmp_path / "routes.csv"
    good.write_text(
        HEADER + f"DE,asylum,DE-BAMF,in-person,,,,,{SOURCE},2026-01-05\n"
        f"FR,humanitarian-visa,,post,,,,,https://example.org/fr,2026-02-01\n",
        encoding="utf-8",
    )
    plea("routes", "import", str(good))
    exported = plea("routes", "export").stdout
    assert exported == good.read_text(encoding="utf-8")
    assert [r["state"] for r in json.loads(plea("routes", "list", "--json").stdout)] == ["DE", "FR"]
    plea("routes", "remove", "FR", "humanitarian-visa")
    assert rows(db_file, "SELECT state, protection FROM route") == [("DE", "asylum")]
    r = plea("routes", "remove", "FR", "humanitarian-visa", code=4)
    assert r.stderr == "plea: error: no route for FR humanitarian-visa\n  list them with `plea routes list`\n"


def test_bad_route_csv_is_refused_with_every_problem_and_imports_nothing(
    plea, db_file: Path, tmp_path: Path
) -> None:
    plea("embassies", "import", str(ministries(tmp_path)))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + f"DE,asylum,DE-BAMF,in-person,,,,,{SOURCE},2026-01-05\n"
        "FR,humanitarian-visa,,,,,,,,2026-02-01\n"
        "DE,visa,DE-XX,pigeon,,,,,https://example.org/x,yesterday\n"
        f"DE,asylum,FR-MEAE,,,,,,{SOURCE},2026-01-05\n",
        encoding="utf-8",
    )
    r = plea("routes", "import", str(bad), code=3)
    assert r.stderr == (
        f"plea: error: {bad}: 7 problem(s); nothing was imported\n"
        f"{bad}:3: source_url: missing value: every route needs the official page it was read from\n"
        f"{bad}:4: protection: 'visa' is not one of humanitarian-visa, asylum, resettlement, safe-passage\n"
        f"{bad}:4: channel: 'pigeon' is not one of post, email, web-form, in-person\n"
        f"{bad}:4: checked_on: not a date 'yesterday' (use YYYY-MM-DD)\n"
        f"{bad}:4: authority: no mission with id 'DE-XX' in the directory "
        "(add it with `plea embassies import`)\n"
        f"{bad}:5: authority: 'FR-MEAE' is a mission of FR, not of DE\n"
        f"{bad}:5: protection: a second route for DE asylum (first on line 2)\n"
    )
    assert rows(db_file, "SELECT count(*) FROM route") == [(0,)]
    header = tmp_path / "header.csv"
    header.write_text("state,protection,where\nDE,asylum,x\n", encoding="utf-8")
    r = plea("routes", "import", str(header), code=3)
    assert r.stderr == (
        f"plea: error: {header}:1: header: unknown column(s) where; missing column(s) source_url, "
        "checked_on; the columns are state,protection,authority,channel,url,documents,deadline,"
        "notes,source_url,checked_on; nothing was imported\n"
    )
    r = plea("routes", "add", "DE", "asylum", "--checked-on", "2026-01-05", code=3)
    assert r.stderr == (
        "plea: error: the route was not added:\n"
        "--source-url: missing value: every route needs the official page it was read from\n"
    )


def test_shipped_routes_file_imports(plea, db_file: Path) -> None:
    shipped = Path(__file__).parents[2] / "data" / "routes.csv"
    assert shipped.read_text(encoding="utf-8").splitlines()[0] == HEADER.strip()
    plea("routes", "import", "--shipped")
    n = len(shipped.read_text(encoding="utf-8").splitlines()) - 1
    assert rows(db_file, "SELECT count(*) FROM route") == [(n,)]


def test_referral_makes_the_authority_the_next_recipient(
    plea, case: str, db_file: Path, tmp_path: Path
) -> None:
    plea("embassies", "import", str(ministries(tmp_path)))
    embassy = plan(plea, case, "--to", "FR")["recipients"][0]["mission"]
    plea(
        "letters",
        "render",
        case,
        "--to",
        "FR,DE",
        "--host",
        "US",
        "--format",
        "md",
        "--out",
        str(tmp_path / "o"),
    )
    plea("letters", "sent", case, "--to", "FR,DE", "--via", "post", "--on", "2026-01-02", "--force")
    r = plea(
        "responses",
        "log",
        case,
        "FR",
        "--outcome",
        "negative",
        "--to-authority",
        "FR-MEAE",
        "--on",
        "2026-01-20",
        code=3,
    )
    assert r.stderr == "plea: error: --to-authority goes with --outcome referred\n"
    r = plea(
        "responses",
        "log",
        case,
        "FR",
        "--outcome",
        "referred",
        "--to-authority",
        "DE-AA",
        "--on",
        "2026-01-20",
        code=3,
    )
    assert r.stderr == "plea: error: --to-authority: 'DE-AA' is a mission of DE, not of FR\n"
    r = plea(
        "responses",
        "log",
        case,
        "FR",
        "--outcome",
        "referred",
        "--to-authority",
        "FR-NOPE",
        "--on",
        "2026-01-20",
        code=4,
    )
    assert r.stderr.startswith("plea: error: --to-authority: no mission with id 'FR-NOPE'\n")
    assert rows(db_file, "SELECT count(*) FROM response") == [(0,)]
    r = plea(
        "responses",
        "log",
        case,
        "FR",
        "--outcome",
        "referred",
        "--to-authority",
        "FR-MEAE",
        "--on",
        "2026-01-20",
        "--summary",
        "Write to the ministry.",
    )
    assert "to FR-MEAE, which receives the next letter" in r.stderr
    assert rows(db_file, "SELECT state, outcome, referred_to FROM response") == [
        ("FR", "referred", "FR-MEAE")
    ]
    by = {x["state"]: x for x in plan(plea, case, "--to", "FR,DE")["recipients"]}
    assert (by["FR"]["mission"], by["FR"]["how"]) == ("FR-MEAE", "referred")
    assert by["FR"]["why"].endswith(
        "; France referred the case to FR-MEAE (foreign-ministry) in its answer of 2026-01-20"
    )
    assert by["DE"]["mission"] != "DE-AA" and by["DE"]["how"] != "referred"
    # the next letter goes there: rendering writes a letter to the ministry
    plea(
        "letters",
        "render",
        case,
        "--to",
        "FR",
        "--host",
        "US",
        "--letter",
        "follow-up",
        "--format",
        "md",
        "--out",
        str(tmp_path / "o2"),
    )
    assert rows(db_file, "SELECT mission_id FROM letter WHERE letter = 'follow-up'") == [("FR-MEAE",)]
    assert embassy != "FR-MEAE"
    # a later answer that is not a referral ends it
    plea("responses", "log", case, "FR", "--outcome", "acknowledged", "--on", "2026-02-01")
    assert plan(plea, case, "--to", "FR")["recipients"][0]["mission"] == embassy
    assert json.loads(plea("responses", "list", "--json").stdout)[0]["referred_to"] == "FR-MEAE"


def test_refresh_keeps_web_forms(plea, db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wikidata has no contact-form property (data/README.md): a refresh that changes a mission keeps its form
    from plea.directory import wikidata
    from tests.sparql_server import SparqlServer

    monkeypatch.setattr(wikidata.time, "sleep", lambda _s: None)
    plea(
        "embassies", "edit", "Q2841718", "--web-form", FORM
    )  # France in the US; the answer changes its phone
    with SparqlServer({"US": "us_missions.json"}) as server:
        monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", server.url)
        plea("embassies", "refresh", "--host", "US")
    assert rows(db_file, "SELECT web_form, phone FROM mission WHERE id = 'Q2841718'") == [
        (FORM, "+1-202-944-6195")
    ]


def test_worklist_needs_consent_to_web_forms(plea, case: str, db_file: Path) -> None:
    fr = plan(plea, case, "--to", "FR")["recipients"][0]["mission"]
    plea("embassies", "edit", fr, "--web-form", FORM)
    plea("consent", "add", case, "--states", "all", "--channels", "email,post")
    r = plea("letters", "worklist", case, "--to", "FR", "--host", "US", code=6)
    assert (
        r.stderr.startswith("plea: error: ") and "does not cover web-form (it covers email, post)" in r.stderr
    )
    r = plea("letters", "worklist", case, "--to", "FR", "--host", "US", "--without-consent")
    assert f"URL: {FORM}" in r.stdout
    assert rows(db_file, "SELECT data FROM event WHERE kind = 'consent.overridden'") == [
        ('{"command": "letters worklist"}',)
    ]


def test_a_route_read_on_its_own_page_is_cited_once(plea, case: str) -> None:
    page = "https://example.org/ch/humanitarian-visa"
    plea(
        "routes",
        "add",
        "CH",
        "humanitarian-visa",
        "--url",
        page,
        "--source-url",
        page,
        "--checked-on",
        "2026-01-05",
    )
    [ch] = plan(plea, case, "--to", "CH")["recipients"]
    assert ch["why"].endswith(
        f"; route: humanitarian-visa is decided by an authority not in the directory, {page} "
        "(checked 2026-01-05)"
    )


def test_a_route_to_an_authority_that_takes_letters_gets_the_letter(plea, case: str, db_file: Path,
                                                                   tmp_path: Path) -> None:
    plea("embassies", "import", str(ministries(tmp_path)))
    embassy = plan(plea, case, "--to", "FR")["recipients"][0]["mission"]
    plea("routes", "add", "FR", "humanitarian-visa", "--authority", "FR-MEAE", "--channel", "post",
         "--source-url", "https://example.org/fr/visa", "--checked-on", "2026-01-05")
    [fr] = plan(plea, case, "--to", "FR")["recipients"]
    assert (fr["mission"], fr["how"], fr["lang"]) == ("FR-MEAE", "route", "fr")
    assert fr["why"] == ("official language of France; route: humanitarian-visa is decided by FR-MEAE by post "
                         "(source https://example.org/fr/visa, checked 2026-01-05); the letter goes to FR-MEAE")
    plea("letters", "render", case, "--to", "FR", "--host", "US", "--format", "md", "--out", str(tmp_path / "o"))
    assert rows(db_file, "SELECT mission_id FROM letter") == [("FR-MEAE",)]
    # a referral (the state's own answer) goes first
    plea("letters", "sent", case, "--to", "FR", "--via", "post", "--on", "2026-01-06", "--force")
    plea("responses", "log", case, "FR", "--outcome", "referred", "--to-authority", embassy, "--on", "2026-01-20")
    [fr] = plan(plea, case, "--to", "FR")["recipients"]
    assert (fr["mission"], fr["how"]) == (embassy, "referred")
    assert fr["route"]["authority"] == "FR-MEAE"


def test_add_and_edit_share_their_options(plea) -> None:
    import inspect

    from plea.cli import routes

    for command in (routes.add, routes.edit):
        options = [name for name in inspect.signature(command).parameters if name not in ("state", "protection")]
        assert options == list(routes.ROUTE_OPTIONS), command.__name__
    add_help = plea("routes", "add", "--help").stdout
    edit_help = plea("routes", "edit", "--help").stdout
    options_of = lambda text: text[text.index("Options:"):]  # noqa: E731
    assert options_of(add_help) == options_of(edit_help)
    assert "--checked-on <str>  The day you read it, YYYY-MM-DD." in add_help


def _recipient_block(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    block = text.split("::: recipient\n", 1)[1].split("\n:::", 1)[0]
    return block.splitlines()


def test_an_authority_is_addressed_by_its_own_name(plea, case: str, db_file: Path, tmp_path: Path) -> None:
    """A ministry reached by a route is addressed by the name the directory gives it; without one the
    command warns that the letter names it after its kind (a migration authority is no diplomatic mission)."""
    plea("embassies", "import", str(ministries(tmp_path)))
    plea("routes", "add", "DE", "humanitarian-visa", "--authority", "DE-BAMF", "--channel", "post",
         "--source-url", SOURCE, "--checked-on", "2026-01-05")
    out = tmp_path / "unnamed"
    r = plea("letters", "render", case, "--to", "DE", "--host", "US", "--format", "md", "--out", str(out))
    warning = ("warning: DE-BAMF (migration-authority) has no name of its own: its letter would name it after "
               "its kind and state; add the name its own site uses: `plea embassies edit DE-BAMF --name …`\n")
    assert warning in r.stderr
    [letter] = out.glob("*.md")
    assert "Bundesamt" not in letter.read_text(encoding="utf-8")
    plea("embassies", "edit", "DE-BAMF", "--name", "Bundesamt für Migration und Flüchtlinge")
    assert rows(db_file, "SELECT name, user_fields FROM mission WHERE id = 'DE-BAMF'") == [
        ("Bundesamt für Migration und Flüchtlinge", "name")]
    named = tmp_path / "named"
    r = plea("letters", "render", case, "--to", "DE", "--host", "US", "--format", "md", "--out", str(named))
    assert "no name of its own" not in r.stderr
    [letter] = named.glob("*.md")
    assert _recipient_block(letter)[0] == "Bundesamt für Migration und Flüchtlinge"
    # the name is part of what the letter is made from: the earlier folder's letter is out of date
    r = plea("letters", "render", case, "--to", "DE", "--host", "US", "--format", "md", "--out", str(out))
    assert "1 file(s) written" in r.stderr
    assert _recipient_block(next(out.glob("*.md")))[0] == "Bundesamt für Migration und Flüchtlinge"


def test_the_name_column_imports_exports_and_is_one_line(plea, db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "named.csv"
    path.write_text("id,sending,host,city,kind,name,website\n"
                    "FR-MI,FR,FR,Paris,interior-ministry,Ministère de l’Intérieur,https://www.interieur.gouv.fr/\n",
                    encoding="utf-8")
    plea("embassies", "import", str(path))
    exported = plea("embassies", "export").stdout.splitlines()
    assert exported[0].split(",")[:6] == ["id", "sending", "host", "city", "kind", "name"]
    row = next(line for line in exported if line.startswith("FR-MI,"))
    assert row.split(",")[5] == "Ministère de l’Intérieur"
    shown = json.loads(plea("embassies", "show", "FR-MI", "--json").stdout)
    assert shown["name"] == "Ministère de l’Intérieur"
    r = plea("embassies", "edit", "FR-MI", "--name", "x" * 201, code=3)
    assert r.stderr == ("plea: error: nothing was changed:\n--name: a name is one line of at most 200 characters "
                        "(the addressee's first line)\n")


def test_a_mission_without_a_name_hashes_as_before_the_name_existed() -> None:
    """Migration 0017 added Mission.name: letters rendered before it are not rendered again for it."""
    from types import SimpleNamespace

    from plea.letters.inputs import SharedInputs, sha_of

    before = ("id", "sending", "host", "city", "kind", "street_address", "postcode", "area", "email", "phone",
              "website")  # plea.render.context.MISSION_FIELDS until 0017
    fields = {"id": "Q1", "sending": "FR", "host": "US", "city": "Washington", "kind": "embassy",
              "street_address": "4101 Reservoir Road NW", "postcode": "20007", "area": "DC", "email": "",
              "phone": "", "website": ""}
    assert SharedInputs().sha(SimpleNamespace(**fields, name="")) == sha_of({k: fields[k] for k in before})
    assert SharedInputs().sha(SimpleNamespace(**fields, name="Ambassade de France")) != sha_of(fields)


def test_an_envelope_names_an_authority_as_its_letter_does() -> None:
    from types import SimpleNamespace

    from plea.post.mailing import mission_name

    bamf = SimpleNamespace(kind="migration-authority", sending="DE", host="DE",
                           name="Bundesamt für Migration und Flüchtlinge")
    assert mission_name(bamf) == "Bundesamt für Migration und Flüchtlinge"
    assert mission_name(SimpleNamespace(kind="embassy", sending="FR", host="US", name="")) == "Embassy of France"


def test_importing_authorities_without_names_warns(plea, db_file: Path, tmp_path: Path) -> None:
    r = plea("embassies", "import", str(ministries(tmp_path)))
    assert r.stderr == ("warning: 3 authority(ies) without a name of their own (DE-AA, DE-BAMF, FR-MEAE): "
                        "their letters would name them after their kind and state; add a name column (the "
                        "name each one's own site uses), or `plea embassies edit ID --name …`\n")
    named = tmp_path / "named.csv"
    named.write_text("id,sending,host,city,kind,name\nDE-AA,DE,DE,Berlin,foreign-ministry,Auswärtiges Amt\n",
                     encoding="utf-8")
    r = plea("embassies", "import", str(named))
    assert "warning" not in r.stderr and r.stdout == "0 added, 1 updated, 0 unchanged\n"
    assert rows(db_file, "SELECT name FROM mission WHERE id = 'DE-AA'") == [("Auswärtiges Amt",)]


def test_a_batch_writes_where_letters_render_does_routes_and_referrals(
    plea, case: str, db_file: Path, tmp_path: Path
) -> None:
    """`plea batch` follows the same routes and referrals as `letters render`: a state whose route for the
    client's protection names an authority that takes letters gets one letter there, in place of its
    missions in every host, byte for byte the letter `letters render` writes; a route by a channel the
    authority takes no letters by leaves the letters with the missions; a referral goes first."""
    plea("embassies", "import", str(ministries(tmp_path)))
    plea("embassies", "edit", "FR-MEAE", "--name", "Ministère de l’Europe et des Affaires étrangères")
    checked = date.today().isoformat()
    plea("routes", "add", "FR", "humanitarian-visa", "--authority", "FR-MEAE", "--channel", "post",
         "--source-url", "https://example.org/fr/visa", "--checked-on", checked)
    plea("routes", "add", "DE", "humanitarian-visa", "--authority", "DE-BAMF", "--channel", "in-person",
         "--source-url", SOURCE, "--checked-on", "2020-01-01")
    listed = plan(plea, case, "--to", "FR,DE", "--host", "GB")["recipients"]
    planned = {x["state"]: x["mission"] for x in listed}
    assert planned["FR"] == "FR-MEAE" and planned["DE"] != "DE-BAMF"  # letters plan: the same rule

    def batch(out: Path, *args: str):
        return plea("batch", "--out", str(out), "--host", "US,GB", "--to", "FR,DE", "--format", "md", *args)

    r = batch(tmp_path / "dry", "--dry-run")
    told = "the authority that decides gets the letter, not the embassies: FR → FR-MEAE (by the route)\n"
    assert f"{case}: {told}" in r.stderr
    assert "warning: the route for Germany (DE) was checked on 2020-01-01, more than " in r.stderr  # said once
    assert r.stderr.count("the route for Germany") == 1
    out = tmp_path / "batch"
    r = batch(out, "--json")
    routed = {"state": "FR", "mission": "FR-MEAE", "how": "route"}
    assert json.loads(r.stdout)["redirected"] == {case: [routed]}
    assert "1 letter(s) for 1 client(s) go to the authority that decides" in r.stderr
    written = rows(db_file, "SELECT l.mission_id, m.sending, m.host FROM letter l "
                            "JOIN mission m ON m.id = l.mission_id ORDER BY m.sending, m.host")
    assert [(s, h) for _, s, h in written] == [("DE", "GB"), ("DE", "US"), ("FR", "FR")]  # FR: one letter
    assert written[2][0] == "FR-MEAE" and "DE-BAMF" not in {w[0] for w in written}  # DE's route is in person
    [ministry] = (out / case).glob(f"{case}_FR-FR_*.md")
    single = tmp_path / "render"
    plea("letters", "render", case, "--to", "FR", "--host", "US", "--format", "md", "--out", str(single))
    assert (single / ministry.name).read_bytes() == ministry.read_bytes()
    assert "Ministère de l’Europe et des Affaires étrangères" in ministry.read_text(encoding="utf-8")
    # the state's own answer goes first: its referral wins over the missions and the route
    plea("letters", "sent", case, "--to", "DE", "--via", "post", "--on", "2026-01-02", "--force")
    plea("responses", "log", case, "DE", "--outcome", "referred", "--to-authority", "DE-AA",
         "--on", "2026-01-20")
    r = batch(tmp_path / "after", "--json")
    referred = {"state": "DE", "mission": "DE-AA", "how": "referred"}
    assert json.loads(r.stdout)["redirected"] == {case: [routed, referred]}
    assert "warning: DE-AA (foreign-ministry) has no name of its own" in r.stderr  # FR-MEAE has one
    assert "FR-MEAE (foreign-ministry) has no name" not in r.stderr
    assert rows(db_file, "SELECT count(*) FROM letter WHERE mission_id = 'DE-AA'") == [(1,)]
