"""Reading one received message, whatever its shape: any charset (koi8-r, windows-1251…),
base64 or quoted-printable, RFC 2047 headers, HTML-only bodies, and forwarded replies (an
attached message/rfc822, or a quoted "Forwarded message" block) whose inner sender and
references count for matching. Bounded: the size caps are checked before parsing, and the
fields plea reads are decoded by plea.mail.headers in linear time (the compat32 policy keeps
header values raw; the default policy's header parser is quadratic on long headers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from plea.mail.headers import Limits, TooLarge, check_size, decode_words
from plea.text import clean

MSGID = re.compile(r"<[^<>\s]+>")
# "From: Name <a@b>" / "От: …" / "De : …" lines inside a quoted forward
FORWARDED_FROM = re.compile(r"^[>\s]*(?:from|von|de|da|от|od|差出人|发件人)\s*:\s*(.+)$", re.I | re.M)
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# header fields that say a message was sent by a machine (read by plea.mail.auto)
MACHINE_FIELDS = ("auto-submitted", "x-autoreply", "x-autorespond", "precedence", "list-id", "return-path",
                  "x-auto-response-suppress", "content-type")


class _RawHeaders(Compat32):
    """compat32, with header values returned as read: 8-bit bytes (raw UTF-8 in a header, which
    many mailers send) stay recoverable instead of being replaced; _text decodes them."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


RAW_HEADERS = _RawHeaders()


def _text(value: str) -> str:
    """A raw header value as text: 8-bit bytes as UTF-8 (else Windows-1252), encoded words decoded."""
    if not value.isascii():
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", "replace")
    return decode_words(value)


class Malformed(Exception):
    """Not a readable email message; the text says why."""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_id: str
    subject: str
    sender: str  # the outer From address, lower case
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # plain text of the body and of forwarded parts
    senders: list[str] = field(default_factory=list)  # outer and forwarded From addresses
    attachments: list[Attachment] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # MACHINE_FIELDS present, lower-case names
    delivery: list[tuple[str, str]] = field(default_factory=list)  # a DSN's (Action, Status) per recipient
    # Message-IDs of enclosed messages (returned by a bounce, or forwarded)
    enclosed_ids: list[str] = field(default_factory=list)
    # In-Reply-To and References of forwarded messages
    forwarded_refs: list[str] = field(default_factory=list)


class _Text(HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    p.close()
    lines = [" ".join(line.split()) for line in "".join(p.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    return clean(" ".join(_text(str(value)).split())) if value is not None else ""


def _ids(value: str) -> list[str]:
    return MSGID.findall(value or "")


def _addresses(value: str) -> list[str]:
    return [a.lower() for _n, a in getaddresses([value]) if "@" in a]


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    if charset is None or charset in ("us-ascii", "ascii"):  # undeclared 8-bit text: UTF-8, else Windows-1252
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: keep what can be read
        return payload.decode("utf-8", errors="replace")


def _collect(part: Message, out: Parsed, depth: int, plain: list[str], html: list[str]) -> None:
    ctype = part.get_content_type()
    payload = part.get_payload()
    if ctype == "message/delivery-status" and isinstance(payload, list):
        for block in payload[1:]:  # the first block is about the message, the others each a recipient
            out.delivery.append((_header(block, "Action").lower(), _header(block, "Status")))
        return
    if ctype == "text/rfc822-headers":
        out.enclosed_ids += _ids(_decode(part))
        return
    if part.get_content_maintype() == "message" and isinstance(payload, list):
        if payload:
            out.enclosed_ids += _ids(_header(payload[0], "Message-ID"))
        if payload and depth < 5 and out.fields.get("content-type", "").lower().find("multipart/report") < 0:
            _forwarded(payload[0], out, depth + 1)
        return
    if part.is_multipart():
        for sub in payload:
            _collect(sub, out, depth, plain, html)
        return
    filename = _text(part.get_filename() or "")
    disposition = (part.get_content_disposition() or "").lower()
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        (plain if ctype == "text/plain" else html).append(_decode(part))
    else:
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            out.attachments.append(
                Attachment(clean(filename or "") or f"part-{len(out.attachments) + 1}", ctype, data)
            )


def _walk(msg: Message, out: Parsed, depth: int = 0) -> None:
    plain: list[str] = []
    html: list[str] = []
    _collect(msg, out, depth, plain, html)
    body = "\n\n".join(plain) if any(t.strip() for t in plain) else "\n\n".join(html_text(h) for h in html)
    out.text = (out.text + "\n\n" + clean(body)).strip() if out.text else clean(body).strip()


def _forwarded(inner: Message, out: Parsed, depth: int) -> None:
    out.senders += [a for a in _addresses(_header(inner, "From")) if a not in out.senders]
    # the inner In-Reply-To, never the inner Message-ID: a forwarded copy of plea's own letter
    # carries plea's Message-ID, and is no answer
    out.in_reply_to += _ids(_header(inner, "In-Reply-To"))
    out.references += _ids(_header(inner, "References"))
    out.forwarded_refs += _ids(_header(inner, "In-Reply-To")) + _ids(_header(inner, "References"))
    subject = _header(inner, "Subject")
    if subject:
        out.text = (out.text + "\n\nSubject: " + subject).strip()
    _walk(inner, out, depth)


def parse(raw: bytes, limits: Limits | None = None) -> Parsed:
    """One message from its bytes; Malformed if it is not an email message at all or is over
    a size cap (checked before anything is parsed)."""
    if not raw.strip():
        raise Malformed("empty")
    try:
        check_size(raw, limits or Limits())
    except TooLarge as exc:
        raise Malformed(str(exc)) from None
    try:
        msg = message_from_bytes(raw, policy=RAW_HEADERS)
        keys = {k.lower() for k in msg.keys()}
        if not keys & {"from", "message-id"}:
            raise Malformed("no From or Message-ID header: not an email message")
        out = _outer(msg)
        _walk(msg, out)
    except Malformed:
        raise
    except Exception as exc:  # the parser met something it cannot read: kept for triage with the reason
        raise Malformed(f"{exc.__class__.__name__}: {exc}") from None
    for match in FORWARDED_FROM.finditer(out.text):
        for addr in ADDRESS.findall(match.group(1)):
            if addr.lower() not in out.senders:
                out.senders.append(addr.lower())
    return out


def parse_date(value: str) -> datetime | None:
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)


def _outer(msg: Message) -> Parsed:
    senders = _addresses(_header(msg, "From"))
    ids = _ids(_header(msg, "Message-ID"))
    return Parsed(
        message_id=ids[0] if ids else "",
        subject=_header(msg, "Subject"),
        sender=senders[0] if senders else "",
        date=parse_date(str(msg["Date"])) if msg.get("Date") else None,
        in_reply_to=_ids(_header(msg, "In-Reply-To")),
        references=_ids(_header(msg, "References")),
        text="",
        senders=list(senders),
        fields={k: _header(msg, k) for k in MACHINE_FIELDS if msg.get(k) is not None},
    )
