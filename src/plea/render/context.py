"""What a template may see: plain dicts built from the database rows, never ORM objects
(an ORM object in a template can be changed by it and the change would be committed)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

CASE_FIELDS = (
    "ref", "name_latin", "name_native", "nationality", "birth_date", "title", "gender",
    "current_country", "situation", "facility", "authority_ids", "protection", "persecution",
    "family", "representative", "reply_to", "annexes", "sender",
    # what the letter's language decides: the name it uses (plea.render.labels.letter_name), the story's
    # language (plea.stories: the version in the letter's language, else the original), who acts
    "name", "persecution_lang", "acting", "acting_relation",
)
REPRESENTATIVE_FIELDS = ("name", "organisation", "address", "email", "phone")
#: case.sender: who signs and how to answer them, worked out from the case (see sender())
SENDER_FIELDS = ("name", "organisation", "address", "email", "phone", "lines", "country")
MISSION_FIELDS = (
    "id", "sending", "host", "city", "kind", "name", "street_address", "postcode", "area", "email", "phone",
    "website",
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


def case_context(case: Any, lang: str | None = None) -> dict[str, Any]:
    """The case as a letter in `lang` sees it (labels, name and story in that language where known);
    without a language, the case's own data (the original story, labels as typed)."""
    from plea.consent import acting
    from plea.render.labels import id_label, letter_name, relation, relation_key
    from plea.stories import original_lang, story_for

    story = story_for(case, lang) if lang else None
    words = lang or "en"
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
            {"label": id_label(str(d.get("label", "")), words), "number": str(d.get("number", ""))}
            for d in case.authority_ids or []
        ],
        "protection": case.protection or "",
        "persecution": story.text if story else case.persecution or "",
        "persecution_lang": story.lang if story else original_lang(case),
        "family": [
            {"name": str(m.get("name", "")), "relation": relation(str(m.get("relation", "")), words),
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
        # the documents sent with the letter (--annex), as plea.letters.annex.CaseAnnexes.context gives them
        "annexes": list(getattr(case, "annexes", None) or []),
        "name": letter_name(case.name_latin, case.name_native or "", words),
        "acting": acting(SimpleNamespace(acting=getattr(case, "acting", "") or "",
                                         rep_name=case.rep_name or "")),
        # a known relation by its English key (the templates word it in their language), else as typed
        "acting_relation": relation_key(getattr(case, "acting_relation", "") or "")
        or getattr(case, "acting_relation", "") or "",
        "sender": sender(case),
    }


def _text(value: Any) -> str:
    return str(value or "").strip()


def sender(case: Any) -> dict[str, Any]:
    """The sender block: the representative's name, organisation, postal address, email and
    phone, or for a self-applicant their own name and contact fields (applicant_address,
    applicant_email, applicant_phone). `lines`: the block's lines, an empty field left out,
    the address a line per line it was written on. `country`: where the letter is posted from,
    when known (the self-applicant's current country; for a representative, the state the address's
    last line names, else "", so that the addressee block keeps its country line)."""
    if _text(case.rep_name):
        name, organisation = _text(case.rep_name), _text(case.rep_organisation)
        address, email, phone = _text(case.rep_address), _text(case.rep_email), _text(case.rep_phone)
        country = _country_line(address)
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


def _country_line(address: str) -> str:
    """The state an address's last line names ("France", "USA"), else "" (plea.states.named)."""
    from plea import states

    lines = [line.strip() for line in address.splitlines() if line.strip()]
    return states.named(lines[-1]) if len(lines) > 1 else ""


def mission_context(mission: Any) -> dict[str, Any]:
    return {name: (getattr(mission, name, "") or "") for name in MISSION_FIELDS}


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
        "case": case_context(case, lang),
        "mission": mission_context(mission),
        "today": today,
        "lang": lang,
        "letter": letter,
        "subject": subject,
        "first_letter": first_letter or {"date": None, "ref": case.ref, "subject": ""},
        "response": response or {"date": None, "outcome": ""},
    }
