"""`plea inbox`: replies imported from mailbox files or fetched from a real IMAP server (dovecot on
loopback, over TLS), matched to their case and state, logged as unclassified answers, triaged.
The last test is the whole loop: render → send → a reply lands in the mailbox → fetch → status."""

from __future__ import annotations

import json
import mailbox
import stat
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from tests.dbcheck import rows as q
from tests.mail_peers import EMAIL, DovecotPeer, SmtpPeer, clear_mail_env, dovecot_binary, emailed_case, make_case

pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
DATA = Path(__file__).resolve().parent.parent / "data" / "mail"
REPLIES = [
    "reply_koi8r_base64.eml",
    "reply_cp1251_qp.eml",
    "reply_html_only.eml",
    "reply_forwarded.eml",
    "reply_inline_forward.eml",
    "unrelated.eml",
]


@pytest.fixture(autouse=True)
def _no_mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mail_env(monkeypatch)


@pytest.fixture
def sent(plea, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    """A case whose letters to FR, DE, KZ and IT went out by email: (ref, state → Message-ID)."""
    return emailed_case(plea, db_file, tmp_path, monkeypatch)


def reply(name: str, ref: str, ids: dict[str, str]) -> bytes:
    """A fixture with the case's reference, the letters' Message-IDs and (where it has {{DATE}})
    the current time, so the reply is dated after the letters it answers."""
    now = format_datetime(datetime.now(UTC)).encode()
    raw = (DATA / name).read_bytes().replace(b"{{REF}}", ref.encode()).replace(b"{{DATE}}", now)
    for state, msgid in ids.items():
        raw = raw.replace(f"{{{{MSGID:{state}}}}}".encode(), msgid.encode())
    return raw


def folder_of(tmp_path: Path, sent: tuple[str, dict[str, str]], names: list[str]) -> Path:
    folder = tmp_path / "replies"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(reply(name, *sent))
    return folder


def by_subject(rows: list[dict]) -> dict[str, dict]:
    return {r["subject"]: r for r in rows}


def test_import_matches_each_kind_of_reply(
    plea, db_file: Path, sent, tmp_path: Path, plea_home: Path
) -> None:
    ref, _ids = sent
    folder = folder_of(tmp_path, sent, [*REPLIES, "malformed.eml"])
    r = plea("inbox", "import", str(folder), "--json")
    assert r.stderr == (
        f"warning: {folder / 'malformed.eml'}: kept for triage, not parsed: "
        "no From or Message-ID header: not an email message\n"
        "7 new message(s), 5 matched and logged as unclassified answers, 2 left for `plea inbox triage`; "
        "0 already kept; 1 malformed\n"
    )
    rows = by_subject(json.loads(r.stdout))
    assert len(rows) == 7
    # malformed: kept (encrypted when the database is) for a person to look at, with the reason
    bad = rows[""]
    assert (bad["status"], bad["case"], bad["response"]) == ("malformed", None, None)
    shown = json.loads(plea("inbox", "show", str(bad["id"]), "--json").stdout)
    assert shown["reason"] == "no From or Message-ID header: not an email message" and shown["text"] == ""
    # koi8-r, base64, RFC 2047 (B) subject: answers the Kazakh letter by In-Reply-To
    kz = rows["Ответ на ваше обращение"]
    assert (kz["case"], kz["state"], kz["matched_by"], kz["status"]) == (
        ref,
        "KZ",
        "in-reply-to",
        "unclassified",
    )
    # windows-1251, quoted-printable, RFC 2047 (Q) subject with the reference: the case from the reference,
    # the state from the sender's domain
    cp = rows["Заявление [" + ref + "] получено"]
    assert (cp["case"], cp["state"], cp["matched_by"]) == (ref, "KZ", "case-ref")
    # HTML only, from a sister domain of the German mission's address
    de = rows["Ihr Schreiben vom November"]
    assert (de["case"], de["state"], de["matched_by"]) == (ref, "DE", "domain")
    # forwarded as an attachment from webmail: the inner reply's In-Reply-To names the French letter
    fr = rows["Fwd: Réponse du consulat"]
    assert (fr["case"], fr["state"], fr["matched_by"], fr["attachments"]) == (
        ref,
        "FR",
        "in-reply-to",
        ["réponse.pdf"],
    )
    # forwarded inline: the quoted From line is the Italian mission's address
    it = rows["Fwd: your letter"]
    assert (it["case"], it["state"], it["matched_by"]) == (ref, "IT", "sender")
    # matches nothing: left for triage
    un = rows["Weekly digest"]
    assert (un["case"], un["state"], un["status"], un["response"]) == (None, "", "unmatched", None)
    responses = q(db_file, "SELECT state, outcome, channel FROM response ORDER BY state")
    assert responses == [
        ("DE", "unclassified", "email"),
        ("FR", "unclassified", "email"),
        ("IT", "unclassified", "email"),
        ("KZ", "unclassified", "email"),
        ("KZ", "unclassified", "email"),
    ]
    (attachments,) = q(db_file, "SELECT attachments FROM response WHERE state = 'FR'")[0]
    pdf = json.loads(attachments)[0]
    assert pdf["name"] == "réponse.pdf" and Path(pdf["path"]).read_bytes().startswith(b"%PDF-1.4")
    assert stat.S_IMODE(Path(pdf["path"]).stat().st_mode) == 0o600 and plea_home in Path(pdf["path"]).parents
    for (path,) in q(db_file, "SELECT path FROM inbound_message"):
        assert Path(path).is_file() and stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    status = json.loads(plea("status", ref, "--json").stdout)
    assert {s["state"]: (s["answered"], s["outcome"]) for s in status["states"]} == {
        "FR": (True, "unclassified"),
        "DE": (True, "unclassified"),
        "KZ": (True, "unclassified"),
        "IT": (True, "unclassified"),
    }
    kinds = [
        k for (k,) in q(db_file, "SELECT kind FROM event WHERE kind IN ('email.received', 'response.logged')")
    ]
    assert kinds.count("email.received") == 7 and kinds.count("response.logged") == 5
    # the decoded text is readable
    shown = plea("inbox", "show", str(kz["id"])).stdout
    assert "Посольство получило ваше письмо" in shown and "Matched: " + ref in shown
    html = json.loads(plea("inbox", "show", str(de["id"]), "--json").stdout)["text"]
    assert "Das Visum kann nicht erteilt werden." in html and "color: red" not in html and "<p>" not in html


def test_domain_match_ignores_the_case_of_the_mission_address(
    plea, db_file: Path, tmp_path: Path
) -> None:
    """Domains are case-insensitive: a mission address typed as Info@Washington.DIPLO.example still
    matches a reply from rk-1@diplo.example (on PostgreSQL too, whose LIKE minds the case)."""
    ref = make_case(plea, tmp_path / "letters", to="DE,FR")
    plea("embassies", "edit", "Q324833", "--email", "Info@Washington.DIPLO.example")
    sent_on = (date.today() - timedelta(days=3)).isoformat()
    plea("letters", "sent", "--force", ref, "--to", "all", "--via", "email", "--on", sent_on)
    folder = folder_of(tmp_path, (ref, {}), ["reply_html_only.eml"])
    (row,) = json.loads(plea("inbox", "import", str(folder), "--json").stdout)
    assert (row["case"], row["state"], row["matched_by"]) == (ref, "DE", "domain")


def test_same_mailbox_twice_adds_nothing_mbox_and_maildir(plea, db_file: Path, sent, tmp_path: Path) -> None:
    box = mailbox.mbox(str(tmp_path / "replies.mbox"))
    md = mailbox.Maildir(str(tmp_path / "Maildir"))
    for name in REPLIES:
        box.add(reply(name, *sent))
        md.add(reply(name, *sent))
    box.add(b"this line is not a header\n\nand no message either\n")
    box.close()

    def counts() -> tuple:
        return tuple(
            q(db_file, f"SELECT count(*) FROM {t}")[0][0] for t in ("inbound_message", "response", "event")
        )

    r = plea("inbox", "import", str(tmp_path / "replies.mbox"))
    assert "7 new message(s), 5 matched" in r.stderr
    assert (
        f"warning: {tmp_path / 'replies.mbox'}: message 7: kept for triage, not parsed: "
        "no From or Message-ID header: not an email message\n"
    ) in r.stderr
    after_first = counts()
    r = plea("inbox", "import", str(tmp_path / "replies.mbox"))
    assert "0 new message(s)" in r.stderr and "7 already kept" in r.stderr
    r = plea("inbox", "import", str(tmp_path / "Maildir"))
    assert "0 new message(s)" in r.stderr and "6 already kept" in r.stderr
    assert counts() == after_first


def test_triage_interactively(plea, db_file: Path, sent, tmp_path: Path) -> None:
    ref, _ = sent
    folder = folder_of(tmp_path, sent, ["reply_koi8r_base64.eml", "unrelated.eml", "reply_html_only.eml"])
    plea("inbox", "import", str(folder))
    ids = dict(q(db_file, "SELECT subject, id FROM inbound_message"))
    # messages come in the order they were kept (the folder's file names):
    # 1st German (matched by domain): keep case and state, say negative
    # 2nd Kazakh (matched): skip for now
    # 3rd newsletter (unmatched): a wrong case is refused and asked again, then ignored
    r = plea("inbox", "triage", input="\n\nnegative\ns\nPLEA-1999-0001\ni\n")
    assert "[1/3]" in r.stdout and "Das Visum kann nicht erteilt werden." in r.stdout
    assert "[2/3]" in r.stdout and "Посольство получило ваше письмо" in r.stdout
    assert "no case 'PLEA-1999-0001'" in r.stderr and "2 message(s) triaged" in r.stderr
    status = dict(q(db_file, "SELECT id, status FROM inbound_message"))
    assert status == {
        ids["Ответ на ваше обращение"]: "unclassified",
        ids["Weekly digest"]: "ignored",
        ids["Ihr Schreiben vom November"]: "classified",
    }
    assert dict(q(db_file, "SELECT state, outcome FROM response")) == {"KZ": "unclassified", "DE": "negative"}
    # the next walk shows only what is left; a bad state and a bad outcome are asked again
    r = plea("inbox", "triage", input="\nAtlantis\n\nmaybe\nacknowledged\n")
    assert "[1/1]" in r.stdout and "Ответ на ваше обращение" in r.stdout
    assert "Atlantis" in r.stderr and "'maybe' is not one of" in r.stderr
    assert dict(q(db_file, "SELECT state, outcome FROM response")) == {"KZ": "acknowledged", "DE": "negative"}
    assert "nothing to triage" in plea("inbox", "triage").stderr
    outcomes = {s["state"]: s["outcome"] for s in json.loads(plea("status", ref, "--json").stdout)["states"]}
    assert outcomes["KZ"] == "acknowledged" and outcomes["DE"] == "negative"
    kinds = [
        k for (k,) in q(db_file, "SELECT kind FROM event WHERE kind LIKE 'email.%' OR kind LIKE 'response.%'")
    ]
    assert kinds.count("email.triaged") == 2 and kinds.count("email.ignored") == 1
    assert kinds.count("response.classified") == 2


def test_triage_with_options(plea, db_file: Path, sent, tmp_path: Path) -> None:
    ref, _ = sent
    folder = folder_of(tmp_path, sent, ["unrelated.eml", "reply_html_only.eml"])
    plea("inbox", "import", str(folder))
    ids = dict(q(db_file, "SELECT subject, id FROM inbound_message"))
    un, de = str(ids["Weekly digest"]), str(ids["Ihr Schreiben vom November"])
    r = plea("inbox", "triage", "--message", un, code=3)
    assert "say which case and state" in r.stderr
    r = plea("inbox", "triage", "--message", un, "--case", ref, "--state", "France", "--outcome", "positive")
    assert f"{ref} · FR · positive" in r.stdout
    plea("inbox", "triage", "--message", un, "--outcome", "pos", code=3)
    # a wrong domain match is moved to the right state
    plea("inbox", "triage", "--message", de, "--state", "IT", "--outcome", "referred")
    assert sorted(q(db_file, "SELECT state, outcome FROM response")) == [
        ("FR", "positive"),
        ("IT", "referred"),
    ]
    assert q(db_file, "SELECT matched_by FROM inbound_message WHERE id = ?", int(de)) == [("manual",)]
    rows = json.loads(plea("inbox", "list", "--status", "classified", "--json").stdout)
    assert {(x["state"], x["outcome"]) for x in rows} == {("FR", "positive"), ("IT", "referred")}
    # ignoring a message already logged undoes its answer first
    r = plea("inbox", "triage", "--message", de, "--ignore")
    assert r.stdout == f"message {de}: ignored\n"
    assert sorted(q(db_file, "SELECT state, outcome FROM response")) == [("FR", "positive")]
    assert q(db_file, "SELECT status, response_id FROM inbound_message WHERE id = ?", int(de)) == [("ignored", None)]
    plea("inbox", "show", "999", code=4)


# -- IMAP ----------------------------------------------------------------------------------------


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch):
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    with DovecotPeer() as peer:
        peer.env(monkeypatch)
        yield peer


def test_fetch_over_tls_and_again_adds_nothing(plea, db_file: Path, sent, imap: DovecotPeer) -> None:
    ref, _ = sent
    for name in ("reply_koi8r_base64.eml", "reply_cp1251_qp.eml", "reply_forwarded.eml", "unrelated.eml"):
        imap.append(reply(name, *sent))
    imap.append(b"Subject-less garbage without any header colon\r\n\r\nbody\r\n")
    r = plea("inbox", "fetch", "--json")
    assert "5 message(s) read from IMAP 127.0.0.1" in r.stderr
    assert (
        "warning: imap 127.0.0.1/INBOX UID 5: kept for triage, not parsed: "
        "no From or Message-ID header: not an email message\n"
    ) in r.stderr
    rows = by_subject(json.loads(r.stdout))
    assert rows["Ответ на ваше обращение"]["state"] == "KZ"
    assert rows["Fwd: Réponse du consulat"]["state"] == "FR"
    assert rows["Weekly digest"]["status"] == "unmatched"
    # only the new message is downloaded the second time; nothing is added twice
    imap.append(reply("reply_html_only.eml", *sent))
    r = plea("inbox", "fetch")
    assert "2 message(s) read" in r.stderr  # the new one, and the malformed one (it has no Message-ID)
    assert "1 new message(s)" in r.stderr and "1 already kept" in r.stderr
    assert q(db_file, "SELECT count(*) FROM inbound_message") == [(6,)]
    # a different message under a Message-ID already kept (its size differs): downloaded and kept
    imap.append(reply("unrelated.eml", *sent).replace(b"Weekly digest", b"Weekly digest, corrected"))
    r = plea("inbox", "fetch")
    assert "2 message(s) read" in r.stderr and "1 new message(s)" in r.stderr
    subjects = [s for (s,) in q(db_file, "SELECT subject FROM inbound_message WHERE subject LIKE 'Weekly%'")]
    assert sorted(subjects) == ["Weekly digest", "Weekly digest, corrected"]
    # the folder was only read: nothing marked seen
    conn = imap.client()
    conn.select("INBOX", readonly=True)
    assert conn.search(None, "SEEN")[1] == [b""]
    conn.logout()
    answered = {
        s["state"] for s in json.loads(plea("status", ref, "--json").stdout)["states"] if s["answered"]
    }
    assert answered == {"KZ", "FR", "DE"}


def test_fetch_refuses_an_untrusted_certificate_and_a_wrong_password(
    plea, db_file: Path, imap: DovecotPeer, monkeypatch
) -> None:
    monkeypatch.delenv("PLEA_IMAP_CAFILE")
    r = plea("inbox", "fetch", code=8)
    assert "certificate could not be verified" in r.stderr and "PLEA_IMAP_CAFILE" in r.stderr
    monkeypatch.setenv("PLEA_IMAP_CAFILE", str(imap.cert))
    monkeypatch.setenv("PLEA_IMAP_PASSWORD", "wrong-one")
    r = plea("inbox", "fetch", code=8)
    assert "login failed for plea-user" in r.stderr and "wrong-one" not in r.stderr
    monkeypatch.setenv("PLEA_IMAP_FOLDER", "Nowhere")
    monkeypatch.setenv("PLEA_IMAP_PASSWORD", "s3cret-pw")
    assert "no folder 'Nowhere'" in plea("inbox", "fetch", code=8).stderr


def test_fetch_with_starttls(plea, db_file: Path, sent, imap: DovecotPeer, monkeypatch) -> None:
    imap.append(reply("reply_koi8r_base64.eml", *sent))
    monkeypatch.setenv("PLEA_IMAP_SECURITY", "starttls")
    monkeypatch.setenv("PLEA_IMAP_PORT", str(imap.starttls_port))
    r = plea("inbox", "fetch")
    assert "1 new message(s), 1 matched" in r.stderr


def test_the_whole_loop_render_send_reply_fetch_status(
    plea, db_file: Path, tmp_path: Path, monkeypatch
) -> None:
    """Done when: render → send (the SMTP server received it) → a reply lands in the IMAP server →
    `plea inbox fetch` → `plea status` shows the answer."""
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    ref = make_case(plea, tmp_path / "letters", to="FR,PL")
    with SmtpPeer(tmp_path / "smtp", "starttls") as smtp, DovecotPeer() as imap:
        smtp.env(monkeypatch)
        imap.env(monkeypatch)
        plea("send", ref, "--to", "all")
        (got,) = smtp.received
        sent_msg = got.message
        assert got.rcpt_tos == [EMAIL["FR"]] and sent_msg["Subject"].startswith(f"[{ref}] ")
        assert [a.get_filename() for a in sent_msg.iter_attachments()] == [
            f"{ref}_FR-US_humanitarian-visa_fr.docx"
        ]
        assert "France (FR)" in plea("status", ref).stdout
        # the consulate answers; its mail server delivers the reply to the representative's mailbox
        answer = EmailMessage()
        answer["From"] = f"Consulat de France <{EMAIL['FR']}>"
        answer["To"] = sent_msg["Reply-To"]
        answer["Subject"] = "Re: " + sent_msg["Subject"]
        answer["Date"] = format_datetime(datetime.now(UTC))
        answer["Message-ID"] = make_msgid(domain="ambafrance-us.example")
        answer["In-Reply-To"] = sent_msg["Message-ID"]
        answer["References"] = sent_msg["Message-ID"]
        answer.set_content(
            "Madame, nous avons bien reçu votre lettre. Le dossier est à l'étude.", charset="utf-8"
        )
        imap.append(answer.as_bytes())
        r = plea("inbox", "fetch")
        assert "1 new message(s), 1 matched" in r.stderr
    r = plea("status", ref)
    row = next(line for line in r.stdout.splitlines() if "France (FR)" in line)
    assert "unclassified" in row
    status = json.loads(plea("status", ref, "--json").stdout)
    (fr,) = status["states"]
    assert fr["answered"] and fr["outcome"] == "unclassified" and status["headline"]["answered"] == 1
    plea("inbox", "triage", input="\n\npositive\n")
    assert json.loads(plea("status", ref, "--json").stdout)["headline"]["positive"] == 1
