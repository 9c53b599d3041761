"""Email: letters sent through an outbox over SMTP, replies read from a mailbox and matched.

compose.py builds a letter's message; smtp.py talks to the server; outbox.py keeps the states
(nothing lost, nothing twice); parse.py reads any message; match.py finds its case and state;
inbox.py stores and logs replies; auto.py tells bounces and notices;
headers.py reads headers in bounded, linear time; domains.py says whose a mail domain is;
imap.py fetches them; sources.py reads mbox, Maildir, .eml.
"""

from __future__ import annotations

from typing import Any


def load_settings(session: Any) -> dict[str, str]:
    """smtp.*, imap.* and inbox.* settings as stored in the database."""
    from sqlmodel import col, select

    from plea.db.models import Setting

    rows = session.exec(
        select(Setting).where(col(Setting.key).startswith("smtp.")
        | col(Setting.key).startswith("imap.")
        | col(Setting.key).startswith("inbox."))
    )
    return {r.key: r.value for r in rows}
