"""Mail settings: SMTP for sending, IMAP for reading replies.

Each setting comes from the environment (PLEA_SMTP_HOST for smtp.host, …) or else from the
database (`plea config set smtp.host …`). Passwords are never stored in the database: they come
from PLEA_SMTP_PASSWORD / PLEA_IMAP_PASSWORD, the system keyring (service "plea", user
"smtp:USER@HOST"), or a prompt in a terminal.

Stdlib only at module level: the CLI imports this to list the settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

SECURITY = ("starttls", "tls", "none")
MAIL_SETTINGS = {
    "smtp.host": "SMTP server that sends letters (env PLEA_SMTP_HOST)",
    "smtp.port": "SMTP port (default 587 with starttls, 465 with tls, 25 with none)",
    "smtp.security": "starttls (default), tls (implicit, port 465) or none (only to this machine)",
    "smtp.user": "SMTP login; the password comes from PLEA_SMTP_PASSWORD, the keyring or a prompt",
    "smtp.from": "From address of letters (default: the case's --rep-email)",
    "smtp.cafile": "PEM file of certificate authorities to trust for SMTP (env PLEA_SMTP_CAFILE)",
    "imap.host": "IMAP server holding replies (env PLEA_IMAP_HOST)",
    "imap.port": "IMAP port (default 993 with tls, 143 with starttls)",
    "imap.security": "tls (default) or starttls",
    "imap.user": "IMAP login; the password comes from PLEA_IMAP_PASSWORD, the keyring or a prompt",
    "imap.folder": "IMAP folder to read (default INBOX)",
    "imap.cafile": "PEM file of certificate authorities to trust for IMAP (env PLEA_IMAP_CAFILE)",
    "inbox.own_domains": "your organisation's mail domains besides those of smtp.from and the cases' "
    "emails (space-separated): mail from them is never an embassy's answer",
    "inbox.max_header_kb": "largest header block of a received message that is parsed (default 256)",
    "inbox.max_message_mb": "largest received message that is parsed (default 50); larger ones are "
    "kept for triage",
}
MAIL_DEFAULTS = {"smtp.security": "starttls", "imap.security": "tls", "imap.folder": "INBOX",
                 "inbox.max_header_kb": "256", "inbox.max_message_mb": "50"}
DEFAULT_PORTS = {
    ("smtp", "starttls"): 587,
    ("smtp", "tls"): 465,
    ("smtp", "none"): 25,
    ("imap", "tls"): 993,
    ("imap", "starttls"): 143,
}
LOOPBACK = ("localhost", "127.0.0.1", "::1")
KEYRING_SERVICE = "plea"


def env_name(key: str) -> str:
    return "PLEA_" + key.replace(".", "_").upper()


def check_mail_setting(key: str, value: str) -> str:
    """The value to store, or InvalidInput naming what is wrong."""
    from plea.errors import InvalidInput

    value = value.strip()
    if key.endswith(".password"):
        raise InvalidInput(
            f"{key}: passwords are never stored in plea's database",
            hint=f"set {env_name(key)}, or store it in the system keyring with "
            f"`plea config password {key.split('.')[0]}`",
        )
    if key.endswith(".port") and value and (not value.isdigit() or not 0 < int(value) < 65536):
        raise InvalidInput(f"{key}: {value!r} is not a port number (1-65535)")
    if key.endswith(".security"):
        allowed = SECURITY if key.startswith("smtp.") else ("tls", "starttls")
        if value not in allowed:
            raise InvalidInput(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    if key == "smtp.from" and value:
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1]:
            raise InvalidInput(f"smtp.from: {value!r} is not an email address")
    if key in ("inbox.max_header_kb", "inbox.max_message_mb") and value and (
        not value.isdigit() or not 1 <= int(value) <= 100000
    ):
        raise InvalidInput(f"{key}: {value!r} is not a whole number from 1 to 100000")
    if key.endswith(".cafile") and value and not os.path.isfile(os.path.expanduser(value)):
        raise InvalidInput(f"{key}: {value}: no such file")
    return value


@dataclass(frozen=True)
class Server:
    """Where and how to connect: one of smtp or imap."""

    kind: str
    host: str
    port: int
    security: str
    user: str
    cafile: str = ""
    folder: str = "INBOX"
    sender: str = ""  # smtp.from

    @property
    def label(self) -> str:
        return f"{self.kind.upper()} {self.host}:{self.port}"

    def ssl_context(self) -> Any:
        import ssl

        return ssl.create_default_context(cafile=os.path.expanduser(self.cafile) if self.cafile else None)


def setting_value(settings: dict[str, str], key: str) -> str:
    return os.environ.get(env_name(key)) or settings.get(key) or MAIL_DEFAULTS.get(key, "")


def server(settings: dict[str, str], kind: str) -> Server:
    """The smtp or imap server from settings (key → value as stored) and the environment."""
    from plea.errors import InvalidInput

    host = setting_value(settings, f"{kind}.host")
    if not host:
        raise InvalidInput(
            f"no {kind.upper()} server is configured",
            hint=f"set one with `plea config set {kind}.host HOST` (or {env_name(kind + '.host')})",
        )
    values = {
        k: setting_value(settings, f"{kind}.{k}")
        for k in ("port", "security", "user", "cafile", "folder", "from")
    }
    for k in ("port", "security", "cafile"):
        if values[k]:
            check_mail_setting(f"{kind}.{k}", values[k])
    security = values["security"]
    if kind == "smtp" and security == "none" and host not in LOOPBACK:
        raise InvalidInput(
            f"smtp.security none sends in clear text: only allowed to this machine, not {host}",
            hint="use starttls or tls",
        )
    port = int(values["port"]) if values["port"] else DEFAULT_PORTS[(kind, security)]
    return Server(
        kind=kind,
        host=host,
        port=port,
        security=security,
        user=values["user"],
        cafile=values["cafile"],
        folder=values["folder"] or "INBOX",
        sender=values["from"],
    )


def keyring_user(srv: Server) -> str:
    return f"{srv.kind}:{srv.user}@{srv.host}"


def password(srv: Server) -> str | None:
    """The password from the environment or the keyring; None if neither has one."""
    env = os.environ.get(env_name(f"{srv.kind}.password"))
    if env:
        return env
    if not srv.user:
        return None
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_user(srv))
    except (KeyringError, RuntimeError, OSError):
        return None


def store_password(srv: Server, secret: str) -> None:
    from plea.errors import ExternalProblem

    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        raise ExternalProblem("the keyring package is not installed", hint="pip install keyring") from None
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_user(srv), secret)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise ExternalProblem(
            f"the system keyring refused the password: {exc.__class__.__name__}",
            hint=f"use {env_name(srv.kind + '.password')} instead",
        ) from None
