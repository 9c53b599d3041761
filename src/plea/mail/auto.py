"""Messages written by machines, never an answer: delivery reports (bounces: a
multipart/report, or a mailer daemon's "Undeliverable") and notices (Auto-Submitted other
than "no", X-Autoreply, Precedence auto_reply/bulk/junk/list, mailing lists, out-of-office
subjects). A bounce names the letter it returns by the Message-ID of the enclosed original."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plea.mail.parse import MSGID, Parsed

BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|undeliverable mail|delivery status notification|"
    r"delivery (has )?failed|mail delivery (failed|failure|subsystem)|returned mail|failure notice|"
    r"delivery failure|non remis|unzustellbar|nicht zustellbar|onbestelbaar|no se puede entregar|"
    r"не доставлено|недоставленное)",
    re.I,
)
OUT_OF_OFFICE = re.compile(
    r"^\s*(automatic reply|auto(matic)?[ -]?(reply|response|respons)|autoreply|out of (the )?office|"
    r"abwesenheitsnotiz|abwesend|automatische antwort|réponse automatique|absence du bureau|"
    r"risposta automatica|respuesta automática|resposta automática|automatisch antwoord|"
    r"автоматический ответ|автоответ|odpowiedź automatyczna|poza biurem)",
    re.I,
)
PRECEDENCE = ("auto_reply", "bulk", "junk", "list")
HARD_STATUS = re.compile(r"(?<![\d.])5\.\d{1,3}\.\d{1,3}(?![\d.])")


@dataclass
class Machine:
    kind: str  # bounce notice
    reason: str
    hard: bool = False  # a bounce that will not be retried: the letter did not arrive
    returned: list[str] = field(default_factory=list)  # Message-IDs of the returned original


def _bounce(p: Parsed) -> Machine | None:
    ctype = p.fields.get("content-type", "").lower()
    report = "multipart/report" in ctype
    if report and "delivery-status" not in ctype:
        kind = "read receipt" if "disposition-notification" in ctype else "report"
        return Machine("notice", f"{kind} (multipart/report)")
    looks = BOUNCE_SUBJECT.match(p.subject) and (
        BOUNCE_SENDER.match(p.sender) or p.fields.get("return-path", "").strip() in ("<>", "")
    )
    if not report and not looks:
        return None
    if p.delivery:
        hard = any(a == "failed" or s.startswith("5") for a, s in p.delivery)
        first = next(((a, s) for a, s in p.delivery if a == "failed" or s.startswith("5")), p.delivery[0])
        status = first[1].split(" ")[0] if first[1] else ""
        reason = f"delivery report: {first[0] or 'no action'} {status}".strip()
    else:
        status = HARD_STATUS.search(p.text)
        hard = status is not None
        reason = f"delivery report: failed {status.group(0)}" if status else "delivery report"
    returned = p.enclosed_ids or [i for i in MSGID.findall(p.text) if i != p.message_id]
    return Machine("bounce", reason, hard, returned)


def classify(p: Parsed) -> Machine | None:
    """A bounce or a notice, or None for a message a person may have written."""
    found = _bounce(p)
    if found:
        return found
    auto = p.fields.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return Machine("notice", f"automatic (Auto-Submitted: {auto.split(';')[0].strip()})")
    for name in ("x-autoreply", "x-autorespond"):
        if name in p.fields:
            label = "X-Autoreply" if name == "x-autoreply" else "X-Autorespond"
            return Machine("notice", f"automatic ({label})")
    precedence = p.fields.get("precedence", "").strip().lower()
    if precedence in PRECEDENCE:
        return Machine("notice", f"bulk or automatic (Precedence: {precedence})")
    if "list-id" in p.fields:
        return Machine("notice", "mailing list (List-Id)")
    if OUT_OF_OFFICE.match(p.subject):
        return Machine("notice", "out-of-office reply (its subject)")
    return None
