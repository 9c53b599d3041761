"""Fetching replies from an IMAP folder over TLS (implicit, or STARTTLS), read-only: messages
are not marked seen, moved or deleted. Only the Message-ID header and the size are read first,
so messages already kept are not downloaded again (a message that shares a Message-ID with a
kept one but differs in size is downloaded: distinct messages are all kept)."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from datetime import date

from plea.config import Server
from plea.errors import ExternalProblem

UID = re.compile(rb"UID (\d+)")
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
MSGID = re.compile(rb"<[^<>\s]+>")
CHUNK = 200


def _connect(srv: Server, password: str | None, timeout: float) -> imaplib.IMAP4:
    try:
        if srv.security == "tls":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                srv.host, srv.port, ssl_context=srv.ssl_context(), timeout=timeout
            )
        else:
            conn = imaplib.IMAP4(srv.host, srv.port, timeout=timeout)
            conn.starttls(ssl_context=srv.ssl_context())
    except ssl.SSLCertVerificationError as exc:
        raise ExternalProblem(
            f"{srv.label}: the server's certificate could not be verified ({exc.verify_message})",
            hint="if the server uses a private authority, set imap.cafile or PLEA_IMAP_CAFILE",
        ) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ExternalProblem(
            f"cannot connect to {srv.label}: {getattr(exc, 'strerror', None) or exc}",
            hint="check imap.host, imap.port and imap.security",
        ) from None
    try:
        conn.login(srv.user, password or "")
    except imaplib.IMAP4.error as exc:
        _close(conn)
        raise ExternalProblem(
            f"{srv.label}: login failed for {srv.user} ({exc})",
            hint="check imap.user and the password (PLEA_IMAP_PASSWORD, the keyring, or the prompt)",
        ) from None
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _pairs(data: list) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[type-arg]
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            found = UID.search(item[0])
            if found:
                yield found.group(1), item[1]


def fetch(
    srv: Server,
    password: str | None,
    *,
    known: Callable[[str, int], bool],
    since: date | None = None,
    timeout: float = 60,
) -> Iterator[tuple[str, bytes]]:
    """(name, raw bytes) of each message in the folder not already known by its Message-ID and
    size (known(message_id, size))."""
    conn = _connect(srv, password, timeout)
    try:
        typ, data = conn.select(_quote(srv.folder), readonly=True)
        if typ != "OK":
            raise ExternalProblem(
                f"{srv.label}: no folder {srv.folder!r} ({(data[0] or b'').decode(errors='replace')})",
                hint="set imap.folder (default INBOX)",
            )
        criteria = f"SINCE {since.strftime('%d-%b-%Y')}" if since else "ALL"
        typ, data = conn.uid("SEARCH", None, criteria)
        uids = (data[0] or b"").split() if typ == "OK" else []
        for start in range(0, len(uids), CHUNK):
            chunk = b",".join(uids[start : start + CHUNK]).decode()
            typ, data = conn.uid("FETCH", chunk, "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            wanted = []
            for item in data if typ == "OK" else []:
                if not (isinstance(item, tuple) and len(item) == 2 and UID.search(item[0])):
                    continue
                uid, size = UID.search(item[0]).group(1), SIZE.search(item[0])  # type: ignore[union-attr]
                ids = MSGID.findall(item[1])
                mid = ids[0].decode("utf-8", "replace") if ids else ""
                if not mid or size is None or not known(mid, int(size.group(1))):
                    wanted.append(uid)
            if not wanted:
                continue
            typ, data = conn.uid("FETCH", b",".join(wanted).decode(), "(BODY.PEEK[])")
            for uid, raw in _pairs(data if typ == "OK" else []):
                yield f"imap {srv.host}/{srv.folder} UID {uid.decode()}", raw
    except imaplib.IMAP4.abort as exc:
        raise ExternalProblem(f"{srv.label}: the connection broke ({exc}); nothing was imported") from None
    finally:
        _close(conn)


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'
