"""The sourced reference data the recipient resolver reads: data/groups.csv (named groups of states),
data/cautions.csv (states that may hand a person to a threat state) and data/state_aliases.csv (names
CLDR does not give). Every row carries its source; see data/README.md."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"

HEADERS = {
    "groups.csv": ["group", "state", "source_url", "source_title", "retrieved"],
    "cautions.csv": ["threat_state", "state", "reason", "kind", "source_url", "source_title", "retrieved"],
    "state_aliases.csv": ["alias", "state", "source_url", "source_title", "retrieved"],
}
KINDS = {"treaty", "extradition record", "other"}
#: Non-member observer states: allowed only where deliberately listed, as alias targets ("Holy See").
OBSERVERS = {"VA", "PS"}


def un_members() -> set[str]:
    with open(DATA / "un_member_states.csv", encoding="utf-8", newline="") as f:
        return {row["iso2"] for row in csv.DictReader(f)}


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, as a person's typing is compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("&", "and").strip()


def _key(name: str, row: dict[str, str]) -> tuple[str, ...]:
    if name == "groups.csv":
        return (row["group"], row["state"])
    if name == "cautions.csv":
        return (row["threat_state"], row["state"])
    return (fold(row["alias"]), row["state"])


def _row_problems(name: str, line: int, row: dict[str, str], members: set[str]) -> list[str]:
    where = f"{name}:{line}"
    problems = [f"{where}: {col}: empty" for col, value in row.items() if not (value or "").strip()]
    url = urlparse(row.get("source_url") or "")
    if url.scheme not in ("http", "https") or not url.netloc:
        problems.append(f"{where}: source_url: not an http(s) URL: {row.get('source_url')!r}")
    retrieved = row.get("retrieved") or ""
    try:
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", retrieved)) and date.fromisoformat(retrieved) is not None
    except ValueError:
        ok = False
    if not ok:
        problems.append(f"{where}: retrieved: not an ISO date: {retrieved!r}")
    allowed = members | OBSERVERS if name == "state_aliases.csv" else members
    for col in ("threat_state", "state"):
        if col in row and row[col] not in allowed:
            problems.append(f"{where}: {col}: not the ISO 3166-1 alpha-2 code of a UN member: {row[col]!r}")
    if "group" in row and not re.fullmatch(r"[a-z]+", row["group"] or ""):
        problems.append(f"{where}: group: not a lower-case name without '@': {row['group']!r}")
    if "kind" in row and row["kind"] not in KINDS:
        problems.append(f"{where}: kind: not one of {sorted(KINDS)}: {row['kind']!r}")
    if name == "cautions.csv" and row.get("state") == row.get("threat_state"):
        problems.append(f"{where}: state: the threat state itself")
    if "alias" in row and (row["alias"] != (row["alias"] or "").strip() or len(row["alias"] or "") <= 2):
        problems.append(f"{where}: alias: blank-padded or a bare code: {row['alias']!r}")
    return problems


def problems(name: str, text: str) -> list[str]:
    """Everything wrong with one reference file's text, one line per problem ([] when clean)."""
    if text.startswith("\ufeff"):
        return [f"{name}: starts with a byte-order mark"]
    if "\r" in text:
        return [f"{name}: has CR line endings; LF only"]
    if not text.endswith("\n"):
        return [f"{name}: does not end with a newline"]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames != HEADERS[name]:
        return [f"{name}:1: header is {reader.fieldnames}, expected {HEADERS[name]}"]
    members = un_members()
    found: list[str] = []
    seen: dict[tuple[str, ...], int] = {}
    keys = []
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            found.append(f"{name}:{line}: wrong number of fields")
            continue
        found += _row_problems(name, line, row, members)
        key = _key(name, row)
        if name == "state_aliases.csv" and key[0] in {k[0] for k in seen}:
            first = _first(seen, key[0])
            found.append(f"{name}:{line}: alias: {row['alias']!r} given twice (also line {first})")
        elif key in seen:
            found.append(f"{name}:{line}: duplicate of line {seen[key]}: {key}")
        seen.setdefault(key, line)
        keys.append(key)
    if keys != sorted(keys):
        found.append(f"{name}: rows not sorted by {'/'.join(HEADERS[name][:2])}")
    return found


def _first(seen: dict[tuple[str, ...], int], alias: str) -> int:
    return min(line for key, line in seen.items() if key[0] == alias)


def rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- the shipped files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_shipped_file_is_clean(name: str) -> None:
    raw = (DATA / name).read_bytes()
    assert problems(name, raw.decode("utf-8")) == []


def test_eu_has_27_states_and_un_the_193_members() -> None:
    groups: dict[str, set[str]] = {}
    for row in rows("groups.csv"):
        groups.setdefault(row["group"], set()).add(row["state"])
    assert len(groups["eu"]) == 27
    assert groups["un"] == un_members()
    assert len(groups["un"]) == 193
    assert "RU" in groups["cis"]


def test_cautions_name_states_for_russia() -> None:
    russia = [row for row in rows("cautions.csv") if row["threat_state"] == "RU"]
    assert russia
    assert all(row["reason"] and row["kind"] in KINDS for row in russia)


def test_no_alias_redirects_a_name_cldr_gives_to_another_state() -> None:
    """An alias must never turn a name (or code) that CLDR already gives one state into another state."""
    from babel import Locale

    cldr: dict[str, str] = {}
    for code, nm in Locale.parse("en").territories.items():
        if len(code) == 2 and code.isalpha():
            cldr.setdefault(fold(nm), code)
            cldr.setdefault(fold(code), code)
    clashes = [
        (row["alias"], row["state"], cldr[fold(row["alias"])])
        for row in rows("state_aliases.csv")
        if fold(row["alias"]) in cldr and cldr[fold(row["alias"])] != row["state"]
    ]
    assert clashes == []


# --- the checks catch bad data -------------------------------------------------------------------

GOOD_CAUTION = "RU,KZ,party to a treaty,treaty,https://example.org/t,Title,2026-12-04"
CAUTION_HEADER = ",".join(HEADERS["cautions.csv"])
G = ",".join(HEADERS["groups.csv"])
A = ",".join(HEADERS["state_aliases.csv"])


# fmt: off
@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("groups.csv", "group,state,url,source_title,retrieved\n",
         "groups.csv:1: header is ['group', 'state', 'url', 'source_title', 'retrieved'], expected "
         "['group', 'state', 'source_url', 'source_title', 'retrieved']"),
        ("groups.csv", f"{G}\neu,FR,ftp://example.org/x,T,2026-12-04\n",
         "groups.csv:2: source_url: not an http(s) URL: 'ftp://example.org/x'"),
        ("groups.csv", f"{G}\neu,FR,https://example.org,T,04/12/2026\n",
         "groups.csv:2: retrieved: not an ISO date: '04/12/2026'"),
        ("groups.csv", f"{G}\neu,FR,https://example.org,T,2026-02-30\n",
         "groups.csv:2: retrieved: not an ISO date: '2026-02-30'"),
        ("groups.csv", f"{G}\n@eu,FR,https://example.org,T,2026-12-04\n",
         "groups.csv:2: group: not a lower-case name without '@': '@eu'"),
        ("groups.csv", f"{G}\ncis,SU,https://example.org,T,2026-12-04\n",
         "groups.csv:2: state: not the ISO 3166-1 alpha-2 code of a UN member: 'SU'"),
        ("groups.csv", f"{G}\neu,VA,https://example.org,T,2026-12-04\n",
         "groups.csv:2: state: not the ISO 3166-1 alpha-2 code of a UN member: 'VA'"),
        ("groups.csv",
         f"{G}\neu,FR,https://a.org,T,2026-12-04\neu,FR,https://b.org,T,2026-12-04\n",
         "groups.csv:3: duplicate of line 2: ('eu', 'FR')"),
        ("groups.csv",
         f"{G}\neu,FR,https://a.org,T,2026-12-04\neu,DE,https://b.org,T,2026-12-04\n",
         "groups.csv: rows not sorted by group/state"),
        ("cautions.csv", f"{CAUTION_HEADER}\n{GOOD_CAUTION.replace(',treaty,', ',rumour,')}\n",
         "cautions.csv:2: kind: not one of ['extradition record', 'other', 'treaty']: 'rumour'"),
        ("cautions.csv", f"{CAUTION_HEADER}\n{GOOD_CAUTION.replace('RU,KZ', 'XX,KZ')}\n",
         "cautions.csv:2: threat_state: not the ISO 3166-1 alpha-2 code of a UN member: 'XX'"),
        ("cautions.csv", f"{CAUTION_HEADER}\n{GOOD_CAUTION.replace('RU,KZ', 'RU,RU')}\n",
         "cautions.csv:2: state: the threat state itself"),
        ("cautions.csv", f"{CAUTION_HEADER}\n{GOOD_CAUTION.replace('party to a treaty', '')}\n",
         "cautions.csv:2: reason: empty"),
        ("cautions.csv", f"{CAUTION_HEADER}\r\n{GOOD_CAUTION}\r\n",
         "cautions.csv: has CR line endings; LF only"),
        ("state_aliases.csv",
         f"{A}\nUAE,AE,https://a.org,T,2026-12-04\nuae,AE,https://b.org,T,2026-12-04\n",
         "state_aliases.csv:3: alias: 'uae' given twice (also line 2)"),
        ("state_aliases.csv",
         f"{A}\nDRC,CD,https://a.org,T,2026-12-04\ndrc,CG,https://b.org,T,2026-12-04\n",
         "state_aliases.csv:3: alias: 'drc' given twice (also line 2)"),
        ("state_aliases.csv", f"{A}\nFR,FR,https://a.org,T,2026-12-04\n",
         "state_aliases.csv:2: alias: blank-padded or a bare code: 'FR'"),
    ],
)
# fmt: on
def test_checks_reject_bad_rows(name: str, text: str, expected: str) -> None:
    assert expected in problems(name, text)


def test_checks_accept_a_good_row_and_observer_alias() -> None:
    assert problems("cautions.csv", f"{CAUTION_HEADER}\n{GOOD_CAUTION}\n") == []
    text = f"{A}\nHoly See,VA,https://a.org,T,2026-12-04\n"
    assert problems("state_aliases.csv", text) == []
