"""The one recipient rule (plea.recipients): every command that picks recipients resolves --to to the same
states for the same case, never writes to a threat state unless told twice, and holds cautioned states back
from `all` and groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbcheck import execute
from tests.dbcheck import rows as q

HOST = "US"


def add_case(plea, *extra: str) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "US",
                "--situation", "detained", "--persecution", "Arrested for posts against the war.",
                "--rep-name", "Jane Counsel", *extra).stdout.strip()


@pytest.fixture
def case(plea, db_file: Path, tmp_path: Path) -> str:
    """A Russian national's case with a first letter on record to every state `all` allows, every mission
    in the host with an email address (so that `send` leaves none out for want of one)."""
    execute(db_file, f"UPDATE mission SET email = 'mission-' || id || '@example.org' WHERE host = '{HOST}'")
    ref = add_case(plea)
    plea("letters", "render", ref, "--to", "all", "--host", HOST, "--out", str(tmp_path / "all"))  # send attaches DOCX
    plea("config", "set", "smtp.from", "Campaign <campaign@legal-aid.example>")
    return ref


def plan(plea, ref: str, *args: str, code: int = 0) -> dict:
    r = plea("letters", "plan", ref, "--host", HOST, "--json", *args, code=code)
    return json.loads(r.stdout) if code == 0 else {}


def stem_state(name: str) -> str:
    """The sending state in a file name plea made: REF_STATE[-HOST]_letter_lang.ext."""
    return name.split("_")[1].split("-")[0]


@pytest.mark.parametrize("to", ["all,-FR", "@eu,-DE,-@eaeu", "all,-@cis,Kazakhstan"])
def test_every_command_resolves_the_same_states(plea, db_file: Path, case: str, tmp_path: Path, to: str) -> None:
    expected = {r["state"] for r in plan(plea, case, "--to", to)["recipients"]}
    assert expected and "RU" not in expected
    if "-FR" in to:
        assert "FR" not in expected
    if "Kazakhstan" in to:  # a cautioned state named explicitly is written to
        assert "KZ" in expected and "BY" not in expected
    got: dict[str, set[str]] = {}
    r = plea("letters", "render", case, "--to", to, "--host", HOST, "--out", str(tmp_path / "r"), "--json")
    got["letters render"] = {w["state"] for w in json.loads(r.stdout)}
    plea("batch", "--cases", case, "--to", to, "--host", HOST, "--out", str(tmp_path / "b"), "--format", "md")
    got["batch"] = {stem_state(p.name) for p in (tmp_path / "b").glob("*/*.md")}
    r = plea("send", case, "--to", to, "--dry-run", "--out", str(tmp_path / "eml"))
    got["send"] = {stem_state(Path(line).name) for line in r.stdout.split()}
    got["letters sent"] = set(plea("letters", "sent", case, "--to", to, "--via", "hand").stdout.split())
    plea("letters", "sent", case, "--to", "all", "--via", "email")  # every first letter sent, long ago:
    execute(db_file, "UPDATE letter_event SET \"on\" = '2020-01-02' WHERE status = 'sent'")
    r = plea("followups", case, "--to", to, "--json")
    got["followups"] = {row["state"] for row in json.loads(r.stdout)}
    got["letters bounced"] = set(plea("letters", "bounced", case, "--to", to).stdout.split())
    got["letters close"] = set(plea("letters", "close", case, "--to", to).stdout.split())
    for command, states in got.items():
        assert states == expected, command


def test_threat_state_is_held_back_named_refused_and_released_only_with_the_flag(
        plea, db_file: Path, case: str, tmp_path: Path, monkeypatch) -> None:
    data = plan(plea, case)
    assert "RU" not in {r["state"] for r in data["recipients"]}
    held = {h["state"]: h for h in data["held_back"]}
    assert held["RU"] == {"state": "RU", "source_url": "",
                          "reason": "threat state of this case: a letter would tell the persecutor where the person is"}
    before = q(db_file, "SELECT count(*) FROM letter")
    for command in (("letters", "plan", case, "--host", HOST),
                    ("letters", "render", case, "--host", HOST, "--out", str(tmp_path / "x")),
                    ("send", case, "--dry-run", "--out", str(tmp_path / "y")),
                    ("batch", "--cases", case, "--host", HOST, "--out", str(tmp_path / "z"))):
        r = plea(*command, "--to", "FR,Russia", code=3)
        assert r.stderr == (f"plea: error: --to: Russia (RU) is a threat state of {case}: a letter would tell the "
                            "persecutor where the person is\nnothing was written; to write anyway, name it and add "
                            "--unsafe-write-to-threat-state\n")
    assert q(db_file, "SELECT count(*) FROM letter") == before
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
    # `all` never releases it, even with the flag
    data = plan(plea, case, "--to", "all", "--unsafe-write-to-threat-state")
    assert "RU" not in {r["state"] for r in data["recipients"]}
    r = plea("letters", "render", case, "--to", "RU", "--unsafe-write-to-threat-state", "--host", HOST,
             "--out", str(tmp_path / "ru"), "--format", "md")
    assert r.stderr.startswith(f"WARNING: writing to Russia (RU), a threat state of {case}, because "
                               "--unsafe-write-to-threat-state was given\n")
    assert [p.name for p in (tmp_path / "ru").iterdir()] == [f"{case}_RU-{HOST}_humanitarian-visa_ru.md"]
    # now on record: status and doctor say so, with the date; recording commands may name it
    r = plea("status", case)
    assert f"WARNING: a letter to Russia (RU), a threat state of {case}, is on record (drafted, " in r.stderr
    assert f"{case}: a letter to Russia (RU), a threat state of the case, is on record" in plea("doctor").stdout
    monkeypatch.setenv("PLEA_LANG", "ru")  # and in Russian, the state named in Russian
    assert f"{case}: записано письмо государству угрозы дела Россия (RU) (drafted, " in plea("doctor").stdout
    monkeypatch.setenv("PLEA_LANG", "en")
    assert plea("letters", "sent", case, "--to", "RU", "--via", "hand").stdout.split() == ["RU"]
    assert "RU" not in plea("letters", "sent", case, "--to", "all", "--via", "hand").stdout.split()


def test_cautioned_states_are_held_back_with_their_source_and_released_by_name(plea, case: str) -> None:
    data = plan(plea, case)
    held = {h["state"]: h for h in data["held_back"]}
    cautions = json.loads(plea("cautions", "list", "--threat", "RU", "--json").stdout)
    with_mission = {r["state"] for r in data["recipients"]} | set(held)
    assert {c["state"] for c in cautions} & with_mission == set(held) - {"RU"}
    for c in cautions:
        if c["state"] in held:
            assert held[c["state"]] == {"state": c["state"], "reason": c["reason"], "source_url": c["source_url"]}
    r = plea("letters", "plan", case, "--to", "@cis,FR", "--host", HOST)
    assert "held back (" in r.stderr and "Kazakhstan (KZ): " in r.stderr
    r = plea("letters", "plan", case, "--to", "KZ,FR", "--host", HOST)
    assert "warning: writing to Kazakhstan (KZ), named in --to although it is cautioned: " in r.stderr


def test_cautions_are_the_users_to_change_and_survive_init(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    plea("cautions", "add", "RU", "Turkey", "--reason", "extradited a critic at Russia's request",
         "--source-url", "https://example.org/report", "--kind", "extradition record")
    plea("cautions", "remove", "RU", "KZ")
    plea("init")  # re-reads the shipped directory: the user's rows stay
    held = {h["state"] for h in plan(plea, case)["held_back"]}
    assert "TR" in held and "KZ" not in held
    assert q(db_file, "SELECT state, action FROM caution ORDER BY state") == [("KZ", "remove"), ("TR", "add")]
    bad = tmp_path / "bad.csv"
    bad.write_text("threat_state,state,reason,kind,source_url,source_title,retrieved\n"
                   "RU,IN,hands people over,treaty,,,2026-12-01\n", encoding="utf-8")
    r = plea("cautions", "import", str(bad), code=3)
    assert r.stderr == (f"plea: error: {bad}: 1 problem(s); nothing was imported\n"
                        f"{bad}:2: source_url: missing: every caution needs the public source that states it (a URL)\n")
    assert q(db_file, "SELECT count(*) FROM caution") == [(2,)]


def test_to_grammar_errors_write_nothing(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    before = q(db_file, "SELECT count(*) FROM rendition")
    r = plea("letters", "render", case, "--to", "all,XX", "--host", HOST, "--out", str(tmp_path / "o"), code=4)
    assert r.stderr.startswith("plea: error: --to: unknown state 'XX'\n")
    r = plea("letters", "render", case, "--to", "FR,-FR", "--host", HOST, "--out", str(tmp_path / "o"), code=3)
    assert r.stderr.startswith("plea: error: --to FR,-FR: no state is left to write to\n")
    assert q(db_file, "SELECT count(*) FROM rendition") == before and not (tmp_path / "o").exists()
    # aliases people type resolve once, for every command
    data = plan(plea, case, "--to", "UK,UAE,DRC")
    assert [r["state"] for r in data["recipients"]] == ["GB", "AE"] and data["no_mission"] == ["CD"]
    r = plea("letters", "plan", case, "--host", "USA", "--to", "Ivory Coast,Czech Republic", "--json")
    assert [x["state"] for x in json.loads(r.stdout)["recipients"]] == ["CI", "CZ"]
    r = plea("letters", "plan", case, "--host", "UK", "--to", "FR", "--json")
    assert {x["mission"] for x in json.loads(r.stdout)["recipients"]} and json.loads(r.stdout)["recipients"][0]["state"] == "FR"


def test_threat_states_on_the_case(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    assert q(db_file, 'SELECT threat_states FROM "case"') == [("RU",)]
    assert "threat_states      Russia (RU)" in plea("cases", "show", case).stdout
    plea("cases", "edit", case, "--threat", "RU,Belarus")
    assert q(db_file, 'SELECT threat_states FROM "case"') == [("RU BY",)]
    r = plea("cases", "edit", case, "--threat", "none", code=3)
    assert r.stderr.startswith("plea: error: --threat none: with no threat state, `--to all` includes ")
    assert q(db_file, 'SELECT threat_states FROM "case"') == [("RU BY",)]
    plea("cases", "edit", case, "--threat", "none", "--yes")
    assert "RU" in {r["state"] for r in plan(plea, case)["recipients"]}
    r = plea("cases", "edit", case, "--threat", "Atlantis", code=3)
    assert "threat_states: unknown state 'Atlantis'" in r.stderr
    # a new nationality becomes a threat state too, never silently dropped
    plea("cases", "edit", case, "--nationality", "BY")
    assert q(db_file, 'SELECT threat_states FROM "case"') == [("BY",)]
    # the CSV round trip keeps an emptied list as `none`, and import asks to confirm it
    out = tmp_path / "cases.csv"
    plea("cases", "edit", case, "--threat", "none", "--yes")
    plea("cases", "export", str(out))
    text = out.read_text(encoding="utf-8")
    assert "threat_states" in text.splitlines()[0] and ",none," in text
    assert "0 created, 0 updated, 1 unchanged" in plea("cases", "import", str(out)).stderr  # exact round trip
    plea("cases", "edit", case, "--threat", "RU")
    r = plea("cases", "import", str(out), code=3)
    assert "leave a client without any threat state" in r.stderr
    plea("cases", "import", str(out), "--yes")
    assert q(db_file, 'SELECT threat_states FROM "case"') == [("",)]



def test_consent_is_judged_on_the_commands_day(plea, db_file, case: str, tmp_path) -> None:
    """The recipient rule judges a consent's expiry on the day the command was given (`today`), not on
    whatever the clock says when the check runs: a command that crosses midnight keeps one day. So do
    `plea send`'s plan (its listing and its queueing) and `plea post`'s mailing plan."""
    from datetime import date, timedelta
    from pathlib import Path

    from plea.cases import get_case
    from plea.db.engine import open_database
    from plea.errors import Conflict
    from plea.letters.choose import choose
    from plea.mail import outbox
    from plea.post import mailing

    last = date.today() + timedelta(days=3)
    after = last + timedelta(days=1)
    plea("consent", "add", case, "--states", "all", "--expires", last.isoformat())
    plea("letters", "render", case, "--to", "FR", "--host", "US", "--out", str(tmp_path / "letters"))
    options = mailing.Options("humanitarian-visa", "FR", "US", Path(tmp_path / "post"), "US")
    db = open_database(db_file.url)
    try:
        with db.read() as s:
            _, _, picked = choose(s, case, letter="humanitarian-visa", to="FR", host="US", today=last)
            assert [r.state for r in picked.found] == ["FR"]
            c = get_case(s, case)
            sending = outbox.plan(s, c, to="FR", letter="humanitarian-visa", retry=False,
                                  configured_sender="me@example.org", today=last)
            assert [d.state for d, _ in sending.drafts] + sending.skipped == ["FR"], sending.skipped
            posting = mailing.plan(s, [c], options, today=last)  # FR to post, or left out (no address)
            posted = [r.state for p in posting.cases for r in p.found]
            assert posted + [x.state for x in posting.left_out] == ["FR"]
            for judged in (
                lambda: choose(s, case, letter="humanitarian-visa", to="FR", host="US", today=after),
                lambda: outbox.plan(s, c, to="FR", letter="humanitarian-visa", retry=False,
                                    configured_sender="me@example.org", today=after),
                lambda: mailing.plan(s, [c], options, today=after),
            ):
                with pytest.raises(Conflict) as err:
                    judged()
                assert "expired" in err.value.message, err.value.message
    finally:
        db.close()
