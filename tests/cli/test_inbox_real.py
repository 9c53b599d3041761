"""`plea inbox` against real-world mail (issue 24): notifications and private mail that share a
domain with a mission's website or provider are no answers; real Office 365, Postfix and Amazon
SES bounces and an Exchange out-of-office reply (tests/data/mail/real, from sisimai's
set-of-emails) become bounces and notices; a colleague's note and plea's own sent copy are no
answers; a wrong match can be undone; long headers stay bounded; nothing is spilled in clear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.dbcheck import rows as q
from tests.mail_peers import EMAIL, clear_mail_env, emailed_case, make_case

pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
REAL = Path(__file__).resolve().parent.parent / "data" / "mail" / "real"
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _no_mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mail_env(monkeypatch)


def message(
    sender: str, subject: str, body: str = "Hello.", *, when: datetime = NOW, **headers: str
) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, "jane@legal-aid.example", subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{abs(hash((sender, subject, body)))}@{sender.rpartition('@')[2].strip('>')}>"
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m.as_bytes()


def import_all(plea, tmp_path: Path, messages: dict[str, bytes]) -> tuple[dict[str, dict], str]:
    folder = tmp_path / f"in-{len(list(tmp_path.glob('in-*')))}"  # a fresh folder for each import
    folder.mkdir()
    for name, raw in messages.items():
        (folder / f"{name}.eml").write_bytes(raw)
    r = plea("inbox", "import", str(folder), "--json")
    rows = json.loads(r.stdout)
    assert len(rows) == len(messages)  # files are read in name order
    return {f"{name}.eml": row for name, row in zip(sorted(messages), rows)}, r.stderr


@pytest.fixture
def posted(plea, db_file: Path, tmp_path: Path) -> str:
    """Letters to FR, DE, KZ and IT sent three days ago; the missions' websites on hosting and
    portal domains, Italy's mission using a Swiss ISP mailbox."""
    ref = make_case(plea, tmp_path / "letters", to="FR,DE,KZ,IT")
    plea("embassies", "edit", "Q2841718", "--website", "https://sites.google.com/view/consulat-fr")
    plea("embassies", "edit", "Q324833", "--website", "https://germany-embassy.wordpress.com")
    plea("embassies", "edit", "Q5369760", "--website", "https://www.gov.uk/world/kazakhstan")
    plea("embassies", "edit", "Q5369749", "--email", "amb.washington@bluewin.ch")
    sent_on = (date.today() - timedelta(days=3)).isoformat()
    plea("letters", "sent", ref, "--to", "all", "--via", "email", "--on", sent_on, "--force")
    return ref


def test_notifications_private_mail_and_own_mail_are_no_answers(
    plea, db_file: Path, posted: str, tmp_path: Path
) -> None:
    ref = posted
    early = NOW - timedelta(days=30)
    rows, err = import_all(
        plea,
        tmp_path,
        {
            "alert": message(
                "Google Alerts <googlealerts-noreply@google.com>",
                "Google Alert - humanitarian visa",
                "News about visas.",
                List_Unsubscribe="<https://www.google.com/alerts/remove>",
            ),
            "calendar": message(
                "Google Calendar <calendar-notification@google.com>",
                "Invitation: Consultation @ Mon 7 Dec 2026",
                "You have been invited.",
            ),
            "wordpress": message(
                "WordPress.com <donotreply@wordpress.com>",
                "New post on Germany Embassy",
                "A new post was published.",
            ),
            "govuk": message(
                "GOV.UK <noreply@notifications.service.gov.uk>",
                "Update: Foreign travel advice",
                "Kazakhstan travel advice updated.",
                Precedence="bulk",
            ),
            "swiss": message(
                "Hans Muster <hans.muster@bluewin.ch>", "Grüezi", "Private mail from an ISP address."
            ),
            "colleague": message(
                "Olga Colleague <olga@legal-aid.example>",
                f"Note on {ref}",
                f"Internal: call the client about {ref} tomorrow.",
            ),
            "own": message(
                "Jane Counsel <jane@legal-aid.example>", f"[{ref}] copy", f"My letter about {ref}."
            ),
            "early": message(
                "Consular Section <visa@washington.diplo.example>",
                f"About {ref}",
                f"Your file {ref}.",
                when=early,
            ),
            "italy": message("Ambasciata <amb.washington@bluewin.ch>", "Risposta", "La vostra lettera."),
        },
    )
    assert q(db_file, "SELECT state FROM response") == [("IT",)]  # the one from the mission's own address
    assert rows["italy.eml"]["matched_by"] == "sender"
    unanswered = {n: (r["status"], r["state"], r["response"]) for n, r in rows.items() if n != "italy.eml"}
    assert unanswered == {
        "alert.eml": ("unmatched", "", None),
        "calendar.eml": ("unmatched", "", None),
        "wordpress.eml": ("unmatched", "", None),
        "govuk.eml": ("notice", "", None),
        "swiss.eml": ("unmatched", "", None),
        "colleague.eml": ("unmatched", "", None),
        "own.eml": ("unmatched", "", None),
        "early.eml": ("unmatched", "", None),  # its case is known, its date is before the letter
    }
    assert rows["early.eml"]["case"] == ref
    assert err.endswith(
        "9 new message(s), 1 matched and logged as unclassified answers, "
        "7 left for `plea inbox triage`; 0 already kept; 1 automatic notice(s)\n"
    )
    answered = {
        s["state"] for s in json.loads(plea("status", ref, "--json").stdout)["states"] if s["answered"]
    }
    assert answered == {"IT"}


def test_undo_returns_the_letter_to_sent(plea, db_file: Path, posted: str, tmp_path: Path) -> None:
    ref = posted
    rows, _ = import_all(
        plea, tmp_path, {"italy": message("Ambasciata <amb.washington@bluewin.ch>", "Risposta")}
    )
    mid = rows["italy.eml"]["id"]
    assert q(
        db_file, "SELECT l.status FROM letter l JOIN mission m ON m.id = l.mission_id WHERE m.sending = 'IT'"
    ) == [("answered",)]
    r = plea("inbox", "triage", "--undo", str(mid))
    assert (
        r.stdout
        == f"message {mid}: response {rows['italy.eml']['response']} removed; the message is left for triage\n"
    )
    assert q(db_file, "SELECT count(*) FROM response") == [(0,)]
    letter = q(
        db_file, "SELECT l.status FROM letter l JOIN mission m ON m.id = l.mission_id WHERE m.sending = 'IT'"
    )
    assert letter == [("sent",)]
    kinds = [k for (k,) in q(db_file, "SELECT kind FROM event ORDER BY id")]
    assert kinds[-3:] == ["response.removed", "letter.sent", "email.undone"]
    status = {s["state"]: s["answered"] for s in json.loads(plea("status", ref, "--json").stdout)["states"]}
    assert status["IT"] is False
    r = plea("inbox", "triage", "--undo", str(mid), code=6)
    assert r.stderr == (
        f"plea: error: message {mid} is not logged as an answer: nothing to undo\n"
        "  decide it with `plea inbox triage --message ID`\n"
    )
    assert plea("inbox", "triage", "--message", str(mid), "--ignore").stdout == f"message {mid}: ignored\n"


@pytest.fixture
def emailed(
    plea, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, str]]:
    return emailed_case(plea, db_file, tmp_path, monkeypatch, to="FR,DE,KZ,IT")


#: sisimai fixture → the Message-ID of the original it returns (replaced by a letter's)
BOUNCES = {
    "lhost-postfix-04.eml": (
        "FR",
        "<A8F82EDD-E518-4F5C-8C70-BC4EFF24AB9F@example.ne.jp>",
        "delivery report: failed 5.1.1",
    ),
    "lhost-amazonses-01.eml": (
        "DE",
        "<000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com>",
        "delivery report: failed 5.0.0",
    ),
    "lhost-office365-04.eml": (
        "KZ",
        "<SLXP216MB0381A8F03A83505296890D11A9950@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM>",
        "delivery report: failed 5.1.351",
    ),
}


def test_real_bounces_and_an_out_of_office_reply(plea, db_file: Path, emailed, tmp_path: Path) -> None:
    ref, ids = emailed
    messages = {}
    for name, (state, original, _reason) in BOUNCES.items():
        messages[name.removesuffix(".eml")] = (
            (REAL / name).read_bytes().replace(original.encode(), ids[state].encode())
        )
    # Exchange's out-of-office reply, from the Italian mission's own address, in reply to the letter
    ooo = (REAL / "rfc3834-02.eml").read_bytes().replace(b"nekonyaan@example.org", EMAIL["IT"].encode())
    messages["rfc3834-02"] = ooo.replace(
        b"Subject: Automatic reply", f"In-Reply-To: {ids['IT']}\nSubject: Automatic reply".encode()
    )
    # plea's own sent copy (Bcc or the Sent folder) mentions the case and carries plea's Message-ID
    own = message("Jane Counsel <jane@legal-aid.example>", f"[{ref}] letter", f"About {ref}.")
    messages["own-copy"] = own.replace(b"Message-ID: <", b"X-Old-ID: <", 1).replace(
        b"Subject:", f"Message-ID: {ids['FR']}\nSubject:".encode(), 1
    )
    rows, err = import_all(plea, tmp_path, messages)
    assert q(db_file, "SELECT count(*) FROM response") == [(0,)]
    for name, (state, _original, reason) in BOUNCES.items():
        row = rows[name]
        assert (row["status"], row["state"], row["matched_by"], row["response"]) == (
            "bounce",
            state,
            "bounce",
            None,
        )
        assert json.loads(plea("inbox", "show", str(row["id"]), "--json").stdout)["reason"] == reason
    letters = dict(
        q(db_file, "SELECT m.sending, l.status FROM letter l JOIN mission m ON m.id = l.mission_id")
    )
    assert letters == {"FR": "bounced", "DE": "bounced", "KZ": "bounced", "IT": "sent"}
    oof = rows["rfc3834-02.eml"]
    assert (oof["status"], oof["state"], oof["response"]) == ("notice", "IT", None)
    shown = plea("inbox", "show", str(oof["id"])).stdout
    assert "Why: out-of-office reply (its subject)\n" in shown
    mine = rows["own-copy.eml"]
    assert (mine["status"], mine["response"]) == ("notice", None)
    assert json.loads(plea("inbox", "show", str(mine["id"]), "--json").stdout)["reason"] == (
        "plea's own message (its Message-ID is in the outbox)"
    )
    assert err.endswith(
        "5 new message(s), 0 matched and logged as unclassified answers, 0 left for "
        "`plea inbox triage`; 0 already kept; 3 bounce(s); 2 automatic notice(s)\n"
    )


def test_distinct_messages_sharing_a_message_id_are_all_kept(plea, db_file: Path, tmp_path: Path) -> None:
    first = message("a@example.org", "One", "first text")
    second = first.replace(b"first text", b"other text")
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "1.eml").write_bytes(first)
    (folder / "2.eml").write_bytes(second)
    (folder / "3.eml").write_bytes(first.replace(b"\n", b"\r\n"))  # the same message with CRLF
    r = plea("inbox", "import", str(folder))
    assert "2 new message(s)" in r.stderr and "1 already kept" in r.stderr
    keys = sorted(k for (k,) in q(db_file, "SELECT key FROM inbound_message"))
    assert keys[0].startswith("<") and keys[1].startswith("sha256:")


def test_a_long_encoded_header_and_an_oversized_message_are_kept_unparsed(
    plea, db_file: Path, tmp_path: Path
) -> None:
    word = "=?utf-8?B?0J/RgNC40LLQtdGC?="
    huge = message("a@example.org", "x").replace(
        b"Subject: x", ("Subject: " + "\n ".join([word] * 12000)).encode()
    )
    big = message("b@example.org", "big", "x" * (2 * 1024 * 1024))
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "1.eml").write_bytes(huge)
    (folder / "2.eml").write_bytes(big)
    plea("config", "set", "inbox.max_message_mb", "1")
    r = plea("inbox", "import", str(folder), "--json")
    kb = round(len(huge.split(b"\n\n")[0]) / 1024)
    assert r.stderr.splitlines()[:2] == [
        f"warning: {folder / '1.eml'}: kept for triage, not parsed: header of {kb} KB, over the 256 KB cap "
        "(inbox.max_header_kb)",
        f"warning: {folder / '2.eml'}: kept for triage, not parsed: message of {len(big) / 1048576:.1f} MB, over the 1.0 MB cap "
        "(inbox.max_message_mb)",
    ]
    rows = json.loads(r.stdout)
    assert [(x["status"], x["from"]) for x in rows] == [
        ("malformed", "a@example.org"),
        ("malformed", "b@example.org"),
    ]
    assert rows[1]["subject"] == "big"
    r = plea("config", "set", "inbox.max_header_kb", "lots", code=3)
    assert r.stderr == "plea: error: inbox.max_header_kb: 'lots' is not a whole number from 1 to 100000\n"
    # with the cap raised, the long header decodes (in linear time: bench/headers.py)
    from plea.mail.headers import Limits
    from plea.mail.parse import parse

    assert parse(huge, Limits(header=4 << 20)).subject == "Привет" * 12000


@pytest.mark.sqlite_only
def test_no_plaintext_spill_with_an_encrypted_database(
    plea, empty_db, plea_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sqlcipher3")
    monkeypatch.setenv("PLEA_PASSPHRASE", "correct horse battery staple")
    plea("init", "--encrypt")
    secret = "Unrepeatable-Secret-Zarema"
    m = EmailMessage()
    m["From"], m["Subject"], m["Message-ID"] = "x@example.org", "Re", "<spill-1@example.org>"
    m.set_content(f"Body {secret}")
    m.add_attachment(f"Attachment {secret}".encode(), maintype="application", subtype="pdf", filename="a.pdf")
    eml = tmp_path / "in.eml"
    eml.write_bytes(m.as_bytes())
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PLEA_HOME": str(plea_home)}
    done = subprocess.run(
        [sys.executable, "-m", "plea", "inbox", "import", str(eml)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []
    stored = [p for p in plea_home.rglob("*") if p.is_file()]
    assert any("mail" in p.parts for p in stored) and any("attachments" in p.parts for p in stored)
    for p in stored:
        assert secret.encode() not in p.read_bytes(), p


def test_the_states_official_mail_domain_matches_and_nothing_looser(
    plea, db_file: Path, tmp_path: Path
) -> None:
    """The German mission written to keeps a webmail address; a reply from another German
    embassy's domain (diplo.de, used by the embassies in Vienna, Bern, Cairo and Niamey in the
    shipped directory) is Germany's. An honorary consul's firm domain speaks for nobody, and a
    case reference from an unknown sender gives the case but not the state."""
    ref = make_case(plea, tmp_path / "letters", to="DE")
    plea("embassies", "edit", "Q324833", "--email", "germany.washington@gmail.com")
    sent_on = (date.today() - timedelta(days=3)).isoformat()
    plea("letters", "sent", ref, "--to", "all", "--via", "email", "--on", sent_on, "--force")
    rows, _ = import_all(
        plea,
        tmp_path,
        {
            "a-official": message(
                "Visa <visa@washington.diplo.de>", "Ihr Schreiben", "Wir bestätigen den Eingang."
            ),
            "b-honorary": message("Konsul <office@hk-diplo.de>", "Termin", "Ein Termin."),
            "c-webmail": message("Someone <someone@gmail.com>", "Hallo", "Privat."),
            "d-unknown": message("News <editor@newsletter.example>", f"On {ref}", f"We read about {ref}."),
        },
    )
    got = {n: (r["status"], r["case"], r["state"], r["matched_by"]) for n, r in rows.items()}
    assert got == {
        "a-official.eml": ("unclassified", ref, "DE", "domain"),
        "b-honorary.eml": ("unmatched", None, "", ""),
        "c-webmail.eml": ("unmatched", None, "", ""),
        "d-unknown.eml": ("unmatched", ref, "", "case-ref"),
    }
    assert q(db_file, "SELECT state FROM response") == [("DE",)]


@pytest.mark.sqlite_only
def test_a_killed_import_leaves_nothing_in_clear(
    plea, empty_db, plea_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 in the middle of importing a mailbox into an encrypted database: the system temp
    folder stays empty and every file plea wrote holds no message text in clear."""
    import mailbox
    import signal
    import time

    pytest.importorskip("sqlcipher3")
    monkeypatch.setenv("PLEA_PASSPHRASE", "correct horse battery staple")
    plea("init", "--encrypt")
    secret = "Unrepeatable-Secret-Zarema"
    box = mailbox.mbox(str(tmp_path / "in.mbox"))
    for n in range(400):
        m = EmailMessage()
        m["From"], m["Subject"], m["Message-ID"] = "x@example.org", f"Re {n}", f"<kill-{n}@example.org>"
        m.set_content(f"Body {n} {secret}")
        m.add_attachment(
            f"Attachment {n} {secret}".encode(), maintype="application", subtype="pdf", filename=f"{n}.pdf"
        )
        box.add(m.as_bytes())
    box.close()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PLEA_HOME": str(plea_home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "plea", "inbox", "import", str(tmp_path / "in.mbox")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    folder = plea_home / "files" / "attachments"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and len(list(folder.glob("*"))) < 20:
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(scratch.iterdir()) == []
    written = [p for p in plea_home.rglob("*") if p.is_file()]
    assert len([p for p in written if "mail" in p.parts]) >= 20
    for p in written:
        assert secret.encode() not in p.read_bytes(), p


def test_own_domains_setting_keeps_colleagues_replies_out(
    plea, db_file: Path, emailed, tmp_path: Path
) -> None:
    """A reply in the letter's thread from a partner organisation's colleague counts as the
    embassy's answer until that domain is declared one's own (inbox.own_domains)."""
    ref, ids = emailed
    first = message("Olga <olga@partner-ngo.example>", "Re: letter", "Forwarding to the team.")
    first = first.replace(b"Subject:", f"In-Reply-To: {ids['FR']}\nSubject:".encode(), 1)
    assert plea("config", "set", "inbox.own_domains", "partner-ngo.example other.example").stdout == (
        "inbox.own_domains = partner-ngo.example other.example\n"
    )
    rows, _ = import_all(plea, tmp_path, {"olga": first})
    assert (rows["olga.eml"]["status"], rows["olga.eml"]["response"]) == ("unmatched", None)
    plea("config", "set", "inbox.own_domains", "")
    second = first.replace(b"Forwarding", b"Now forwarding")
    rows, _ = import_all(plea, tmp_path, {"olga2": second})
    assert (rows["olga2.eml"]["status"], rows["olga2.eml"]["state"]) == ("unclassified", "FR")
