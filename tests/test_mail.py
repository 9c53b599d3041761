"""The email core without servers: reading any message (charsets, transfer encodings, RFC 2047,
HTML, forwards, garbage), domains, rates and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plea.config import check_mail_setting, server
from plea.errors import InvalidInput
from plea.mail.domains import domain_of, is_provider, org_domain, registrable
from plea.mail.outbox import parse_rate
from plea.mail.parse import Malformed, html_text, parse
from tests.tiers import examples

DATA = Path(__file__).resolve().parent / "data" / "mail"


def load(name: str) -> bytes:
    return (
        (DATA / name)
        .read_bytes()
        .replace(b"{{REF}}", b"PLEA-2026-0042")
        .replace(b"{{MSGID:KZ}}", b"<kz-letter@legal-aid.example>")
        .replace(b"{{MSGID:FR}}", b"<fr-letter@legal-aid.example>")
        .replace(b"{{DATE}}", b"Tue, 03 Nov 2026 09:00:00 +0600")
    )


def test_koi8r_base64_and_encoded_subject() -> None:
    p = parse(load("reply_koi8r_base64.eml"))
    assert p.subject == "Ответ на ваше обращение"
    assert "Посольство получило ваше письмо и передало его в консульский отдел." in p.text
    assert p.sender == "embassy@kazakhembus.example" and p.message_id == "<kz-reply-1@kazakhembus.example>"
    assert p.in_reply_to == ["<kz-letter@legal-aid.example>"] and p.references == [
        "<kz-letter@legal-aid.example>"
    ]
    assert p.date is not None and p.date.isoformat() == "2026-11-02T04:15:00+00:00"


def test_windows1251_quoted_printable_and_mixed_encoded_words() -> None:
    p = parse(load("reply_cp1251_qp.eml"))
    assert p.subject == "Заявление [PLEA-2026-0042] получено"
    assert "По делу PLEA-2026-0042 сообщаем: ваше заявление зарегистрировано." in p.text


def test_html_only_becomes_text() -> None:
    p = parse(load("reply_html_only.eml"))
    assert p.text.splitlines()[0] == "Sehr geehrte Frau Counsel,"
    assert "Das Visum kann nicht erteilt werden." in p.text and "Grüßen" in p.text
    assert "color" not in p.text and "<" not in p.text
    assert html_text("<p>a&amp;b</p><script>alert(1)</script><br>c") == "a&b\n\nc"


def test_forwarded_attachment_brings_inner_sender_ids_and_files() -> None:
    p = parse(load("reply_forwarded.eml"))
    assert p.sender == "colleague.helper@gmail.com"
    assert p.senders == ["colleague.helper@gmail.com", "consulat@ambafrance-us.example"]
    assert "<fr-letter@legal-aid.example>" in p.in_reply_to
    assert "Nous accusons réception de votre courrier." in p.text and "See the consulate's answer" in p.text
    (pdf,) = p.attachments
    assert (pdf.name, pdf.content_type) == ("réponse.pdf", "application/pdf") and pdf.data.startswith(b"%PDF")


def test_inline_forward_names_the_original_sender() -> None:
    p = parse(load("reply_inline_forward.eml"))
    assert p.senders == ["jane@legal-aid.example", "amb.washington@esteri.example"]


def test_unknown_charset_and_lying_charset_still_read() -> None:
    raw = (
        b"From: a@b.example\r\nMessage-ID: <x@b.example>\r\nContent-Type: text/plain; charset=x-made-up\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nBonjour \xc3\xa0 vous\r\n"
    )
    assert "Bonjour à vous" in parse(raw).text
    raw = raw.replace(b"x-made-up", b"utf-8").replace(b"\xc3\xa0", b"\xe0")
    assert "Bonjour" in parse(raw).text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"just some text\nno headers\n",
        (DATA / "malformed.eml").read_bytes(),
    ],
)
def test_not_a_message_is_malformed(raw: bytes) -> None:
    with pytest.raises(Malformed):
        parse(raw)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.binary(max_size=600)
    | st.text(max_size=400).map(
        lambda t: ("From: x@y.example\nSubject: " + t).encode("utf-8", "surrogatepass")
    )
)
def test_any_bytes_give_a_message_or_malformed(raw: bytes) -> None:
    try:
        p = parse(raw)
    except Malformed:
        return
    assert isinstance(p.text, str) and isinstance(p.subject, str)
    assert "\x00" not in p.text + p.subject


def test_domains() -> None:
    """Registrable domains by the public-suffix list; a portal (gov.uk) is nobody's domain;
    a provider's address says nothing about its domain's owner."""
    assert domain_of("Embassy <Info@Washington.Diplo.Example>") == "washington.diplo.example"
    assert domain_of("no address") == ""
    assert registrable("washington.diplo.example") == "diplo.example"
    assert registrable("bern.diplo.de") == "diplo.de"
    assert registrable("fcdo.gov.uk") == "fcdo.gov.uk" and registrable("gov.uk") == ""
    assert registrable("mission.mfa.gov.az") == "mfa.gov.az"
    assert org_domain("info@bern.diplo.de") == "diplo.de"
    for provider in ("x@bluewin.ch", "x@gmail.com", "x@sites.google.com", "x@yahoo.fr", "x@news.wordpress.com"):
        assert org_domain(provider) == "", provider
    assert is_provider("mail.bluewin.ch") and not is_provider("notbluewin.ch")


def test_rates() -> None:
    assert parse_rate(None) == 0 and parse_rate("30/min") == 2 and parse_rate("60") == 1
    assert parse_rate("3600/h") == 1 and parse_rate("2/s") == 0.5
    for bad in ("fast", "0/min", "-1", "5/week"):
        with pytest.raises(InvalidInput):
            parse_rate(bad)


def test_settings_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("PLEA_SMTP_HOST", "PLEA_SMTP_PORT", "PLEA_SMTP_SECURITY", "PLEA_IMAP_PORT"):
        monkeypatch.delenv(key, raising=False)
    assert server({"smtp.host": "smtp.example.org"}, "smtp").port == 587
    assert server({"smtp.host": "smtp.example.org", "smtp.security": "tls"}, "smtp").port == 465
    assert server({"imap.host": "imap.example.org"}, "imap").port == 993
    monkeypatch.setenv("PLEA_SMTP_PORT", "2525")
    assert server({"smtp.host": "smtp.example.org", "smtp.port": "25"}, "smtp").port == 2525  # env wins
    with pytest.raises(InvalidInput, match="no IMAP server"):
        server({}, "imap")
    with pytest.raises(InvalidInput, match="never stored"):
        check_mail_setting("imap.password", "x")
    with pytest.raises(InvalidInput, match="no such file"):
        check_mail_setting("imap.cafile", str(tmp_path / "none.pem"))
    with pytest.raises(InvalidInput, match="not one of"):
        check_mail_setting("imap.security", "none")
    assert check_mail_setting("smtp.from", " Jane <jane@example.org> ") == "Jane <jane@example.org>"


def test_raw_8bit_headers_and_encoded_words_decode() -> None:
    """Raw UTF-8 in a header (many mailers send it), Windows-1252 bytes, and encoded words split
    inside a character across two adjacent words."""
    raw = "From: Иван Петров <Ivan@Example.org>\nSubject: Привет\nMessage-ID: <a@b>\n\nТекст\n".encode()
    p = parse(raw)
    assert (p.subject, p.sender, p.text) == ("Привет", "ivan@example.org", "Текст")
    assert parse(b"From: x@example.org\nSubject: caf\xe9\nMessage-ID: <a@b>\n\nb\n").subject == "café"
    split = b"From: x@example.org\nSubject: =?utf-8?q?h=C3?=\n =?utf-8?q?=A9llo?= world\nMessage-ID: <a@b>\n\nb\n"
    assert parse(split).subject == "héllo world"


def test_size_caps_are_checked_before_parsing() -> None:
    from plea.mail.headers import Limits, decode_words

    raw = b"From: x@example.org\nSubject: " + b"=?utf-8?q?a?= " * 10000 + b"\nMessage-ID: <a@b>\n\nb\n"
    with pytest.raises(Malformed) as exc:
        parse(raw, Limits(header=64 * 1024))
    assert str(exc.value) == "header of 137 KB, over the 64 KB cap (inbox.max_header_kb)"
    assert parse(raw, Limits(header=256 * 1024)).subject == "a" * 10000
    with pytest.raises(Malformed) as exc:
        parse(raw, Limits(message=100 * 1024))
    assert str(exc.value) == "message of 137 KB, over the 100 KB cap (inbox.max_message_mb)"
    assert decode_words("=?x-unknown?q?abc?= =?utf-8?b?0J8?=") == "abcП"


def test_bounces_and_notices_are_told_apart() -> None:
    from plea.mail.auto import classify

    def machine(headers: str, body: str = "Hello.") -> tuple[str, str, bool] | None:
        m = classify(parse(f"From: a@example.org\nMessage-ID: <m@example.org>\n{headers}\n\n{body}\n".encode()))
        return (m.kind, m.reason, m.hard) if m else None

    assert machine("Subject: Re: your letter") is None
    assert machine("Auto-Submitted: no\nSubject: Re") is None
    assert machine("Auto-Submitted: auto-replied\nSubject: Re") == (
        "notice", "automatic (Auto-Submitted: auto-replied)", False)
    assert machine("X-Autoreply: yes\nSubject: Re") == ("notice", "automatic (X-Autoreply)", False)
    assert machine("Precedence: junk\nSubject: Sale") == ("notice", "bulk or automatic (Precedence: junk)", False)
    assert machine("List-Id: <news.example.org>\nSubject: News") == ("notice", "mailing list (List-Id)", False)
    assert machine("Subject: Abwesenheitsnotiz: Ihr Schreiben") == (
        "notice", "out-of-office reply (its subject)", False)
    assert machine("Subject: Автоматический ответ: письмо") == ("notice", "out-of-office reply (its subject)", False)
    daemon = "From: MAILER-DAEMON@mx.example.org\nMessage-ID: <d@example.org>\nSubject: Undeliverable: letter\n\n"
    m = classify(parse((daemon + "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound'\n").encode()))
    assert m is not None and (m.kind, m.reason, m.hard) == ("bounce", "delivery report: failed 5.1.1", True)
    m = classify(parse((daemon + "Delivery is delayed; still trying.\n").encode()))
    assert m is not None and (m.kind, m.reason, m.hard) == ("bounce", "delivery report", False)
