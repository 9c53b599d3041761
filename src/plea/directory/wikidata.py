"""Asking the Wikidata Query Service for the diplomatic missions in one host state.

One SPARQL query per host (whole-world queries time out on the public endpoint), sent with the
standard library's urllib, a descriptive User-Agent (Wikimedia's policy) and a timeout; a pause
between queries. The answer (application/sparql-results+json) is checked and reduced to one
`Found` per mission: several values of a property are reduced as scripts/build_embassies.py does
(plea.directory.wikidata_labels), districts are mapped to their city, and closed missions (P576 dissolved,
P3999 official closure) come back marked closed, so the caller can mark them rather than guess
from absence.

PLEA_WIKIDATA_ENDPOINT points the queries elsewhere (a mirror, or a local server in tests).
No database here: plea.directory.refresh merges what this returns.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plea import __version__
from plea.directory.wikidata_labels import KINDS, clean, pick, qid, real_city
from plea.errors import ExternalProblem, InvalidInput

ENDPOINT = "https://query.wikidata.org/sparql"
#: Wikimedia asks every client to say who it is and how to reach its operator: PLEA_CONTACT (an
#: email address or web page of the person or organisation running plea) is added when set.
USER_AGENT = (f"plea/{__version__} (embassy directory refresh for letter campaigns; one query per host state"
              "{contact}) Python-urllib/{python}")
ACCEPT = "application/sparql-results+json"
TIMEOUT_SECONDS = 60.0  # the public endpoint stops a query after 60 s anyway
PAUSE_SECONDS = 2.0  # between two queries: the service is shared
LICENCE = "CC0-1.0"
SOURCE = "Wikidata"
_HOST = re.compile(r"^[A-Z]{2}$")
_POINT = re.compile(r"^\s*Point\(\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\)\s*$")
_CLOSED_VARS = ("dissolved", "closed")

# Embassies, consulates and consulates-general, with their subclasses (high commissions,
# nunciatures, honorary consulates…). Closed missions are asked for too (their closing date), so
# that a refresh can mark them closed; they are never added to the directory.
QUERY = """\
SELECT ?m ?senderIso ?type ?typeLabel ?city ?cityLabel ?addr ?postcode ?email ?phone ?website ?coord
       ?dissolved ?closed WHERE {{
  ?host wdt:P297 "{host}" .
  VALUES ?root {{ wd:Q3917681 wd:Q7843791 wd:Q372690 }}
  ?m wdt:P31 ?type . ?type wdt:P279* ?root .
  ?m wdt:P17 ?host ; wdt:P137 ?sender . ?sender wdt:P297 ?senderIso .
  OPTIONAL {{ ?m wdt:P576 ?dissolved }}
  OPTIONAL {{ ?m wdt:P3999 ?closed }}
  OPTIONAL {{ ?m wdt:P131 ?city }}
  OPTIONAL {{ ?m wdt:P6375 ?addr }}
  OPTIONAL {{ ?m wdt:P281 ?postcode }}
  OPTIONAL {{ ?m wdt:P968 ?email }}
  OPTIONAL {{ ?m wdt:P1329 ?phone }}
  OPTIONAL {{ ?m wdt:P856 ?website }}
  OPTIONAL {{ ?m wdt:P625 ?coord }}
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "en". }}
}}
"""


@dataclass
class Found:
    """One mission as Wikidata has it now."""

    id: str
    sending: str
    host: str
    kind: str = "other"
    city: str = ""
    street_address: str = ""
    postcode: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    closed: bool = False
    closed_on: date | None = None  # when Wikidata gives the date
    also: dict[str, list[str]] = field(default_factory=dict)  # further values of a property

    def values(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in ("city", "kind", "street_address", "postcode", "email", "phone",
                                              "website", "latitude", "longitude")}


@dataclass
class Answer:
    host: str
    missions: list[Found]
    rows: int  # result rows (one per combination of values)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    sha256: str = ""


def endpoint() -> str:
    return os.environ.get("PLEA_WIKIDATA_ENDPOINT") or ENDPOINT


def user_agent() -> str:
    contact = " ".join(os.environ.get("PLEA_CONTACT", "").split())
    return USER_AGENT.format(contact=f"; {contact}" if contact else "",
                             python=f"{sys.version_info.major}.{sys.version_info.minor}")


def query_for(host: str) -> str:
    if not _HOST.match(host):
        raise InvalidInput(f"--host: {host!r} is not an ISO 3166-1 alpha-2 code")
    return QUERY.format(host=host)


# -- the request -------------------------------------------------------------------------------

def fetch(query: str, *, timeout: float = TIMEOUT_SECONDS, url: str | None = None) -> bytes:
    """The raw answer to one query, or ExternalProblem saying what went wrong and what to do."""
    url = url or endpoint()
    where = urllib.parse.urlsplit(url).netloc or url
    request = urllib.request.Request(
        f"{url}?{urllib.parse.urlencode({'query': query, 'format': 'json'})}",
        headers={"User-Agent": user_agent(), "Accept": ACCEPT},
    )
    later = "nothing was changed; try again later"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read(2000).decode("utf-8", errors="replace")
        if exc.code == 429:
            wait = exc.headers.get("Retry-After", "")
            raise ExternalProblem(f"{where} asks plea to slow down (HTTP 429)",
                                  hint=f"{later}" + (f" (in {wait} s)" if wait else "")) from None
        if "TimeoutException" in body:
            raise ExternalProblem(f"{where} stopped the query after its own time limit (HTTP {exc.code})",
                                  hint=later) from None
        raise ExternalProblem(f"{where} answered HTTP {exc.code} {exc.reason}", hint=later) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _timeout(where, timeout) from None
        reason = "name not found" if isinstance(exc.reason, socket.gaierror) else exc.reason
        raise ExternalProblem(f"cannot reach the Wikidata query service at {where} ({reason})",
                              hint="are you offline? nothing was changed; try again when connected") from None
    except TimeoutError:
        raise _timeout(where, timeout) from None
    except (ConnectionError, OSError) as exc:
        raise ExternalProblem(f"the connection to {where} failed: {exc}", hint=later) from None


def _timeout(where: str, timeout: float) -> ExternalProblem:
    return ExternalProblem(f"{where} did not answer within {timeout:g} s",
                           hint="nothing was changed; try again later, or with a longer --timeout")


# -- the answer --------------------------------------------------------------------------------

def bindings(raw: bytes, *, host: str) -> list[dict[str, dict[str, str]]]:
    """The result rows of a SPARQL JSON answer; ExternalProblem if it is not one."""
    def bad(what: str) -> ExternalProblem:
        return ExternalProblem(f"the answer for {host} is not a SPARQL JSON result ({what})",
                               hint="nothing was changed; try again later (the service may be overloaded)")

    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON: {exc.msg}, line {exc.lineno} column {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("head"), dict):
        raise bad("no head")
    results = doc.get("results")
    rows = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(rows, list):
        raise bad("no results.bindings list")
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not all(
                isinstance(v, dict) and isinstance(v.get("value"), str) and isinstance(v.get("type"), str)
                for v in row.values()):
            raise bad(f"row {n} is not a map of variables to {{type, value}}")
    return rows


def _value(row: dict[str, dict[str, str]], var: str) -> str:
    cell = row.get(var)
    return cell["value"] if cell else ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.lstrip("+")[:10])
    except ValueError:
        return None


def _address(rows: list[dict[str, dict[str, str]]]) -> list[str]:
    """Street addresses (monolingual text): English ones first, if there are any."""
    english = [clean("street_address", _value(r, "addr")) for r in rows
               if r.get("addr", {}).get("xml:lang", "").split("-")[0] in ("en", "mul")]
    return english or [clean("street_address", _value(r, "addr")) for r in rows]


def reduce(rows: list[dict[str, dict[str, str]]], *, host: str) -> tuple[list[Found], list[tuple[str, str]]]:
    """One Found per mission from rows that repeat a mission once per combination of values."""
    by_id: dict[str, list[dict[str, dict[str, str]]]] = defaultdict(list)
    for row in rows:
        by_id[qid(_value(row, "m"))].append(row)
    found: list[Found] = []
    skipped: list[tuple[str, str]] = []
    for mid, group in sorted(by_id.items(), key=lambda kv: (len(kv[0]), kv[0])):
        if not re.fullmatch(r"Q\d+", mid):
            skipped.append((mid or "(none)", "not a Wikidata item"))
            continue
        senders = sorted({_value(r, "senderIso").strip().upper() for r in group} - {""})
        if len(senders) != 1:
            skipped.append((mid, f"{len(senders)} sending states ({' '.join(senders) or 'none'})"))
            continue
        m = Found(id=mid, sending=senders[0], host=host)
        values: dict[str, list[str]] = {
            "kind": [KINDS.get(_value(r, "typeLabel").strip().lower(), "other") for r in group],
            "city": [real_city(_value(r, "cityLabel"), qid(_value(r, "city"))) for r in group
                     if not re.fullmatch(r"Q\d+", _value(r, "cityLabel"))],  # no English label: the id
            "street_address": _address(group),
            **{c: [clean(c, _value(r, var)) for r in group]
               for c, var in (("postcode", "postcode"), ("email", "email"), ("phone", "phone"),
                              ("website", "website"))},
        }
        # a mission of several kinds (embassy and consulate-general) is its most specific one, not "other"
        kinds = {k for k in values["kind"] if k != "other"}
        values["kind"] = sorted(kinds) or ["other"]
        for column, vals in values.items():
            chosen, others = pick(vals)
            setattr(m, column, chosen)
            if others:
                m.also[column] = others
        points = sorted({p for r in group if (p := _point(_value(r, "coord")))})
        if points:
            m.latitude, m.longitude = points[0]
        closures = [r for r in group if any(r.get(v) for v in _CLOSED_VARS)]
        if closures:
            m.closed = True
            dates = sorted(d for r in closures for v in _CLOSED_VARS if (d := _date(_value(r, v))))
            m.closed_on = dates[0] if dates else None
        found.append(m)
    return found, skipped


def _point(wkt: str) -> tuple[float, float] | None:
    """(latitude, longitude) from WKT `Point(longitude latitude)`."""
    match = _POINT.match(wkt)
    if not match:
        return None
    try:
        lon, lat = float(match.group(1)), float(match.group(2))
    except ValueError:
        return None
    return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None


def parse(raw: bytes, *, host: str) -> Answer:
    import hashlib

    rows = bindings(raw, host=host)
    found, skipped = reduce(rows, host=host)
    digest = hashlib.sha256(raw).hexdigest()
    return Answer(host=host, missions=found, rows=len(rows), skipped=skipped, sha256=digest)


Fetcher = Callable[..., bytes]


def ask(hosts: Iterable[str], *, timeout: float = TIMEOUT_SECONDS, fetcher: Fetcher | None = None,
        progress: Callable[[str], None] | None = None) -> list[Answer]:
    """One query per host, with a pause between them. Any failure: ExternalProblem, and the
    caller changes nothing (all answers are fetched before anything is written)."""
    get = fetcher or fetch
    answers = []
    for n, host in enumerate(hosts):
        if n:
            time.sleep(PAUSE_SECONDS)
        if progress:
            progress(host)
        answers.append(parse(get(query_for(host), timeout=timeout), host=host))
    return answers
