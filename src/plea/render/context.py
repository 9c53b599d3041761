"""What a template may see: plain dicts built from the database rows, never ORM objects
(an ORM object in a template can be changed by it and the change would be committed)."""

from __future__ import annotations

from datetime import date
from typing import Any

CASE_FIELDS = (
    "ref", "name_latin", "name_native", "nationality", "birth_date", "title", "gender",
    "current_country", "situation", "facility", "authority_ids", "protection", "persecution",
    "family", "representative", "reply_to", "sender",
)
REPRESENTATIVE_FIELDS = ("name", "organisation", "address", "email", "phone")
#: case.sender: who signs and how to answer them, worked out from the case (see sender())
SENDER_FIELDS = ("name", "organisation", "address", "email", "phone", "lines", "country")
MISSION_FIELDS = (
    "id", "sending", "host", "city", "kind", "street_address", "postcode", "email", "phone", "website",
)
#: top-level names a template may use, with the attributes each allows (None: any/scalar)
CONTEXT_FIELDS: dict[str, tuple[str, ...] | None] = {
    "case": CASE_FIELDS,
    "mission": MISSION_FIELDS,
    "today": None,
    "lang": None,
    "subject": None,
    "letter": None,
    "first_letter": ("date", "ref", "subject"),
    "response": ("date", "outcome"),
}


def case_context(case: Any) -> dict[str, Any]:
    return {
        "ref": case.ref,
        "name_latin": case.name_latin,
        "name_native": case.name_native or "",
        "nationality": case.nationality or "",
        "birth_date": case.birth_date,
        "title": case.title or "",
        "gender": case.gender or "",
        "current_country": case.current_country or "",
        "situation": case.situation or "",
        "facility": case.facility or "",
        "authority_ids": [
            {"label": str(d.get("label", "")), "number": str(d.get("number", ""))} for d in case.authority_ids or []
        ],
        "protection": case.protection or "",
        "persecution": case.persecution or "",
        "family": [
            {"name": str(m.get("name", "")), "relation": str(m.get("relation", "")),
             "birth_date": str(m.get("birth_date", ""))}
            for m in case.family or []
        ],
        "representative": {
            "name": case.rep_name or "",
            "organisation": case.rep_organisation or "",
            "address": case.rep_address or "",
            "email": case.rep_email or "",
            "phone": case.rep_phone or "",
        },
        "reply_to": case.reply_to or "",
        "sender": sender(case),
    }


def _text(value: Any) -> str:
    return str(value or "").strip()


def sender(case: Any) -> dict[str, Any]:
    """The sender block: the representative's name, organisation, postal address, email and
    phone, or for a self-applicant their own name and contact fields (applicant_address,
    applicant_email, applicant_phone). `lines`: the block's lines, an empty field left out,
    the address a line per line it was written on. `country`: where the letter is posted from,
    when known (the self-applicant's current country; "" for a representative, so the
    addressee block keeps its country line)."""
    if _text(case.rep_name):
        name, organisation = _text(case.rep_name), _text(case.rep_organisation)
        address, email, phone = _text(case.rep_address), _text(case.rep_email), _text(case.rep_phone)
        country = ""
    else:
        name, organisation = _text(case.name_latin), ""
        address = _text(getattr(case, "applicant_address", ""))
        email = _text(getattr(case, "applicant_email", ""))
        phone = _text(getattr(case, "applicant_phone", ""))
        country = _text(case.current_country)
    address_lines = [line.strip() for line in address.splitlines() if line.strip()]
    lines = [line for line in (name, organisation, *address_lines, email, phone) if line]
    return {"name": name, "organisation": organisation, "address": address, "email": email,
            "phone": phone, "lines": lines, "country": country}


def mission_context(mission: Any) -> dict[str, Any]:
    return {name: (getattr(mission, name) or "") for name in MISSION_FIELDS}


def letter_context(
    *,
    case: Any,
    mission: Any,
    lang: str,
    letter: str,
    subject: str,
    today: date,
    first_letter: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "case": case_context(case),
        "mission": mission_context(mission),
        "today": today,
        "lang": lang,
        "letter": letter,
        "subject": subject,
        "first_letter": first_letter or {"date": None, "ref": case.ref, "subject": ""},
        "response": response or {"date": None, "outcome": ""},
    }
