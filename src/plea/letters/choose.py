"""Who gets a case's letter: the recipients by the one recipient rule (plea.recipients), and
what follow-ups and thanks cite; for a batch, the cases it writes for (select_cases) and each
one's recipients (BatchRecipients). And render_all, the whole-letter renderer in memory (the
golden letters are checked through it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from plea import states
from plea.cases import get_case, list_cases, missing_fields
from plea.db.models import Case
from plea.errors import InvalidInput, NotFound, TemplateProblem
from plea.recipients import Held, Recipient, Recipients, choose_language, recipients, resolve
from plea.render.catalog import LetterSpec, get_letter
from plea.render.letter import RenderedLetter, render_letter


@dataclass
class Planned:
    recipient: Recipient
    first_letter: dict[str, Any] | None = None
    response: dict[str, Any] | None = None


def choose(  # 8 parameters: the recipient rule's inputs, by name
    session: Session, ref: str, *, letter: str, to: str, host: str, lang: str | None = None,
    unsafe: bool = False, without_consent: bool = False, today: date | None = None,
) -> tuple[Case, LetterSpec, Recipients]:
    """The case, its letter and its recipients for one host, by the one recipient rule (plea.recipients);
    consent and routes judged on `today` (the command's day)."""
    case = get_case(session, ref)
    spec = get_letter(letter)
    answerable(case)
    return case, spec, recipients(session, spec, case, host=host, to=to, lang=lang, unsafe=unsafe,
                                  without_consent=without_consent, today=today)


def answerable(case: Case) -> None:
    """Refuse a case whose letters would give the mission no way to answer (plea.cases.no_way_to_answer)."""
    from plea.cases import no_way_to_answer

    if lacking := no_way_to_answer(case):
        first, _, second = lacking[1].partition(" or ")
        raise TemplateProblem(unanswerable(case.ref, lacking),
                              hint=f"add one with `plea cases edit {case.ref} {first} …` (or {second}); "
                              "nothing was written")


def unanswerable(ref: str, lacking: tuple[str, str]) -> str:
    return f"{ref}: no way to answer its letters: {lacking[0]}, who signs them, has no email and no postal address"


def with_context(session: Session, case: Case, spec: LetterSpec, found: list[Recipient], *, to: str,
                 due: bool, today: date) -> list[Planned]:
    """Attach what follow-ups and thanks cite; keep only the recipients they make sense for."""
    from plea import campaign
    from plea.recipients import parse_to

    spec_to = parse_to(to)
    named = None if spec_to.everything else spec_to.named
    if spec.name == "follow-up" or due:
        if spec.name != "follow-up":
            raise InvalidInput("--due goes with --letter follow-up")
        firsts = campaign.first_letter_info(session, case)
        keep = {s.state for s in campaign.followups(session, case, today)} if due else set(firsts)
        lacking = [r.state for r in found if r.state not in firsts]
        if named is not None and lacking and not due:
            raise InvalidInput(f"no first letter was sent to {', '.join(lacking)}: a follow-up cites it",
                               hint="mark the first letters sent with `plea letters sent`")
        return [Planned(r, first_letter=firsts[r.state]) for r in found if r.state in keep]
    if spec.name == "thanks":
        answers = campaign.last_responses(session, case)
        lacking = [r.state for r in found if r.state not in answers]
        if named is not None and lacking:
            raise InvalidInput(f"no answer is logged from {', '.join(lacking)}: a thank-you letter cites it",
                               hint="log it with `plea responses log`")
        return [Planned(r, response=answers[r.state]) for r in found if r.state in answers]
    return [Planned(r) for r in found]


def render_all(case: Case, spec: LetterSpec, planned: list[Planned], *, today: date) -> list[tuple[Planned, RenderedLetter]]:
    """Render every letter in memory; the first template problem stops everything."""
    lacking = missing_fields(case, spec.requires)
    if lacking:
        raise TemplateProblem(
            f"the letter {spec.name!r} needs these case fields, which are empty in {case.ref}: {', '.join(lacking)}",
            hint=f"fill them with `plea cases edit {case.ref} …`; nothing was written")
    answerable(case)
    from plea.resources import templates_are_shipped, templates_dir

    if not templates_are_shipped():
        return _render_confined(case, spec, planned, today=today, root=templates_dir())
    out = []
    for p in planned:
        out.append((p, render_letter(spec, p.recipient.lang, case=case, mission=p.recipient.mission, today=today,
                                     first_letter=p.first_letter, response=p.response)))
    return out


def _render_confined(case: Case, spec: LetterSpec, planned: list[Planned], *, today: date,
                     root: Path) -> list[tuple[Planned, RenderedLetter]]:
    """Templates from elsewhere (PLEA_TEMPLATES): rendered in a confined child process."""
    from plea.cases import FIELDS
    from plea.render.blocks import parse
    from plea.render.context import MISSION_FIELDS
    from plea.render.isolate import plain, render_many

    case_fields = ("ref", *FIELDS, "stories")
    jobs = [{"lang": p.recipient.lang, "case": plain(case, case_fields),
             "mission": plain(p.recipient.mission, MISSION_FIELDS), "today": today,
             "first_letter": p.first_letter, "response": p.response} for p in planned]
    markdowns = render_many(spec.name, root, jobs)
    return [(p, RenderedLetter(spec.name, p.recipient.lang, spec.subject(p.recipient.lang), md, parse(md)))
            for p, md in zip(planned, markdowns, strict=True)]


def select_cases(session: Session, cases: str, status: str | None) -> list[Case]:
    """--cases all|REF,… with --status open|archived|all (default: open for `all`, any for refs)."""
    if status not in (None, "open", "archived", "all"):
        raise InvalidInput(f"--status: {status!r} is not open, archived or all")
    wanted = [c.strip() for c in cases.split(",") if c.strip()]
    if not wanted:
        raise InvalidInput("--cases: give `all` or case references, e.g. PLEA-2026-0001,PLEA-2026-0002")
    if any(w.lower() == "all" for w in wanted):
        found = list_cases(session, status=None if status == "all" else (status or "open"))
    else:
        found, unknown = [], []
        for ref in wanted:
            try:
                found.append(get_case(session, ref))
            except NotFound as exc:
                unknown.append(str(exc).replace("\n ", ";"))
        if unknown:
            listed = "; ".join(unknown)
            raise NotFound(f"{len(unknown)} unknown case(s): {listed}")
        if status not in (None, "all"):
            found = [c for c in found if c.status == status]
        found = list({c.id: c for c in found}.values())
    if not found:
        raise NotFound(
            "no case to write for", hint="add cases with `plea cases add` or `plea cases import FILE`"
        )
    return found


class BatchRecipients:
    """Each client's recipients in a batch by the one recipient rule, with what every client shares
    (the hosts' missions, each mission's language and fields, the cautions in force, the routes of
    each protection) worked out once. As for `letters render`, a state whose last answer referred
    the client to an authority, or whose route for the client's protection names an authority in
    the directory that takes letters directly, gets one letter, at that authority, in place of its
    missions in the hosts (plea.recipients.with_route)."""

    def __init__(self, session: Session, spec: LetterSpec, hosts: list[str], lang: str | None, *,
                 cases: list[Case], today: date | None = None) -> None:
        """`cases`: the clients `of` will be asked about (their referrals are read at once, a query per
        500)."""
        from plea.cautions import effective
        from plea.directory.missions import pick_missions
        from plea.routes import referrals_of

        self.session, self.spec, self.hosts, self.lang = session, spec, hosts, lang
        self.today = today or date.today()  # read once: consent and routes judged on the same day
        self.picked = {host: pick_missions(session, host) for host in hosts}
        self.universe = sorted({code for picked in self.picked.values() for code in picked}, key=states.name)
        self.conn = session.connection()
        self.cautions = effective(self.conn)
        self._recipients: dict[tuple[str, str], Recipient] = {}  # (mission, protection) → its recipient
        self._routes: dict[str, dict[str, dict[str, Any]]] = {}  # protection → state → route
        self._routed: dict[tuple[str, str], Recipient | None] = {}  # (state, protection) → its authority's
        self._referred = referrals_of(session, [c.id for c in cases if c.id is not None])  # case id → …
        self.warnings: list[str] = []

    def of(self, case: Case, to: Any, *, unsafe: bool,
           without_consent: bool = False) -> tuple[list[Recipient], list[str], list[Held]]:
        """(recipients, named states without a mission, held back) for one client; the rule's warnings
        are collected in self.warnings."""
        from plea.cautions import by_threats
        from plea.recipients import case_threats, consent_rule, referred_recipient, unnamed_authorities

        threats = case_threats(case)
        consent = (None if without_consent
                   else consent_rule(self.conn, case, letter=self.spec, today=self.today))
        referred = self._referred.get(case.id, {}) if case.id is not None else {}
        universe = sorted({*self.universe, *referred}, key=states.name) if referred else self.universe
        only_host = self.hosts[0] if len(self.hosts) == 1 else None
        res = resolve(to, universe=universe, threats=threats, cautions=by_threats(self.cautions, threats),
                      unsafe=unsafe, host=only_host, case_ref=case.ref, consent=consent)
        protection = case.protection or ""
        routes = self._routes_for(protection)
        elsewhere: dict[str, Recipient] = {}  # state → the authority that gets its one letter
        for code in res.states:
            if code in referred:
                elsewhere[code] = referred_recipient(self.spec, code, *referred[code], self.lang)
            elif code in routes and (r := self._route(code, routes[code], protection)) is not None:
                elsewhere[code] = r
        mine: dict[str, Recipient] = {}
        for host, picked in self.picked.items():  # host by host, as each host's letters are listed
            for code in res.states:
                if code in picked and code != host and code not in elsewhere:
                    mission, how = picked[code]
                    r = self._recipient(code, mission, how, routes.get(code), protection)
                    mine.setdefault(mission.id, r)
        for r in elsewhere.values():
            mine.setdefault(r.mission.id, r)
        found = list(mine.values())
        self._warn(res.warnings + unnamed_authorities(found))
        covered = {r.state for r in found}
        return found, [c for c in res.states if c not in covered], res.held_back

    def _warn(self, lines: list[str]) -> None:
        self.warnings.extend(w for w in lines if w not in self.warnings)

    def _routes_for(self, protection: str) -> dict[str, dict[str, Any]]:
        """The routes for a protection (none for a client without one), a stale one warned about once."""
        if not protection:
            return {}
        if protection not in self._routes:
            from plea.directory.provenance import max_age_days
            from plea.recipients import stale_route
            from plea.routes import for_recipients

            max_age = max_age_days(self.session)
            self._routes[protection] = routes = for_recipients(
                self.session, self.universe, protection, today=self.today, max_age=max_age)
            self._warn([stale_route(r, max_age) for _, r in sorted(routes.items()) if r["stale"]])
        return self._routes[protection]

    def _route(self, code: str, route: dict[str, Any], protection: str) -> Recipient | None:
        """The recipient at the route's authority, if the letter goes there (else None: the missions
        keep it)."""
        from plea.recipients import route_authority, routed_recipient

        key = (code, protection)
        if key not in self._routed:
            authority = route_authority(self.session, route)
            self._routed[key] = (None if authority is None
                                 else routed_recipient(self.spec, code, authority, route, self.lang))
        return self._routed[key]

    def _recipient(self, code: str, mission: Any, how: str, route: dict[str, Any] | None,
                   protection: str) -> Recipient:
        key = (mission.id, protection if route is not None else "")
        if key not in self._recipients:
            from plea.recipients import with_route

            chosen, why = choose_language(self.spec, mission, self.lang)
            r = Recipient(code, mission, how, chosen, why)
            self._recipients[key] = with_route(self.session, self.spec, r, route, self.lang) if route else r
        return self._recipients[key]
