"""`plea send` against a real SMTP server (aiosmtpd on loopback): what arrives, when a letter
counts as sent, authentication failures, refused recipients and --retry, a crash between the
server's acceptance and plea's commit, STARTTLS and implicit TLS."""

from __future__ import annotations

import time
from email.utils import parseaddr
from pathlib import Path

import pytest

from plea.render.catalog import get_letter
from tests.conftest import Days
from tests.dbcheck import rows as q
from tests.mail_peers import EMAIL, PASSWORD, SmtpPeer, clear_mail_env, make_case

pytest.importorskip("aiosmtpd")
# aiosmtpd warns when AUTH is offered without STARTTLS: so it is for implicit TLS and plain loopback
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def letter_status(db: Path) -> dict[str, str]:
    return dict(q(db, "SELECT m.sending, l.status FROM letter l JOIN mission m ON m.id = l.mission_id"))


@pytest.fixture(autouse=True)
def _no_mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mail_env(monkeypatch)


@pytest.fixture
def case(plea, db_file: Path, tmp_path: Path) -> str:
    return make_case(plea, tmp_path / "letters")


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with SmtpPeer(tmp_path / "smtp", "starttls") as peer:
        peer.env(monkeypatch)
        yield peer


def test_send_delivers_each_letter_with_subject_body_and_docx(
    days: Days, plea, db_file: Path, case: str, smtp: SmtpPeer, tmp_path: Path
) -> None:
    r = plea("send", case, "--to", "all")
    assert "Poland (PL): the mission Q5369830 has no email address" in r.stderr
    by_rcpt = {x.rcpt_tos[0]: x for x in smtp.received}
    assert sorted(by_rcpt) == sorted(EMAIL.values())
    langs = dict(q(db_file, "SELECT m.sending, l.lang FROM letter l JOIN mission m ON m.id = l.mission_id"))
    spec = get_letter("humanitarian-visa")
    for state in ("FR", "DE", "KZ", "IT"):
        got = by_rcpt[EMAIL[state]]
        msg = got.message
        assert msg["Subject"] == f"[{case}] {spec.subject(langs[state])}"
        assert parseaddr(msg["From"]) == ("Jane Counsel", "jane@legal-aid.example")
        assert msg["Reply-To"] == "replies@legal-aid.example"
        assert got.mail_from == "jane@legal-aid.example"
        assert msg["Content-Language"] == langs[state]
        docx_name = f"{case}_{state}-US_humanitarian-visa_{langs[state]}.docx"
        attachments = {a.get_filename(): a for a in msg.iter_attachments()}
        assert list(attachments) == [docx_name]
        data = attachments[docx_name].get_content()
        assert data == (tmp_path / "letters" / docx_name).read_bytes()
        txt = (tmp_path / "letters" / docx_name.replace(".docx", ".txt")).read_text(encoding="utf-8")
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == txt.strip()
        stored = q(
            db_file,
            "SELECT o.message_id, o.status, o.server_reply FROM outbox o JOIN letter l ON "
            "l.id = o.letter_id JOIN mission m ON m.id = l.mission_id WHERE m.sending = ?",
            state,
        )
        assert stored == [(msg["Message-ID"], "sent", stored[0][2])] and stored[0][2].startswith(
            "250 2.0.0 Ok"
        )
    # the German subject really is German: the letter's language, not English
    assert by_rcpt[EMAIL["DE"]].message["Subject"] == f"[{case}] Ersuchen um ein humanitäres Visum"
    assert letter_status(db_file) == {"FR": "sent", "DE": "sent", "KZ": "sent", "IT": "sent", "PL": "drafted"}
    vias = q(db_file, "SELECT DISTINCT via, \"on\" FROM letter_event WHERE status = 'sent'")
    assert len(vias) == 1 and vias[0][0] == "email" and vias[0][1] in days  # one day: the send's today
    kinds = [
        k for (k,) in q(db_file, "SELECT kind FROM event WHERE kind LIKE 'email.%' OR kind = 'letter.sent'")
    ]
    assert (
        kinds.count("email.queued") == 4
        and kinds.count("email.sending") == 4
        and kinds.count("letter.sent") == 4
    )
    # running it again sends nothing twice
    r = plea("send", case, "--to", "all")
    assert len(smtp.received) == 4
    assert "France (FR): already sent by email" in r.stderr


def test_letter_is_marked_sent_only_after_the_server_accepted(
    plea, db_file: Path, case: str, smtp: SmtpPeer
) -> None:
    seen: list[tuple] = []
    smtp.handler.on_data = lambda env: seen.append(
        tuple(q(db_file, "SELECT o.status, l.status FROM outbox o JOIN letter l ON l.id = o.letter_id")[0])
    )
    plea("send", case, "--to", "FR")
    assert seen == [("sending", "drafted")]  # while the server held the message: not yet sent
    assert q(db_file, "SELECT o.status, l.status FROM outbox o JOIN letter l ON l.id = o.letter_id") == [
        ("sent", "sent")
    ]


def test_authentication_failure_stops_before_anything_is_marked(
    plea, db_file: Path, case: str, smtp: SmtpPeer, monkeypatch
) -> None:
    monkeypatch.setenv("PLEA_SMTP_PASSWORD", "wrong")
    r = plea("send", case, "--to", "all", code=8)
    assert "authentication failed for plea-user" in r.stderr and "nothing was sent" in r.stderr
    assert "wrong" not in r.stderr and "wrong" not in r.stdout
    assert smtp.received == []
    assert q(db_file, "SELECT count(*) FROM outbox") == [(0,)]
    assert set(letter_status(db_file).values()) == {"drafted"}


def test_refused_recipient_is_reported_the_rest_go_on_and_retry_sends_only_failures(
    plea, db_file: Path, case: str, smtp: SmtpPeer
) -> None:
    smtp.handler.refuse = {EMAIL["DE"]}
    r = plea("send", case, "--to", "all", code=8)
    assert "550 5.1.1" in r.stdout + r.stderr and "1 message(s) not delivered" in r.stderr
    assert sorted(x.rcpt_tos[0] for x in smtp.received) == sorted([EMAIL["FR"], EMAIL["KZ"], EMAIL["IT"]])
    assert letter_status(db_file)["DE"] == "drafted"
    assert q(db_file, "SELECT error FROM outbox WHERE status = 'failed'")[0][0].startswith("550 5.1.1")
    # a plain run does not retry failures; --retry does, and only them
    plea("send", case, "--to", "all")
    assert len(smtp.received) == 3
    smtp.handler.refuse = set()
    plea("send", "--retry")
    assert [x.rcpt_tos[0] for x in smtp.received[3:]] == [EMAIL["DE"]]
    assert letter_status(db_file)["DE"] == "sent"
    plea("send", "--retry")
    assert len(smtp.received) == 4
    assert q(db_file, "SELECT attempts FROM outbox WHERE recipient = ?", EMAIL["DE"]) == [(2,)]


class Crash(BaseException):
    """Stands for the process dying (kill -9, power cut) right after the server said 250."""


def test_crash_between_acceptance_and_commit_never_sends_twice(
    plea, db_file: Path, case: str, smtp: SmtpPeer, monkeypatch
) -> None:
    import plea.mail.outbox as outbox

    def crash(*args: object, **kwargs: object) -> None:
        raise Crash()

    with monkeypatch.context() as m:
        m.setattr(outbox, "accepted", crash)
        with pytest.raises(Crash):
            plea("send", case, "--to", "FR,DE")
    assert len(smtp.received) == 1  # the server has the first message; plea died before recording it
    rows = q(db_file, "SELECT id, status FROM outbox ORDER BY id")
    assert [s for _, s in rows] == ["sending", "queued"]
    assert letter_status(db_file)["FR"] == "drafted"
    # later runs: the uncertain one is never sent again by itself; the queued one goes
    r = plea("send", case, "--to", "FR,DE")
    assert "may already have been delivered" in r.stderr and f"outbox {rows[0][0]}" in r.stderr
    plea("send", "--retry")
    plea("send", case, "--to", "all")
    rcpts = [x.rcpt_tos[0] for x in smtp.received]
    assert rcpts.count(EMAIL["FR"]) == 1 and rcpts.count(EMAIL["DE"]) == 1
    # a person settles it
    plea("outbox", "resolve", str(rows[0][0]), "--sent")
    assert letter_status(db_file)["FR"] == "sent"
    plea("outbox", "resolve", str(rows[0][0]), "--failed", code=6)


def test_uncertain_message_resolved_as_failed_goes_again_with_retry(
    plea, db_file: Path, case: str, smtp: SmtpPeer, monkeypatch
) -> None:
    import plea.mail.outbox as outbox

    with monkeypatch.context() as m:
        m.setattr(outbox, "accepted", lambda *a, **k: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            plea("send", case, "--to", "IT")
    (oid,) = q(db_file, "SELECT id FROM outbox")[0]
    plea("outbox", "resolve", str(oid), "--failed")
    plea("send", "--retry")
    assert [x.rcpt_tos[0] for x in smtp.received] == [EMAIL["IT"], EMAIL["IT"]]
    assert letter_status(db_file)["IT"] == "sent"


def test_connection_lost_after_handing_over_is_uncertain_not_resent(
    plea, db_file: Path, case: str, smtp: SmtpPeer
) -> None:
    smtp.handler.hang_up_after_data = True
    r = plea("send", case, "--to", "FR,DE", code=8)
    assert "uncertain" in r.stdout and "connection lost while the message was handed over" in r.stderr
    assert len(smtp.received) == 1  # the run stops: the server may have the message, the rest wait
    assert [s for (s,) in q(db_file, "SELECT status FROM outbox ORDER BY id")] == ["sending", "queued"]
    smtp.handler.hang_up_after_data = False
    plea("send", "--retry")
    assert len(smtp.received) == 2 and smtp.received[1].rcpt_tos != smtp.received[0].rcpt_tos
    assert "email.uncertain" in [k for (k,) in q(db_file, "SELECT kind FROM event")]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_modes(plea, db_file: Path, case: str, tmp_path: Path, monkeypatch, security: str) -> None:
    with SmtpPeer(tmp_path / security, security) as peer:
        peer.env(monkeypatch)
        plea("send", case, "--to", "FR")
        assert [x.rcpt_tos for x in peer.received] == [[EMAIL["FR"]]]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_untrusted_certificate_is_refused(
    plea, db_file: Path, case: str, tmp_path: Path, monkeypatch, security: str
) -> None:
    with SmtpPeer(tmp_path / security, security) as peer:
        peer.env(monkeypatch)
        monkeypatch.delenv("PLEA_SMTP_CAFILE")
        r = plea("send", case, "--to", "FR", code=8)
        assert "certificate could not be verified" in r.stderr and "smtp.cafile" in r.stderr
        assert peer.received == []


def test_plain_smtp_only_to_this_machine(plea, db_file: Path, case: str, tmp_path: Path, monkeypatch) -> None:
    with SmtpPeer(tmp_path / "plain", "none") as peer:
        peer.env(monkeypatch)
        plea("send", case, "--to", "KZ")
        assert len(peer.received) == 1
    monkeypatch.setenv("PLEA_SMTP_HOST", "smtp.example.org")
    r = plea("send", case, "--to", "FR", code=3)
    assert "clear text" in r.stderr


def test_dry_run_writes_eml_files_and_records_nothing(plea, db_file: Path, case: str, tmp_path: Path) -> None:
    out = tmp_path / "eml"
    r = plea("send", case, "--to", "FR,PL", "--dry-run", "--out", str(out))
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [Path(line).name for line in r.stdout.split()]
    assert len(files) == 1 and files[0].name.startswith(f"{case}_FR-US_")
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(files[0].read_bytes(), policy=default)
    assert msg["Subject"].startswith(f"[{case}] ") and msg["To"] == EMAIL["FR"]
    assert [a.get_filename() for a in msg.iter_attachments()] == [files[0].name.replace(".eml", ".docx")]
    assert "Poland (PL)" in r.stderr
    assert q(db_file, "SELECT count(*) FROM outbox") == [(0,)]
    assert q(db_file, "SELECT count(*) FROM event WHERE kind LIKE 'email.%'") == [(0,)]


def test_rate_spaces_messages(plea, db_file: Path, case: str, smtp: SmtpPeer) -> None:
    start = time.monotonic()
    plea("send", case, "--to", "FR,DE,IT", "--rate", "300/min")
    assert time.monotonic() - start >= 0.4  # three messages, 0.2 s apart
    plea("send", case, "--to", "KZ", "--rate", "fast", code=3)


def test_smtp_settings_and_password_rules(
    plea, db_file: Path, case: str, smtp: SmtpPeer, monkeypatch
) -> None:
    # the same server configured in the database instead of the environment
    for key in ("HOST", "PORT", "SECURITY", "USER", "CAFILE"):
        value = __import__("os").environ[f"PLEA_SMTP_{key}"]
        monkeypatch.delenv(f"PLEA_SMTP_{key}")
        plea("config", "set", f"smtp.{key.lower()}", value)
    plea("config", "set", "smtp.from", "Campaign <campaign@legal-aid.example>")
    r = plea("config", "set", "smtp.password", "hunter2", code=3)
    assert "never stored" in r.stderr
    plea("config", "set", "smtp.security", "ssl", code=3)
    plea("config", "set", "smtp.port", "99999", code=3)
    assert "smtp.host = 127.0.0.1" in plea("config", "get").stdout
    assert q(
        db_file, "SELECT count(*) FROM setting WHERE value LIKE '%hunter2%' OR key LIKE '%password%'"
    ) == [(0,)]
    # no password anywhere and no terminal: a clear error, nothing sent
    monkeypatch.delenv("PLEA_SMTP_PASSWORD")
    r = plea("send", case, "--to", "FR", code=3)
    assert "no password for plea-user" in r.stderr and "PLEA_SMTP_PASSWORD" in r.stderr
    monkeypatch.setenv("PLEA_SMTP_PASSWORD", PASSWORD)
    plea("send", case, "--to", "FR")
    msg = smtp.received[0].message
    assert parseaddr(msg["From"]) == ("Campaign", "campaign@legal-aid.example")
    assert msg["Reply-To"] == "replies@legal-aid.example"
    assert msg["Message-ID"].endswith("@legal-aid.example>")


def test_password_from_the_keyring(plea, db_file: Path, case: str, smtp: SmtpPeer, monkeypatch) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        monkeypatch.delenv("PLEA_SMTP_PASSWORD")
        plea("config", "password", "smtp", input=f"{PASSWORD}\n")
        assert Memory.store == {("plea", "smtp:plea-user@127.0.0.1"): PASSWORD}
        plea("send", case, "--to", "FR")
        assert len(smtp.received) == 1
    finally:
        keyring.set_keyring(previous)


def test_send_needs_a_case_and_recipients(plea, db_file: Path, case: str) -> None:
    assert "name the case" in plea("send", code=3).stderr
    assert "--to" in plea("send", case, code=3).stderr
    r = plea("send", case, "--to", "FR", code=3)
    assert "no SMTP server is configured" in r.stderr
