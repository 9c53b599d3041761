"""Who gets a letter and in which language.

--to takes `all`, ISO codes or names (`FR,DE,Italy`) and groups (`@eu`, `@un`). For each
sending state the letter goes to its resident mission in the host state, else a mission
elsewhere accredited to the host. The language: --lang if given; else the mission's own
languages of correspondence; else the sending state's official languages (CLDR) for which
the letter has a template; else English.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from plea import states
from plea.db.models import Mission
from plea.embassies import pick_missions
from plea.errors import InvalidInput, NotFound
from plea.render.catalog import LetterSpec
from plea.render.locale import official_languages

#: The 27 member states of the European Union (since 1 February 2020; source: european-union.europa.eu,
#: "EU countries").
EU = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
      "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
GROUPS = {"eu": EU}


@dataclass
class Recipient:
    state: str
    mission: Mission
    how: str  # resident | accredited
    lang: str
    why: str


def parse_to(to: str) -> list[str] | None:
    """State codes named by --to; None for all."""
    items = [t.strip() for t in to.split(",") if t.strip()]
    if not items:
        raise InvalidInput("--to: name at least one state, a group such as @eu, or all")
    if any(t.lower() == "all" for t in items):
        return None
    codes: list[str] = []
    for item in items:
        if item.startswith("@"):
            group = item[1:].lower()
            if group == "un":
                codes.extend(states.un_members())
                continue
            if group not in GROUPS:
                raise InvalidInput(f"--to: unknown group {item!r}; groups: @eu, @un")
            codes.extend(GROUPS[group])
        else:
            codes.append(states.resolve(item, states.user_langs()))
    return list(dict.fromkeys(codes))


def choose_language(spec: LetterSpec, mission: Mission, lang: str | None) -> tuple[str, str]:
    """(language, why) for one mission."""
    if lang:
        if lang not in spec.langs:
            raise NotFound(f"the letter {spec.name!r} has no {lang!r} template",
                           hint=f"languages: {', '.join(spec.langs)}")
        return lang, "--lang"
    for code in mission.languages.split():
        base = code.split("-")[0].split("_")[0]
        if base in spec.langs:
            return base, f"the mission writes in {code}"
    for code in official_languages(mission.sending):
        if code in spec.langs:
            return code, f"official language of {states.name(mission.sending)}"
    return "en", "no template in the mission's or the state's languages: English"


def recipients(session: Session, spec: LetterSpec, *, host: str, to: str, lang: str | None) -> tuple[list[Recipient], list[str]]:
    """The recipients, and the named states that have no mission for the host."""
    wanted = parse_to(to)
    picked = pick_missions(session, host)
    found: list[Recipient] = []
    missing: list[str] = []
    codes = wanted if wanted is not None else sorted(picked, key=states.name)
    for code in codes:
        if code == host:
            continue
        if code not in picked:
            missing.append(code)
            continue
        mission, how = picked[code]
        chosen, why = choose_language(spec, mission, lang)
        found.append(Recipient(code, mission, how, chosen, why))
    return found, missing
