"""Talking to an SMTP server: connect (STARTTLS or implicit TLS), log in, hand over one message
at a time and say plainly whether the server took it.

Each message goes MAIL FROM, RCPT TO, DATA separately, so the outcome is exact: refused (not
delivered, may be retried), accepted (with the server's reply), or uncertain (the connection
broke after the message was handed over: it may have been delivered, so it is never resent
by itself).
"""

from __future__ import annotations

import smtplib
import ssl
from typing import Any

from plea.config import Server
from plea.errors import ExternalProblem


class Refused(Exception):
    """The server said no: the message was not delivered."""

    def __init__(self, reply: str, *, connection_lost: bool = False) -> None:
        super().__init__(reply)
        self.connection_lost = connection_lost


class Uncertain(Exception):
    """The connection broke after the message was handed over."""


def _reply(code: int, raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return f"{code} {' '.join(text.split())}"


class SmtpTransport:
    def __init__(self, srv: Server, password: str | None, *, timeout: float = 30) -> None:
        self.srv = srv
        self.password = password
        self.timeout = timeout
        self.smtp: Any = None

    def open(self) -> None:
        """Connect and log in; any failure is an ExternalProblem before anything is sent."""
        srv = self.srv
        try:
            if srv.security == "tls":
                self.smtp = smtplib.SMTP_SSL(
                    srv.host, srv.port, timeout=self.timeout, context=srv.ssl_context()
                )
            else:
                self.smtp = smtplib.SMTP(srv.host, srv.port, timeout=self.timeout)
            self.smtp.ehlo()
            if srv.security == "starttls":
                self.smtp.starttls(context=srv.ssl_context())
                self.smtp.ehlo()
            if srv.user:
                self.smtp.login(srv.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise ExternalProblem(
                f"{srv.label}: authentication failed for {srv.user} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); nothing was sent",
                hint="check smtp.user and the password (PLEA_SMTP_PASSWORD, the keyring, or the prompt)",
            ) from None
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise ExternalProblem(
                f"{srv.label}: the server's certificate could not be verified "
                f"({exc.verify_message}); nothing was sent",
                hint="if the server uses a private authority, set smtp.cafile",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise ExternalProblem(
                f"{srv.label}: the server does not support {exc}; nothing was sent",
                hint="check smtp.security (starttls, tls) and smtp.port",
            ) from None
        except smtplib.SMTPException as exc:
            self.close()
            raise ExternalProblem(f"{srv.label}: {exc.__class__.__name__}: {exc}; nothing was sent") from None
        except (TimeoutError, OSError) as exc:
            self.close()
            raise ExternalProblem(
                f"cannot connect to {srv.label}: {exc.strerror or exc}; nothing was sent",
                hint="check smtp.host, smtp.port and smtp.security",
            ) from None

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        """Hand one message over; the server's reply when accepted."""
        smtp = self.smtp
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                self._reset()
                raise Refused(_reply(code, text))
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise Refused(_reply(code, text))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise Refused(
                f"connection lost before the message was handed over: {exc}", connection_lost=True
            ) from None
        try:
            code, text = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            self._reset()
            raise Refused(_reply(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise Uncertain(f"connection lost while the message was handed over: {exc}") from None
        if code != 250:
            self._reset()
            raise Refused(_reply(code, text))
        return _reply(code, text)

    def _reset(self) -> None:
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            pass

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None
