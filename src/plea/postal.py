"""A mission's postal address as the lines of an address block, below the mission's name.

Contract shared by the letter's addressee block, envelopes, labels and the posting list: every
caller goes through `address_lines`. (This first version keeps the letters' earlier lines: street,
postcode and city, country; the postal formats of each host country come next.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _field(mission: Mapping[str, Any] | Any, name: str) -> str:
    value = mission.get(name) if isinstance(mission, Mapping) else getattr(mission, name, "")
    return str(value or "").strip()


def address_lines(mission: Mapping[str, Any] | Any, *, lang: str = "en", sender_country: str = "") -> list[str]:
    """The lines under the mission's name: street, city line, and the country unless the letter
    is posted inside the host country (sender_country == host). Empty fields print nothing."""
    from plea.render import locale as loc

    lines = [_field(mission, "street_address")]
    city = " ".join(part for part in (_field(mission, "postcode"), _field(mission, "city")) if part)
    lines.append(city)
    host = _field(mission, "host")
    if host and host != sender_country:
        lines.append(loc.state_name(host, lang))
    return [line for line in lines if line]


def has_postal_address(mission: Mapping[str, Any] | Any) -> bool:
    """A street and a city: enough to post a letter (postcodes and regions where a format needs them)."""
    return bool(_field(mission, "street_address") and _field(mission, "city"))
