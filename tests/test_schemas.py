"""Every `--json` output has a JSON Schema shipped in the package (src/plea/schemas/): each command is run
with --json on a small real campaign (a case, letters rendered and emailed, an answer, a caution, a
document, a consent, …) and its output validated against its schema; a command with a --json option and
no schema fails here; and a document with a key missing or a key too many is refused."""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dbcheck import rows as q
from tests.mail_peers import SmtpPeer, clear_mail_env, make_case

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
MAIL = Path(__file__).resolve().parent / "data" / "mail"

#: commands the campaign does not run (inbox fetch needs an IMAP server) → the command that prints the
#: same document by the same function (cli/inbox.py: _ingest_all), whose schema it must equal
NOT_RUN = {"inbox-fetch": "inbox-import"}


def names() -> list[str]:
    from plea.schemas import names as shipped

    return shipped()


def schema(name: str) -> dict[str, Any]:
    from plea.schemas import load

    return load(name)


def validator(name: str) -> Any:
    cls = jsonschema.Draft202012Validator
    found = schema(name)
    cls.check_schema(found)
    return cls(found, format_checker=cls.FORMAT_CHECKER)


def _pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def _reply(ref: str, msgid: str) -> bytes:
    """tests/data/mail's HTML-only reply, answering the case's letter to France."""
    raw = (MAIL / "reply_html_only.eml").read_bytes()
    now = format_datetime(datetime.now(UTC)).encode()
    raw = raw.replace(b"{{REF}}", ref.encode()).replace(b"{{DATE}}", now)
    return raw.replace(b"{{MSGID:FR}}", msgid.encode())


class Campaign:
    """One small campaign, run command by command; `outputs`: schema name → the JSON documents printed."""

    def __init__(self, plea: Any, db_file: Any, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.plea, self.db_file, self.tmp, self.monkeypatch = plea, db_file, tmp, monkeypatch
        self.outputs: dict[str, list[Any]] = {}
        self.ref = self.doc = ""

    def run(self, name: str, *args: str) -> Any:
        got = json.loads(self.plea(*args, "--json").stdout)
        self.outputs.setdefault(name, []).append(got)
        return got

    def letters_and_mail(self) -> None:
        plea, run, tmp = self.plea, self.run, self.tmp
        clear_mail_env(self.monkeypatch)
        ref = self.ref = make_case(plea, tmp / "letters", to="FR,DE,IT,PL")  # four states, three with email
        run("letters-render", "letters", "render", ref, "--to", "FR,DE", "--host", "US",
            "--format", "docx,txt", "--out", str(tmp / "letters"))
        with SmtpPeer(tmp / "smtp", "starttls") as smtp:
            smtp.env(self.monkeypatch)
            run("send", "send", ref, "--to", "all", "--yes")
        clear_mail_env(self.monkeypatch)
        plea("letters", "sent", ref, "--to", "PL", "--via", "post", "--on", "2026-01-05", "--force",  # due: a follow-up
             "--tracking", "RR123456785DE")
        receipt = tmp / "receipt.txt"
        receipt.write_text("Eingangsbestätigung\n", encoding="utf-8")
        plea("responses", "log", ref, "DE", "--outcome", "acknowledged", "--summary", "Received.",
             "--attach", str(receipt))
        plea("responses", "log", ref, "CH", "--outcome", "info-requested", "--force")  # never written to
        (msgid,) = q(self.db_file, "SELECT o.message_id FROM outbox o JOIN letter l ON l.id = o.letter_id "
                                   "JOIN mission m ON m.id = l.mission_id WHERE m.sending = 'FR'")[0]
        replies = tmp / "replies"
        replies.mkdir()
        (replies / "fr.eml").write_bytes(_reply(ref, msgid))
        (replies / "bad.eml").write_bytes((MAIL / "malformed.eml").read_bytes())
        for m in run("inbox-import", "inbox", "import", str(replies)):
            run("inbox-show", "inbox", "show", str(m["id"]))
        run("inbox-list", "inbox", "list")
        run("outbox-list", "outbox", "list")
        run("responses-list", "responses", "list")

    def case_file(self) -> None:
        plea, run, tmp, ref = self.plea, self.run, self.tmp, self.ref
        plea("cases", "edit", ref, "--id", "Passport=75 1234567", "--family", "Anna Petrova;wife;1990-02-03",
             "--born", "1985-04-01")
        plea("cautions", "add", "RU", "RS", "--reason", "Extradites to Russia.", "--source-url",
             "https://example.org/rs", "--kind", "treaty")
        doc = plea("docs", "add", ref, str(_pdf(tmp / "summons.pdf")), "--title", "Court summons",
                   "--lang", "ru").stdout.strip()
        plea("docs", "add", ref, str(_pdf(tmp / "citation.pdf")), "--title", "Citation", "--lang", "fr",
             "--translation-of", doc, "--certified")
        plea("consent", "add", ref, "--states", "all,-US", "--expires", "2099-01-01", "--channels",
             "email,post", "--document", doc)
        plea("cases", "story", "set", ref, "--lang", "fr", "--text", "Il a refusé la mobilisation.")
        run("cases-story-list", "cases", "story", "list", ref)
        run("cautions-list", "cautions", "list", "--threat", "RU")
        run("cases-list", "cases", "list")
        run("cases-show", "cases", "show", ref)
        sheet = tmp / "cases.csv"
        plea("cases", "export", str(sheet))
        run("cases-import", "cases", "import", str(sheet), "--dry-run")
        run("cases-export", "cases", "export")
        run("docs-list", "docs", "list", ref)
        run("docs-show", "docs", "show", ref, doc)
        run("consent-show", "consent", "show", ref)

    def campaign_views(self) -> None:
        run, tmp, ref = self.run, self.tmp, self.ref
        run("letters-plan", "letters", "plan", ref, "--host", "US")
        self.plea("embassies", "edit", "Q2841718", "--web-form", "https://example.org/contact")  # France in DC
        run("letters-worklist", "letters", "worklist", ref, "--host", "US", "--to", "FR,DE", "--without-consent")
        self.plea("routes", "add", "CH", "humanitarian-visa", "--source-url", "https://example.org/route",
                  "--checked-on", "2026-12-01")
        run("routes-list", "routes", "list")
        run("batch", "batch", "--out", str(tmp / "batch"), "--host", "US", "--to", "all", "--dry-run")
        run("batch", "batch", "--out", str(tmp / "batch"), "--host", "US", "--to", "FR,@eu", "--format", "md",
            "--zip")
        run("status", "status")
        run("status", "status", ref)
        run("followups", "followups")
        run("history", "history", ref)
        run("history", "history", ref, "--all")
        self.outputs["report"] = [json.loads(self.plea("report", "--format", "json").stdout)]

    def directory(self) -> None:
        from tests.sparql_server import SparqlServer

        plea, run, tmp = self.plea, self.run, self.tmp
        run("embassies-list", "embassies", "list", "--host", "US", "--sending", "FR")
        run("embassies-show", "embassies", "show", "Q2841718")
        plea("embassies", "export", str(tmp / "us.csv"), "--host", "US")
        run("embassies-import", "embassies", "import", str(tmp / "us.csv"), "--dry-run")
        plea("embassies", "edit", "Q2841718", "--phone", "+1-202-944-6195", "--verified")
        plea("embassies", "export", str(tmp / "verified.csv"), "--verified-only")
        run("embassies-import", "embassies", "import", str(tmp / "verified.csv"), "--dry-run")  # a merge
        run("embassies-export", "embassies", "export", "--host", "US")
        run("embassies-coverage", "embassies", "coverage", "--host", "US", "--case", self.ref)
        run("embassies-gaps", "embassies", "gaps", "--host", "US")
        with SparqlServer({"US": "us_missions.json"}) as wikidata:
            self.monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", wikidata.url)
            wikidata_module = importlib.import_module("plea.directory.wikidata")
            self.monkeypatch.setattr(wikidata_module.time, "sleep", lambda _s: None)
            run("embassies-refresh", "embassies", "refresh", "--host", "US", "--dry-run")

    def upkeep(self) -> None:
        run = self.run
        run("templates-list", "templates", "list")
        run("db-status", "db", "status")
        run("db-check", "db", "check")
        head = run("audit-head", "audit", "head")["head"]
        run("audit-verify", "audit", "verify")
        run("audit-verify", "audit", "verify", "--head", head)
        run("audit-log", "audit", "log", "--limit", "20")
        run("export", "export", str(self.tmp / "export"), "--redact")
        run("doctor", "doctor")
        run("schema-list", "schema", "list")


def campaign(plea: Any, db_file: Any, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Every --json command run on one small campaign: schema name → the JSON documents it printed."""
    c = Campaign(plea, db_file, tmp, monkeypatch)
    c.letters_and_mail()  # first: it makes the case the others use
    c.case_file()
    c.campaign_views()
    c.directory()
    c.upkeep()
    return c.outputs

_RUNS: dict[str, dict[str, list[Any]]] = {}


@pytest.fixture
def outputs(
    plea, db_file: Any, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[Any]]:
    """The campaign's outputs, run once per backend (the first test asking for them runs it)."""
    if backend not in _RUNS:
        _RUNS[backend] = campaign(plea, db_file, tmp_path, monkeypatch)
    return _RUNS[backend]


@pytest.mark.parametrize("name", names())
def test_each_json_output_validates_against_its_schema(name: str, outputs: dict[str, list[Any]]) -> None:
    if name in NOT_RUN:  # the same printer as another command: the same schema, its words aside
        words = {"title": "", "description": ""}
        assert {**schema(name), **words} == {**schema(NOT_RUN[name]), **words}
        return
    if name == "post":  # PDFs through LibreOffice: left out of the fast tier (its own test, marked soffice)
        return
    documents = outputs.get(name)
    assert documents, f"the campaign in tests/test_schemas.py does not run the command of schema {name}"
    check = validator(name)
    for doc in documents:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(doc)]
        assert not errors, f"{name}: {errors[:5]}"
    for i, shape in enumerate(schema(name).get("oneOf", [])):  # each shape a command prints is run
        shown = jsonschema.Draft202012Validator(shape)
        assert any(shown.is_valid(d) for d in documents), f"{name}: no output has the shape oneOf/{i}"


def json_commands() -> set[str]:
    """Every command (its words) with a --json option, found by walking plea's Typer app."""
    import typer

    from plea.cli import app

    found: set[str] = set()

    def walk(cmd: Any, words: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs is not None:
            for n in cmd.list_commands(None):
                walk(subs[n], [*words, n])
            return
        if any("--json" in getattr(p, "opts", ()) or p.name == "json_" for p in cmd.params):
            found.add(" ".join(words))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_with_json_has_a_schema_and_every_schema_a_command() -> None:
    from plea.schemas import name_for

    commands = json_commands()
    assert {"status", "db status", "embassies list", "schema list"} <= commands  # the walk finds them
    wanted = {name_for(c.split()) for c in commands} | {"report"}  # report: --format json
    shipped = set(names())
    assert not wanted - shipped, f"--json without a schema in src/plea/schemas/: {sorted(wanted - shipped)}"
    assert not shipped - wanted, f"a schema for no command: {sorted(shipped - wanted)}"


def objects(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every sub-schema that lists properties, with where it is."""
    found = []
    if isinstance(node, dict):
        if "properties" in node:
            found.append((where, node))
        for k, v in node.items():
            found += objects(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += objects(v, f"{where}/{i}")
    return found


@pytest.mark.parametrize("name", names())
def test_each_schema_is_draft_2020_12_and_closed(name: str) -> None:
    found = schema(name)
    assert found["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(found)
    for where, node in objects(found):
        assert node.get("additionalProperties") is False, f"{name}{where}: a new key would pass unnoticed"
        assert set(node.get("required", [])) <= set(node["properties"]), f"{name}{where}"


def test_a_missing_or_an_extra_key_fails(outputs: dict[str, list[Any]]) -> None:
    (case,) = outputs["cases-show"]
    check = validator("cases-show")
    assert check.is_valid(case)
    missing = {k: v for k, v in case.items() if k != "ref"}
    assert [e.message for e in check.iter_errors(missing)] == ["'ref' is a required property"]
    extra = {**case, "passport": "75 1234567"}
    assert [e.validator for e in check.iter_errors(extra)] == ["additionalProperties"]
    status = validator("status")
    one = outputs["status"][1]
    assert status.is_valid(one)
    assert not status.is_valid({**one, "headline": {**one["headline"], "silent": "3"}})  # a wrong type
    (due,) = outputs["followups"][0]
    assert [e.message for e in validator("followups").iter_errors([{**due, "due_on": "26/01/2026"}])] == [
        "'26/01/2026' is not a 'date'"]
    rows = outputs["docs-list"][0]
    assert not validator("docs-list").is_valid([*rows, {**rows[0], "path": "/secret"}])


def test_schema_list_and_show(plea) -> None:
    listed = plea("schema", "list").stdout
    assert listed == "".join(f"{n}\n" for n in names())
    assert json.loads(plea("schema", "list", "--json").stdout) == names()
    shown = plea("schema", "show", "cases-show").stdout
    assert json.loads(shown) == schema("cases-show")
    r = plea("schema", "show", "cases-shwo", code=4)
    assert r.stderr == ("plea: error: no schema named 'cases-shwo'\n"
                        "  did you mean cases-show, cases-list or embassies-show? see `plea schema list`\n")
    r = plea("schema", "show", "db-stats", code=4)
    assert r.stderr == ("plea: error: no schema named 'db-stats'\n"
                        "  did you mean db-status or status? see `plea schema list`\n")
    r = plea("schema", "show", "nothing-like-it", code=4)
    assert r.stderr == "plea: error: no schema named 'nothing-like-it'\n  see `plea schema list`\n"


def _body(name: str, path: str = "", drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A schema (or its `items`), without its title and the given properties."""
    found = schema(name)
    for step in path.split(".") if path else []:
        found = found[int(step)] if isinstance(found, list) else found[step]
    found = {k: v for k, v in found.items() if k not in ("$schema", "title", "description")}
    if drop:
        found["properties"] = {k: v for k, v in found["properties"].items() if k not in drop}
        found["required"] = [k for k in found["required"] if k not in drop]
    return found


def test_one_shape_printed_by_several_commands_has_one_schema() -> None:
    """A case, a mission, a message and a document look the same wherever they are printed."""
    assert _body("cases-list", "items") == _body("cases-export", "items") == _body("cases-show")
    assert (_body("embassies-list", "items") == _body("embassies-export", "items")
            == _body("embassies-show", drop=("sources",)))
    assert (_body("inbox-list", "items") == _body("inbox-import", "items")
            == _body("inbox-show", drop=("reason", "text")))
    assert _body("docs-list", "items") == _body("docs-show")
    assert (_body("followups", "items", drop=("case", "interval_days"))
            == _body("status", "oneOf.1.properties.states.items", drop=("tracking",)))


@pytest.mark.soffice
def test_post_json_validates_against_its_schema(plea, db_file: Any, tmp_path: Path) -> None:
    """plea post writes the letters' PDFs through LibreOffice: apart from the campaign above, so that
    the fast tier (no LibreOffice) still checks every other schema."""
    if not shutil.which("soffice"):
        pytest.skip("plea post writes PDFs through LibreOffice, which is not installed")
    ref = make_case(plea, tmp_path / "letters", to="FR,DE")
    plea("embassies", "edit", "Q2841718", "--address", "4101 Reservoir Road NW", "--postcode", "20007")
    doc = json.loads(plea("post", ref, "--host", "US", "--to", "FR,DE", "--out", str(tmp_path / "mailing"),
                          "--json").stdout)
    check = validator("post")
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(doc)]
    assert not errors, errors[:5]
    assert doc["letters"] and all(row["pages"] >= 1 for row in doc["letters"]), doc
