"""The error lines users read, pinned exactly (stderr and exit code), as sqlite-utils pins its own:
a message that changes must change here too, on purpose.

Each row: a name, what the database holds first ("db": the shipped embassies; "case": one case,
PLEA-2026-0001; "letters": its letters to France and Germany, drafted), the command, the exit code
and the whole stderr. `{tmp}` stands for the test's tmp_path. Files a row needs are written from
FILES first. Texts that other work is changing (dates, --out, history, doctor) are not pinned here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbcheck import PleaDB, count, execute

REF = "PLEA-2026-0001"
NO_CASE = "plea: error: no case 'NOPE'\n  list cases with `plea cases list`\n"
ISO_HINT = "  use an ISO 3166 alpha-2 code such as FR\n"
NARNIA_HINT = "  did you mean AM (Armenia) or AR (Argentina) or MR (Mauritania)?\n"
CASE_COLUMNS = (
    "ref, status, name_latin, name_native, nationality, threat_states, birth_date, title, gender, "
    "current_country, situation, facility, authority_ids, protection, persecution, persecution_lang, family, "
    "rep_name, rep_organisation, rep_address, rep_email, rep_phone, reply_to, followup_days, acting, "
    "acting_relation, applicant_address, applicant_email, applicant_phone, persecution_<lang>, consent_date, "
    "consent_states, consent_channels, consent_share_story, consent_expires"
)
SETTINGS = (
    "followup_days, smtp.host, smtp.port, smtp.security, smtp.user, smtp.from, smtp.cafile, imap.host, "
    "imap.port, imap.security, imap.user, imap.folder, imap.cafile, inbox.own_domains, inbox.max_header_kb, "
    "inbox.max_message_mb, docs.max_mb, organisation, contact_max_age_days, mail.max_packet_mb"
)
FILES = {
    "cases.csv": "name_latin,nationality,persecution,current_country,situation\n"
    "A,RU,S,US,at-liberty\nB,XX,S,US,at-liberty\nC,RU,S,US,flying\n",
    "cases-header.csv": "foo,name_native\n1,2\n",
    "cases-consent.csv": "name_latin,nationality,persecution_ru,consent_states,consent_channels,consent_share_story\n"
    "D,RU,Текст,@eux,pigeon,maybe\n",
    "missions.csv": "id,sending,host,email\nZZ-1,XX,US,a@example.org\nZZ-2,FR,US,notanemail\n",
    "missions-no-id.csv": "sending,host\nFR,US\n",
    "broken.pdf": "%PDF-1.7\n garbage",
}
ADD = ("cases", "add", "--reply-to", "answers@example.org", "--persecution", "S.")  # and --name, --nationality, --country, --situation

# (name, needs, command, exit code, stderr)
ERRORS: list[tuple[str, str, tuple[str, ...], int, str]] = [
    # unknown cases, states, missions, templates
    ("case-unknown", "case", ("status", "NOPE-1"), 4,
     "plea: error: no case 'NOPE-1'\n  list cases with `plea cases list`\n"),
    ("case-unknown-suggested", "case", ("status", "PLEA-2026-0002"), 4,
     "plea: error: no case 'PLEA-2026-0002'\n  did you mean PLEA-2026-0001?\n"),
    ("case-unknown-show", "db", ("cases", "show", "NOPE"), 4, NO_CASE),
    ("case-unknown-archive", "db", ("cases", "archive", "NOPE"), 4, NO_CASE),
    ("case-unknown-responses", "db", ("responses", "list", "NOPE"), 4, NO_CASE),
    ("case-unknown-close", "db", ("letters", "close", "NOPE", "--to", "FR"), 4, NO_CASE),
    ("case-unknown-report", "db", ("report", "--case", "NOPE"), 4, NO_CASE),
    ("case-unknown-audit", "db", ("audit", "log", "--case", "NOPE"), 4, NO_CASE),
    ("case-unknown-batch", "db", ("batch", "--out", "{tmp}/b", "--cases", "NOPE-1"), 4,
     "plea: error: 1 unknown case(s): no case 'NOPE-1'; list cases with `plea cases list`\n"),
    ("host-unknown", "case", ("letters", "render", REF, "--host", "XX", "--to", "FR"), 4,
     "plea: error: unknown host state 'XX'\n" + ISO_HINT),
    ("host-unknown-suggested", "case", ("letters", "render", REF, "--host", "Narnia", "--to", "FR"), 4,
     "plea: error: unknown host state 'Narnia'\n" + NARNIA_HINT),
    ("host-unknown-embassies", "db", ("embassies", "list", "--host", "XX"), 4,
     "plea: error: unknown host state 'XX'\n" + ISO_HINT),
    ("host-unknown-report", "db", ("report", "--host", "XX"), 4,
     "plea: error: unknown host state 'XX'\n" + ISO_HINT),
    ("state-unknown-to", "case", ("letters", "render", REF, "--host", "US", "--to", "XX"), 4,
     "plea: error: --to: unknown state 'XX'\n" + ISO_HINT),
    ("state-unknown-response", "letters", ("responses", "log", REF, "XX", "--outcome", "positive"), 4,
     "plea: error: unknown state 'XX'\n" + ISO_HINT),
    ("sending-unknown", "db", ("embassies", "show", "--sending", "XX", "--host", "US"), 4,
     "plea: error: unknown sending state 'XX'\n" + ISO_HINT),
    ("group-unknown", "case", ("letters", "plan", REF, "--host", "US", "--to", "@nope"), 4,
     "plea: error: --to: unknown group '@nope'\n  groups: @cis, @eaeu, @eu, @un\n"),
    ("mission-unknown", "db", ("embassies", "show", "NOPE-XYZ"), 4,
     "plea: error: no mission with id 'NOPE-XYZ'\n  find ids with `plea embassies list`\n"),
    ("mission-unknown-edit", "db", ("embassies", "edit", "NOPE-1", "--email", "a@example.org"), 4,
     "plea: error: no mission with id 'NOPE-1'\n  find ids with `plea embassies list`\n"),
    ("letter-unknown", "case",
     ("letters", "render", REF, "--host", "US", "--to", "FR", "--letter", "nosuch"), 4,
     "plea: error: no letter template named 'nosuch'\n  letters: follow-up, humanitarian-visa, thanks\n"),
    ("letter-unknown-preview", "db", ("templates", "preview", "nosuch", "en"), 4,
     "plea: error: no letter template named 'nosuch'\n  letters: follow-up, humanitarian-visa, thanks\n"),
    ("lang-unknown", "case", ("letters", "render", REF, "--host", "US", "--to", "FR", "--lang", "xx"), 4,
     "plea: error: the letter 'humanitarian-visa' has no 'xx' template\n"
     "  languages: ar, de, en, es, et, fr, he, hy, it, ja, ka, kk, lt, lv, pl, pt, ro, ru, sr, sr-Latn, tr, uk, zh\n"),
    ("message-unknown", "db", ("inbox", "show", "999"), 4,
     "plea: error: no received message 999\n  list them with `plea inbox list`\n"),
    # options with a fixed set of values
    ("format-letters", "case", ("letters", "render", REF, "--host", "US", "--to", "FR", "--format", "rtf"), 3,
     "plea: error: --format: unknown rtf; choose from docx, pdf, md, txt\n"),
    ("format-report", "db", ("report", "--format", "pdf"), 3,
     "plea: error: --format: 'pdf' is not one of table, json, csv, html\n"),
    ("format-export", "db", ("export", "{tmp}/exp", "--format", "xml"), 3,
     "plea: error: --format: 'xml' is not one of csv, json\n"),
    ("table-report", "db", ("report", "--format", "csv", "--table", "nope"), 3,
     "plea: error: --table: 'nope' is not one of states, cases, months, never_answered, unsolicited, held_back\n"),
    ("paper", "case", ("letters", "render", REF, "--host", "US", "--to", "FR", "--paper", "B5"), 3,
     "plea: error: --paper: 'B5' is not a4 or letter\n"),
    ("via", "letters", ("letters", "sent", REF, "--to", "FR", "--via", "pigeon"), 3,
     "plea: error: --via: 'pigeon' is not one of email, post, fax, hand, web-form, phone, other\n"),
    ("outcome", "letters", ("responses", "log", REF, "FR", "--outcome", "great"), 3,
     "plea: error: --outcome: 'great' is not one of positive, negative, acknowledged, info-requested, "
     "referred, other, unclassified\n"),
    ("channel", "letters", ("responses", "log", REF, "FR", "--outcome", "positive", "--channel", "pigeon"), 3,
     "plea: error: --channel: 'pigeon' is not one of email, post, fax, hand, web-form, phone, other\n"),
    ("status-batch", "db", ("batch", "--out", "{tmp}/b", "--status", "sleeping"), 3,
     "plea: error: --status: 'sleeping' is not open, archived or all\n"),
    ("rate", "case", ("send", REF, "--to", "FR", "--rate", "fast"), 3,
     "plea: error: --rate: 'fast' is not a rate such as 20/min\n"),
    ("prefer-without-verified", "db", ("embassies", "import", "{tmp}/missions.csv", "--prefer", "theirs"), 3,
     "plea: error: --prefer goes with a file of verified corrections (`export --verified-only`)\n"),
    # files that are not there
    ("letterhead-missing", "case",
     ("letters", "render", REF, "--host", "US", "--to", "FR", "--letterhead", "{tmp}/none.docx"), 4,
     "plea: error: --letterhead: no such file {tmp}/none.docx\n"),
    ("proof-missing", "letters",
     ("letters", "sent", REF, "--to", "FR", "--via", "post", "--proof", "{tmp}/no.pdf"), 4,
     "plea: error: --proof: no such file {tmp}/no.pdf\n"),
    ("cases-file-missing", "db", ("cases", "import", "{tmp}/none.csv"), 4,
     "plea: error: {tmp}/none.csv: no such file\n"),
    ("missions-file-missing", "db", ("embassies", "import", "{tmp}/none.csv"), 4,
     "plea: error: {tmp}/none.csv: no such file\n"),
    ("persecution-file-missing", "case", ("cases", "edit", REF, "--persecution-file", "{tmp}/no.txt"), 4,
     "plea: error: --persecution-file: no such file {tmp}/no.txt\n"),
    # case documents and annexes (issue 23): nothing is kept, nothing is written
    ("document-missing", "case", ("docs", "add", REF, "{tmp}/no.pdf", "--title", "Summons"), 4,
     "plea: error: {tmp}/no.pdf: no such file\n"),
    ("document-unreadable", "case", ("docs", "add", REF, "{tmp}/broken.pdf", "--title", "Summons"), 3,
     "plea: error: {tmp}/broken.pdf: the PDF cannot be read (Stream has ended unexpectedly)\n"
     "save it again as PDF, or scan it\n"),
    ("annex-unknown", "case", ("letters", "render", REF, "--host", "US", "--to", "FR", "--annex", "99"), 4,
     f"plea: error: no document 99 of {REF}\n  list them with `plea docs list {REF}`\n"),
    ("annex-not-a-number", "case",
     ("letters", "render", REF, "--host", "US", "--to", "FR", "--annex", "x"), 3,
     "plea: error: --annex: 'x' is not a document number (see `plea docs list CASE`) or all\n"),
    ("annex-unknown-batch", "case", ("batch", "--out", "{tmp}/b", "--cases", REF, "--annex", "99"), 4,
     "plea: error: --annex: no document 99 of the cases in this batch\n"
     "  list each case's documents with `plea docs list CASE`\n"),
    ("consent-state-unknown", "case", ("consent", "add", REF, "--states", "@eu,Atlantis"), 4,
     "plea: error: --states: unknown state 'Atlantis'\n  did you mean AL (Albania)?\n"),
    # bad rows in a CSV: FILE:LINE: column: problem
    ("cases-csv-rows", "db", ("cases", "import", "{tmp}/cases.csv"), 3,
     "plea: error: {tmp}/cases.csv: 2 problem(s); nothing was imported\n"
     "{tmp}/cases.csv:3: nationality: unknown state 'XX'\n" + ISO_HINT
     + "{tmp}/cases.csv:4: situation: 'flying' is not one of detained, at-liberty, in-transit\n"
     "fix these lines and import again\n"),
    ("cases-csv-header", "db", ("cases", "import", "{tmp}/cases-header.csv"), 3,
     "plea: error: {tmp}/cases-header.csv: the header is wrong; nothing was imported\n"
     f"{{tmp}}/cases-header.csv:1: header: unknown column 'foo'; columns are: {CASE_COLUMNS}\n"
     "{tmp}/cases-header.csv:1: header: a name_latin column (new clients) or a ref column (updates) "
     "is needed\n"),
    ("cases-csv-consent", "db", ("cases", "import", "{tmp}/cases-consent.csv"), 3,
     "plea: error: {tmp}/cases-consent.csv: 4 problem(s); nothing was imported\n"
     "{tmp}/cases-consent.csv:2: consent_date: the day the consent was given is needed with the other consent "
     "columns\n"
     "{tmp}/cases-consent.csv:2: consent_states: unknown group '@eux'\n"
     "{tmp}/cases-consent.csv:2: consent_channels: pigeon not one of email, post, fax, hand, web-form, phone, other\n"
     "{tmp}/cases-consent.csv:2: consent_share_story: 'maybe' is not yes or no\n"
     "fix these lines and import again\n"),
    # the story in the letter's language
    ("story-untranslated", "case", ("letters", "render", REF, "--host", "US", "--to", "FR,DE", "--out",
                                    "{tmp}/out", "--require-translated-story"), 3,
     "plea: error: --require-translated-story: the story has no translation into the letter's language for "
     "PLEA-2026-0001 (de, fr); nothing was written\n"
     "add one with `plea cases story set REF --lang LANG --file FILE`\n"),
    ("story-untranslated-batch", "case", ("batch", "--out", "{tmp}/b", "--to", "FR", "--require-translated-story"),
     3, "plea: error: --require-translated-story: the story has no translation into the letter's language for "
     "PLEA-2026-0001 (fr); nothing was written\n"
     "add one with `plea cases story set REF --lang LANG --file FILE`\n"),
    ("story-remove-unknown", "case", ("cases", "story", "remove", REF, "--lang", "fr"), 4,
     "plea: error: PLEA-2026-0001 has no fr version of its story (translations: none)\n"
     "  see `plea cases story list PLEA-2026-0001`\n"),
    ("story-set-original", "case", ("cases", "story", "set", REF, "--lang", "en", "--text", "S."), 3,
     "plea: error: --lang: en is the language of the original story of PLEA-2026-0001\n"
     "change the original with `plea cases edit PLEA-2026-0001 --persecution-file FILE`\n"),
    ("story-set-bad-lang", "case", ("cases", "story", "set", REF, "--lang", "French", "--text", "S."), 3,
     "plea: error: --lang: 'French' is not a language code (two or three letters, e.g. fr, de, ru)\n"),
    ("missions-csv-rows", "db", ("embassies", "import", "{tmp}/missions.csv"), 3,
     "plea: error: {tmp}/missions.csv: 2 problem(s); nothing was imported\n"
     "{tmp}/missions.csv:2: sending: unknown ISO 3166 code 'XX'\n"
     "{tmp}/missions.csv:3: email: not a valid email address 'notanemail': "
     "An email address must have an @-sign.\n"
     "fix these lines and import again\n"),
    ("missions-csv-header", "db", ("embassies", "import", "{tmp}/missions-no-id.csv"), 3,
     "plea: error: {tmp}/missions-no-id.csv: the header is wrong; nothing was imported\n"
     "{tmp}/missions-no-id.csv:1: header: missing column(s) id\n"),
    # a case's fields
    ("name-missing", "db", ("cases", "add", "--reply-to", "answers@example.org", "--name", "", "--nationality", "RU"), 3,
     "plea: error: --name is required (the applicant's name in Latin script)\n"),
    ("nationality", "db",
     (*ADD, "--name", "X", "--nationality", "XX", "--country", "US", "--situation", "at-liberty"), 3,
     "plea: error: the case was not saved:\nnationality: unknown state 'XX'\n" + ISO_HINT),
    ("country-suggested", "db", (*ADD, "--name", "X", "--nationality", "RU", "--country", "Narnia",
                           "--situation", "at-liberty"), 3,
     "plea: error: the case was not saved:\ncurrent_country: unknown state 'Narnia'\n" + NARNIA_HINT),
    ("situation", "db", (*ADD, "--name", "X", "--nationality", "RU", "--country", "US",
                   "--situation", "flying"), 3,
     "plea: error: the case was not saved:\n"
     "situation: 'flying' is not one of detained, at-liberty, in-transit\n"),
    ("gender", "case", ("cases", "edit", REF, "--gender", "robot"), 3,
     "plea: error: the case was not saved:\ngender: 'robot' is not one of female, male, other\n"),
    ("protection", "case", ("cases", "edit", REF, "--protection", "tourism"), 3,
     "plea: error: the case was not saved:\n"
     "protection: 'tourism' is not one of humanitarian-visa, asylum, resettlement, safe-passage\n"),
    ("followup-days", "case", ("cases", "edit", REF, "--followup-days", "0"), 3,
     "plea: error: the case was not saved:\nfollowup_days: 0 is not a number of days from 1 to 365\n"),
    ("authority-id", "case", ("cases", "edit", REF, "--id", "NOEQUALS"), 3,
     "plea: error: --id: 'NOEQUALS' should be LABEL=NUMBER, "
     "e.g. 'Alien Registration Number=A-123-456-789'\n"),
    ("email", "case", ("cases", "edit", REF, "--rep-email", "notanemail"), 3,
     "plea: error: the case was not saved:\n"
     "rep_email: not a valid email address 'notanemail': An email address must have an @-sign.\n"),
    # settings
    ("setting-unknown", "db", ("config", "set", "nosuch", "3"), 3,
     f"plea: error: unknown setting 'nosuch'; settings: {SETTINGS}\n"),
    ("setting-value", "db", ("config", "set", "followup_days", "abc"), 3,
     "plea: error: followup_days: 'abc' is not a number of days from 1 to 365\n"),
    # the campaign's order of things
    ("sent-before-rendered", "letters", ("letters", "sent", REF, "--to", "JP", "--via", "post"), 4,
     "plea: error: no humanitarian-visa letter for: Japan (JP)\n"
     "  render them first with `plea letters render`\n"),
    ("post-without-address", "letters", ("letters", "sent", REF, "--to", "FR,DE", "--via", "post"), 3,
     "plea: error: --via post: 2 mission(s) have no postal address; nothing was recorded\n"
     "France (FR), mission Q2841718: no street, postcode\n"
     "Germany (DE), mission Q324833: no street, postcode\n"
     "add the address with `plea embassies edit ID --address … --postcode …`, send these letters by another "
     "channel, or pass --force if they were posted all the same\n"),
    ("bounced-before-sent", "letters", ("letters", "bounced", REF, "--to", "DE"), 6,
     "plea: error: the letter to Germany is drafted, not sent: it cannot have bounced\n"),
    ("answer-never-written", "letters", ("responses", "log", REF, "IT", "--outcome", "positive"), 6,
     "plea: error: PLEA-2026-0001 never wrote to Italy (IT)\n"
     "  if this is an unsolicited reply, log it with --force\n"),
]


@pytest.fixture
def setup(plea, db_file: PleaDB, tmp_path: Path):  # type: ignore[no-untyped-def]
    """setup(needs) puts in the database what a row needs."""

    def make(needs: str) -> None:
        if needs == "db":
            return
        ref = plea(*ADD, "--name", "Test Person", "--nationality", "RU", "--country", "US",
                   "--situation", "at-liberty").stdout.strip()
        assert ref == REF
        if needs == "letters":
            plea("letters", "render", REF, "--host", "US", "--to", "FR,DE", "--format", "md",
                 "--out", str(tmp_path / "out"))

    return make


@pytest.mark.parametrize(
    ("needs", "command", "code", "stderr"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_error_text(plea, setup, tmp_path: Path, needs: str, command: tuple[str, ...], code: int,
                    stderr: str) -> None:
    setup(needs)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = plea(*(a.replace("{tmp}", str(tmp_path)) for a in command), code=code)
    assert result.stderr == stderr.replace("{tmp}", str(tmp_path))
    assert result.stdout == ""


def test_error_names_are_unique() -> None:
    names = [e[0] for e in ERRORS]
    assert len(names) == len(set(names)) and len(names) >= 30


@pytest.mark.sqlite_only
def test_no_database(plea, empty_db: PleaDB, plea_home: Path) -> None:
    r = plea("status", code=5)
    assert r.stderr == (f"plea: error: no plea database at {plea_home / 'plea.sqlite3'}\n"
                        "  create it with `plea init` (or point --db / PLEA_HOME at the right one)\n")


def test_database_newer_than_plea(plea, db_file: PleaDB) -> None:
    execute(db_file, "UPDATE alembic_version SET version_num = '9999'")
    r = plea("status", code=5)
    assert r.stderr == ("plea: error: the database's schema version '9999' is unknown to this plea\n"
                        "  it was written by a newer plea: upgrade plea (pip install -U plea)\n")


def test_database_driver_missing(plea, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEA_DATABASE_URL", "mysql://db.example/plea")
    r = plea("status", code=8)
    assert r.stderr == "plea: error: the database driver is not installed: MySQLdb\n"


def test_export_into_an_earlier_export_needs_force(plea, db_file: PleaDB, tmp_path: Path) -> None:
    plea("export", str(tmp_path / "exp"))
    r = plea("export", str(tmp_path / "exp"), code=6)
    assert r.stderr == (f"plea: error: {tmp_path / 'exp'} already holds case.csv, caution.csv, event.csv, "
                        "mission.csv …\n"
                        "  choose an empty folder, or pass --force to replace those files\n")


def test_an_encrypted_pdf_is_refused(plea, db_file: PleaDB, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    ref = plea(*ADD, "--name", "A", "--nationality", "RU", "--country", "US", "--situation", "detained")
    ref = ref.stdout.strip()
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.encrypt("secret")
    with open(tmp_path / "locked.pdf", "wb") as fh:
        w.write(fh)
    r = plea("docs", "add", ref, str(tmp_path / "locked.pdf"), "--title", "Summons", code=3)
    assert r.stderr == (f"plea: error: {tmp_path / 'locked.pdf'}: the PDF is encrypted (password-protected): "
                        "a recipient could not open it\nsave an unprotected copy, then add it\n")
    assert count(db_file, "document") == 0


def test_a_case_without_a_way_to_answer_is_refused_when_planning(plea, db_file: PleaDB, tmp_path: Path) -> None:
    """Whoever signs (the representative, or the applicant for themselves) needs an email or a
    postal address: `letters plan`, `letters render` and `batch` refuse the case (exit 7) and say
    what to add; nothing is written."""
    base = ("cases", "add", "--nationality", "RU", "--persecution", "S.", "--country", "US",
            "--situation", "at-liberty")
    own = plea(*base, "--name", "Self Applicant").stdout.strip()
    repd = plea(*base, "--name", "Represented Person", "--rep-name", "A Lawyer", "--rep-phone", "+1 555 0100",
                "--email", "own@example.org").stdout.strip()
    own_text = (f"plea: error: {own}: no way to answer its letters: the applicant, who signs them, has no email "
                f"and no postal address\n  add one with `plea cases edit {own} --email …` (or --address); nothing was "
                "written\n")
    for command in (("letters", "plan", own, "--host", "US", "--to", "FR"),
                    ("letters", "render", own, "--host", "US", "--to", "FR", "--out", str(tmp_path / "out"))):
        r = plea(*command, code=7)
        assert r.stderr == own_text and r.stdout == ""
    r = plea("letters", "plan", repd, "--host", "US", "--to", "FR", code=7)
    assert r.stderr == (
        f"plea: error: {repd}: no way to answer its letters: the representative, who signs them, has no email "
        f"and no postal address\n  add one with `plea cases edit {repd} --rep-email …` (or --rep-address); "
        "nothing was written\n")
    r = plea("batch", "--out", str(tmp_path / "b"), "--cases", f"{own},{repd}", "--to", "FR", "--host", "US", code=7)
    assert r.stderr == (
        "plea: error: 2 client(s) give no way to answer their letters; nothing was written:\n"
        f"  {own}: no way to answer its letters: the applicant, who signs them, has no email and no postal "
        "address (add --email or --address)\n"
        f"  {repd}: no way to answer its letters: the representative, who signs them, has no email and no "
        "postal address (add --rep-email or --rep-address)\n"
        "  add an email or a postal address with `plea cases edit REF …` or `plea cases import FILE`, then run "
        "the batch again\n")
    assert not (tmp_path / "out").exists() and not any((tmp_path / "b").glob("**/*.docx"))
    # an address is enough, and then the letters go out
    plea("cases", "edit", own, "--address", "1 Example Street\nSpringfield")
    plea("letters", "render", own, "--host", "US", "--to", "FR", "--format", "md", "--out", str(tmp_path / "out"))
    md = next((tmp_path / "out").glob("*.md")).read_text(encoding="utf-8")
    assert "::: sender\nSelf Applicant\n1 Example Street\nSpringfield\n:::" in md
