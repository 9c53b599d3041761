"""Who gets a letter, and who never does by default: the one recipient rule of every command.

`--to` takes `all`, states by code, name or alias (`FR,DE,Italy,USA`), groups (`@eu`, `@un`, `@cis`: the
rows of data/groups.csv) and exclusions (`all,-RU,-@cis`), read left to right. An unknown state or group stops the command
(exit 4, with the closest match); no token is ever dropped silently.

Two rules keep letters away from the persecutor, for every command that picks recipients:
- A case's **threat states** (by default its nationality) are never written to through `all` or a group:
  they are *held back*. Naming one explicitly is refused (exit 3) unless the deliberate flag
  `--unsafe-write-to-threat-state` is given too. Commands that only record what happened to letters already
  on record (`letters sent`, `bounced`, `close`) may name any state that has one.
- A **cautioned** state (plea.cautions: it may hand the person to a threat state) is held back from `all`
  and groups, with its reason and source; naming it explicitly writes to it, with a one-line warning.

For each sending state the letter goes to its resident mission in the host state, else a mission elsewhere
accredited to the host; but to the authority the state's last answer referred the case to, else to the
authority of the state's route for the case's protection when it takes letters directly (plea.routes).
The language: --lang if given; else the mission's own languages of correspondence; else the sending state's
official languages (CLDR) for which the letter has a template; else English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from plea import states
from plea.errors import Conflict, InvalidInput, NotFound
from plea.i18n import N_

if TYPE_CHECKING:
    from plea.cautions import Caution
    from plea.consent import Rule as ConsentRule
    from plea.db.models import Mission
    from plea.render.catalog import LetterSpec

UNSAFE_FLAG = "--unsafe-write-to-threat-state"
THREAT_REASON = N_("threat state of this case: a letter would tell the persecutor where the person is")


@dataclass(frozen=True)
class Token:
    kind: str  # all | state | group
    value: str  # a state code or a group name ("" for all)
    minus: bool


@dataclass(frozen=True)
class ToSpec:
    """--to as typed, resolved to codes and groups, before any case is looked at."""

    text: str
    tokens: tuple[Token, ...]

    @property
    def everything(self) -> bool:
        return any(t.kind == "all" for t in self.tokens)

    @property
    def named(self) -> list[str]:
        """States named one by one (not through `all` or a group), in the order typed."""
        return list(dict.fromkeys(t.value for t in self.tokens if t.kind == "state" and not t.minus))


@dataclass(frozen=True)
class Held:
    """A state left out by the safety rule, with why and the source that says so."""

    state: str
    reason: str
    source_url: str = ""
    source_title: str = ""
    kind: str = "threat"  # threat | caution

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "reason": self.reason, "source_url": self.source_url}


@dataclass
class Resolution:
    states: list[str]  # to write to, in order
    held_back: list[Held] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, for stderr


@dataclass
class Recipient:
    state: str
    mission: Mission
    how: str  # resident | accredited | referred (by the state's last answer) | route (plea.routes)
    lang: str
    why: str
    route: dict[str, Any] | None = None  # plea.routes: the authority that decides, with its source


@dataclass
class Recipients:
    """A case's recipients for one host: who, which named states have no mission there, who was held back."""

    found: list[Recipient]
    missing: list[str]
    held_back: list[Held]
    warnings: list[str]


def _group(body: str, item: str) -> str:
    from plea import groups

    name = body[1:].strip().lower()
    if name in groups.groups():
        return name
    from difflib import get_close_matches

    close = get_close_matches(name, groups.names(), n=1)
    hint = (f"did you mean @{close[0]}? " if close else "") + "groups: " + ", ".join(f"@{g}" for g in groups.names())
    raise NotFound(f"--to: unknown group {item.strip()!r}", hint=hint)


def parse_to(text: str) -> ToSpec:
    """--to read into tokens; NotFound (exit 4) for an unknown state or group, with the closest match."""
    items = [t.strip() for t in text.split(",")]
    if not any(items):
        raise InvalidInput("--to: name at least one state, a group such as @eu, or all")
    tokens = []
    for item in (i for i in items if i):
        minus = item.startswith("-")
        body = item[1:].strip() if minus else item
        if not body:
            raise InvalidInput(f"--to: {item!r} names nothing to leave out (write -FR or -@eu)")
        if body.lower() == "all":
            if minus:
                raise InvalidInput("--to: -all would leave nothing; name the states to leave out instead")
            tokens.append(Token("all", "", False))
        elif body.startswith("@"):
            tokens.append(Token("group", _group(body, item), minus))
        else:
            try:
                code = states.resolve(body, states.user_langs())
            except NotFound as exc:
                raise NotFound(f"--to: unknown state {body!r}", hint=exc.hint) from None
            tokens.append(Token("state", code, minus))
    return ToSpec(text, tuple(tokens))


def _expand(token: Token, universe: list[str]) -> list[str]:
    from plea import groups

    if token.kind == "all":
        return universe
    if token.kind == "group":
        return sorted(groups.members(token.value), key=states.name)
    return [token.value]


def _candidates(spec: ToSpec, universe: Iterable[str], host: str | None) -> tuple[list[str], bool]:
    """The states --to stands for, read left to right (`all,-@cis,Kazakhstan`: all, less the CIS, plus
    Kazakhstan), less the host; and whether it stood for any at all (`all` over an empty universe stands for
    none: that is no error). With `all`, the universe's own order comes first (the caller's: by name for
    missions, as written for letters on record)."""
    ordered = list(dict.fromkeys(universe))
    picked: dict[str, None] = {}
    stood_for_any = False
    for token in spec.tokens:
        members = _expand(token, ordered)
        if token.minus:
            for code in members:
                picked.pop(code, None)
        else:
            stood_for_any = stood_for_any or bool(members)
            picked.update(dict.fromkeys(members))
    chosen = [c for c in picked if c != host]
    if spec.everything:
        inside = set(chosen)
        chosen = [c for c in ordered if c in inside] + [c for c in chosen if c not in set(ordered)]
    return chosen, stood_for_any


def resolve(spec: ToSpec | str, *, universe: Iterable[str], threats: Iterable[str] = (),
            cautions: Mapping[str, Caution] | None = None, unsafe: bool = False, records: bool = False,
            host: str | None = None, case_ref: str = "", empty_ok: bool = False,
            consent: ConsentRule | None = None) -> Resolution:
    """The states to write to, from --to and the states `all` stands for (`universe`).

    `records`: the command only records what happened to letters already on record, so a threat state
    named explicitly is allowed without the flag. `unsafe`: the user gave --unsafe-write-to-threat-state.
    `empty_ok`: a list that ends up empty is an answer (a listing), not an error (exit 3).
    `consent`: the applicant's consent in force (plea.consent): states outside it are held back from `all`
    and groups, and named explicitly they stop the command (exit 6)."""
    spec = parse_to(spec) if isinstance(spec, str) else spec
    threat, named, cautions = set(threats), set(spec.named), cautions or {}
    out: list[str] = []
    held: list[Held] = []
    warnings: list[str] = []
    refused: list[str] = []
    candidates, stood_for_any = _candidates(spec, universe, host)
    for code in candidates:
        label = f"{states.name(code)} ({code})"
        if code in threat:
            if code not in named:
                held.append(Held(code, THREAT_REASON))
            elif records:
                out.append(code)
            elif unsafe:
                out.append(code)
                warnings.append(
                    N_(f"WARNING: writing to {label}, a threat state of {case_ref}, because {UNSAFE_FLAG} "
                       "was given")
                    if case_ref else N_(f"WARNING: writing to {label}, a threat state of this case, because "
                                        f"{UNSAFE_FLAG} was given"))
            else:
                refused.append(label)
            continue
        caution = cautions.get(code)
        if caution is not None:
            if code in named:
                out.append(code)
                if not records:
                    warnings.append(N_(f"warning: writing to {label}, named in --to although it is "
                                       f"cautioned: {caution.reason} ({caution.source_url})"))
            else:
                held.append(Held(code, caution.reason, caution.source_url, caution.source_title, "caution"))
            continue
        out.append(code)
    if consent is not None and not records and not refused:
        outside = [c for c in out if c not in consent.states]
        named_outside = [f"{states.name(c)} ({c})" for c in outside if c in named]
        if named_outside:
            from plea.consent import OVERRIDE_FLAG

            raise Conflict(f"--to: {', '.join(named_outside)} {'is' if len(named_outside) == 1 else 'are'} outside "
                           f"{consent.label}", hint=f"record a new consent, or override with {OVERRIDE_FLAG}")
        held += [Held(c, f"outside {consent.label}", kind="consent") for c in outside]
        out = [c for c in out if c in consent.states]
    if refused:
        raise InvalidInput(
            f"--to: {', '.join(refused)} {'is a threat state' if len(refused) == 1 else 'are threat states'} of "
            f"{case_ref or 'this case'}: a letter would tell the persecutor where the person is",
            hint=f"nothing was written; to write anyway, name it and add {UNSAFE_FLAG}")
    if not out and stood_for_any and not empty_ok:
        kept = f"; held back: {', '.join(h.state for h in held)}" if held else ""
        if host and host in set(spec.named):
            kept += f"; {states.name(host)} ({host}) is the host state, where the letters are delivered"
        raise InvalidInput(f"--to {spec.text}: no state is left to write to{kept}",
                           hint="see `plea letters plan CASE --to …` for who is held back and why")
    return Resolution(out, held, warnings)


def case_threats(case: Any) -> list[str]:
    return (getattr(case, "threat_states", "") or "").split()


def for_case(session: Any, case: Any, spec: ToSpec | str, *, universe: Iterable[str], unsafe: bool = False,
             records: bool = False, host: str | None = None, empty_ok: bool = False,
             without_consent: bool = False, channel: str | None = None, letter: Any = None,
             today: date | None = None) -> Resolution:
    """resolve() with the case's threat states, the cautions in force for them and (unless the command only
    records, or --without-consent was given) the applicant's consent: an expired one, one that does not
    cover `channel`, or one without the story for a `letter` (LetterSpec) that tells it, stops the
    command (exit 6)."""
    from plea.cautions import for_threats

    conn = session.connection() if hasattr(session, "connection") else session
    threats = case_threats(case)
    return resolve(spec, universe=universe, threats=threats, cautions=for_threats(conn, threats), unsafe=unsafe,
                   records=records, host=host, case_ref=case.ref, empty_ok=empty_ok,
                   consent=None if records or without_consent
                   else consent_rule(conn, case, channel=channel, letter=letter, today=today))


def consent_rule(conn: Any, case: Any, *, channel: str | None = None, letter: Any = None,
                 today: date | None = None) -> ConsentRule | None:
    """The consent in force for the case, checked for expiry on `today` (the command's day; else the
    clock's), channel and, for a letter, the story (plea.consent.enforce: Conflict, exit 6)."""
    from plea.consent import current, enforce

    rule = current(conn, case)
    enforce(rule, today=today or date.today(), channel=channel, letter=letter)
    return rule


def choose_language(spec: LetterSpec, mission: Mission, lang: str | None) -> tuple[str, str]:
    """(language, why) for one mission."""
    from plea.render.locale import candidates, official_languages
    from plea.render.scaffold import untranslated

    if lang:
        if lang not in spec.langs:
            raise NotFound(f"the letter {spec.name!r} has no {lang!r} template",
                           hint=f"languages: {', '.join(spec.langs)}")
        why_not = untranslated(spec, lang)
        if why_not:
            from plea.errors import TemplateProblem

            raise TemplateProblem(f"the letter {spec.name!r} in {lang!r} is not translated yet: {why_not}",
                                  hint="translate the marked lines (`plea templates check` lists them)")
        return lang, "--lang"
    # a template still marked [TRANSLATE] (plea templates new) is passed over, never sent half-written
    for code in mission.languages.split():
        for found in candidates(code):
            if found in spec.langs and not untranslated(spec, found):
                return found, N_(f"the mission writes in {code}")
    for code in official_languages(mission.sending):
        for found in candidates(code):
            if found in spec.langs and not untranslated(spec, found):
                return found, N_(f"official language of {states.name(mission.sending)}")
    return "en", N_("no template in the mission's or the state's languages: English")


def recipients(  # 9 parameters: the rule's inputs, by name
    session: Any, spec: LetterSpec, case: Any, *, host: str, to: ToSpec | str, lang: str | None,
    unsafe: bool = False, picked: dict[str, tuple[Mission, str]] | None = None, without_consent: bool = False,
    today: date | None = None,
) -> Recipients:
    """A case's recipients for one host (`picked`: the host's missions, when the caller has them), with
    consent and routes judged on `today` (the command's day; else the clock's)."""
    from plea.directory.missions import pick_missions
    from plea.routes import referrals

    today = today or date.today()  # read once: consent and routes judged on the same day
    picked = pick_missions(session, host) if picked is None else picked
    referred = referrals(session, case) if getattr(case, "id", None) else {}
    universe = sorted(set(picked) | set(referred), key=states.name)
    res = for_case(session, case, to, universe=universe, unsafe=unsafe, host=host,
                   without_consent=without_consent, letter=spec, today=today)
    found: list[Recipient] = []
    missing: list[str] = []
    for code in res.states:
        if code in referred:  # the state's last answer named this authority: it gets the letter
            found.append(referred_recipient(spec, code, *referred[code], lang))
            continue
        if code not in picked:
            missing.append(code)
            continue
        mission, how = picked[code]
        chosen, why = choose_language(spec, mission, lang)
        found.append(Recipient(code, mission, how, chosen, why))
    if found and getattr(case, "protection", ""):
        _attach_routes(session, spec, found, case.protection, lang, today=today)
    return Recipients(found, missing, res.held_back, res.warnings + unnamed_authorities(found))


def unnamed_authorities(found: list[Recipient]) -> list[str]:
    """A warning for each authority (a ministry, a migration office) that gets a letter without a name of
    its own: the letter would call it after its kind and state ("Mission diplomatique de France" for
    France's Ministry of the Interior), and only the user can say what it is called."""
    from plea.directory.queries import unnamed_authority

    out = []
    for r in found:
        m = r.mission
        if unnamed_authority(m):
            out.append(N_(f"warning: {m.id} ({m.kind}) has no name of its own: its letter would name it "
                          f"after its kind and state; add the name its own site uses: "
                          f"`plea embassies edit {m.id} --name …`"))
    return list(dict.fromkeys(out))


def referred_recipient(spec: LetterSpec, code: str, mission: Mission, response: Any,
                       lang: str | None) -> Recipient:
    """The authority a state's last answer referred the case to (plea.routes.referrals), as its recipient."""
    chosen, why = choose_language(spec, mission, lang)
    why += (f"; {states.name(code)} referred the case to {mission.id} ({mission.kind}) in its answer "
            f"of {response.on.isoformat()}")
    return Recipient(code, mission, "referred", chosen, why)


def route_authority(session: Any, route: dict[str, Any]) -> Mission | None:
    """The route's authority if the letter goes to it: it is in the directory and takes letters directly
    (post, email, web form); else None (the mission keeps the letter)."""
    from plea.db.models import Mission
    from plea.routes import DIRECT

    if not route["authority"] or route["channel"] not in DIRECT:
        return None
    return session.get(Mission, route["authority"])


def routed_recipient(spec: LetterSpec, code: str, authority: Mission, route: dict[str, Any],
                     lang: str | None) -> Recipient:
    """The recipient at the authority a route names (route_authority), for the state `code`."""
    from plea.routes import explain

    chosen, why = choose_language(spec, authority, lang)
    why = f"{why}; {explain(route)}; the letter goes to {authority.id}"
    return Recipient(code, authority, "route", chosen, why, route)


def with_route(session: Any, spec: LetterSpec, r: Recipient, route: dict[str, Any],
               lang: str | None) -> Recipient:
    """The recipient with its route (plea.routes), explained in its "why": the route's authority gets the
    letter instead of the mission (route_authority); a referral (the state's own answer) goes first."""
    from plea.routes import explain

    authority = route_authority(session, route) if r.how != "referred" else None
    if authority is not None:
        return routed_recipient(spec, r.state, authority, route, lang)
    return Recipient(r.state, r.mission, r.how, r.lang, f"{r.why}; {explain(route)}", route)


def stale_route(route: dict[str, Any], max_age: int) -> str:
    """The warning for a route checked longer ago than contact_max_age_days."""
    name, state = states.name(route["state"]), route["state"]
    return N_(f"warning: the route for {name} ({state}) was checked on {route['checked_on']}, "
              f"more than {max_age} days ago: check {route['source_url']} and update it with "
              f"`plea routes edit {state} {route['protection']} --checked-on …`")


def _attach_routes(session: Any, spec: LetterSpec, found: list[Recipient], protection: str,
                   lang: str | None, *, today: date) -> None:
    """Each recipient's route for the case's protection (with_route; its age counted to `today`)."""
    from plea.directory.provenance import max_age_days
    from plea.routes import for_recipients

    routes = for_recipients(session, [r.state for r in found], protection, today=today,
                            max_age=max_age_days(session))
    found[:] = [r if (route := routes.get(r.state)) is None else with_route(session, spec, r, route, lang)
                for r in found]
