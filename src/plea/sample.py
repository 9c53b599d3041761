"""A fictional sample case for `plea demo` and template previews. Every person, number and
place name in it is invented and marked as such."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

SAMPLE_CASE: dict[str, Any] = {
    "name_latin": "Anna Sample (fictional)",
    "name_native": "Анна Образцова",
    "nationality": "RU",
    "birth_date": date(1990, 4, 12),
    "title": "Ms",
    "gender": "female",
    "current_country": "US",
    "situation": "detained",
    "facility": "Example Processing Center (fictional)",
    "authority_ids": [{"label": "Alien Registration Number", "number": "A-000-000-000 (fictional)"}],
    "protection": "humanitarian-visa",
    "persecution": (
        "This is a fictional example. The applicant took part in peaceful protests against the war "
        "and published articles criticising it.\n\n"
        "After a criminal case for \"spreading false information\" was opened against her, she left the "
        "country. She cannot return without facing prosecution."
    ),
    "family": [{"name": "Ivan Sample (fictional)", "relation": "son", "birth_date": "2015-06-01"}],
    "rep_name": "Jane Counsel (fictional)",
    "rep_organisation": "Example Legal Aid (fictional)",
    "rep_address": "1 Example Street, Springfield",
    "rep_email": "counsel@example.org",
    "rep_phone": "+1 555 0100",
    "reply_to": "counsel@example.org",
}

SAMPLE_MISSION: dict[str, Any] = {
    "id": "Q0", "sending": "FR", "host": "US", "city": "Washington, D.C.", "kind": "embassy",
    "street_address": "", "postcode": "", "email": "", "phone": "", "website": "",
}


def sample_case(ref: str = "PLEA-2026-0001") -> SimpleNamespace:
    return SimpleNamespace(ref=ref, **SAMPLE_CASE)


def sample_mission(sending: str = "FR", host: str = "US") -> SimpleNamespace:
    return SimpleNamespace(**{**SAMPLE_MISSION, "sending": sending, "host": host})
