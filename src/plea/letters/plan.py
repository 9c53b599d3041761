"""The one plan of letters, for `plea letters render` (one case, files straight into --out) and
`plea batch` (many cases, one folder per client): which missions, which files under which
names (the one file-name rule, file_stem), the one inputs hash (digests), and which files are
already done (rendered from the same inputs, on disk with the recorded sha256).

Everything here reads the database and the output folder; nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea import states
from plea.cases import FIELDS, get_case, list_cases, missing_fields, no_way_to_answer
from plea.db.models import Case, Letter, Rendition
from plea.errors import InvalidInput, NotFound, TemplateProblem
from plea.fileio import safe_name, sha256_file
from plea.recipients import Held, Recipient, choose_language, parse_to, resolve
from plea.render.catalog import LetterSpec, get_letter, locate
from plea.render.context import case_context, mission_context
from plea.stories import Story, story_for

FORMATS = ("docx", "pdf", "md", "txt")
#: bump when the writer changes what it makes of the same inputs: every letter renders again
RENDER_VERSION = 4  # 3: labels, names and the story in the letter's language; 4: the window layout,
#   sender block and continuation header (issue 20)
CASE_FIELDS = ("id", "ref", *FIELDS, "stories")


@dataclass
class Item:
    """One letter: a case to a mission, with the files it needs."""

    case_id: int
    ref: str
    mission_id: str
    state: str  # the sending state
    host: str  # where the mission is
    lang: str
    paper: str
    first_letter: dict[str, Any] | None
    response: dict[str, Any] | None
    folder: str  # the client's folder (a safe name)
    stem: str  # the file name without extension (a safe name)
    digests: dict[str, str] = field(default_factory=dict)  # format → inputs hash
    story: Story | None = None  # the version of the story the letter carries (plea.stories)
    todo: list[str] = field(default_factory=list)  # formats to render
    annexes: list[Any] = field(default_factory=list)  # plea.letters.annex.Annex: what the letter carries

    @property
    def key(self) -> tuple[int, str]:
        return (self.case_id, self.mission_id)

    def path(self, out_dir: Path | str, fmt: str) -> str:
        return os.path.join(out_dir, self.folder, f"{self.stem}.{fmt}")


@dataclass
class Plan:
    spec: LetterSpec
    out_dir: Path
    formats: list[str]
    cases: list[Case]
    items: list[Item]
    missions: dict[str, dict[str, Any]]  # mission id → plain mission fields
    no_mission: list[str]  # named states without a mission in any host
    held_back: dict[str, list[Held]]  # case ref → states the recipient rule held back (threat, cautions)
    letterhead: Path | None
    letterhead_sha: str | None
    letters: dict[tuple[int, str], int]  # (case id, mission id) → letter id, for letters that exist
    renditions: dict[int, list[dict[str, Any]]]  # letter id → its rendition rows
    already_done: int = 0
    annexes: dict[int, Any] = field(default_factory=dict)  # case id → plea.letters.annex.CaseAnnexes
    warnings: list[str] = field(default_factory=list)  # the recipient rule's one-line warnings, said once
    _by_key: dict[tuple[int, str], Item] = field(default_factory=dict)

    def item(self, key: tuple[int, str]) -> Item:
        if not self._by_key:
            self._by_key = {i.key: i for i in self.items}
        return self._by_key[key]

    @property
    def todo(self) -> list[Item]:
        return [i for i in self.items if i.todo]

    def stories(self) -> list[tuple[str, Story]]:
        """(case ref, the version of the story its letter carries), letter by letter."""
        return [(i.ref, i.story) for i in self.items if i.story is not None]

    def per_case(self) -> Counter[int]:
        return Counter(i.case_id for i in self.items)

    def headline(self) -> str:
        """ "3 clients × 168 missions = 504 letters; 12 already done"."""
        counts = sorted(self.per_case().values()) or [0]
        lo, hi = counts[0], counts[-1]
        missions = f"{lo}" if lo == hi else f"{lo}–{hi}"
        clients = len(self.per_case())
        return (
            f"{clients} client{'s' if clients != 1 else ''} × {missions} mission{'s' if hi != 1 else ''} = "
            f"{len(self.items)} letter{'s' if len(self.items) != 1 else ''}; {self.already_done} already done"
        )


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InvalidInput(
            f"--format: unknown {', '.join(bad) or 'format'}; choose from {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


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
            raise NotFound(f"{len(unknown)} unknown case(s): " + "; ".join(unknown))
        if status not in (None, "all"):
            found = [c for c in found if c.status == status]
        found = list({c.id: c for c in found}.values())
    if not found:
        raise NotFound(
            "no case to write for", hint="add cases with `plea cases add` or `plea cases import FILE`"
        )
    return found


class _Recipients:
    """Each client's recipients in a batch by the one recipient rule, with what every client shares
    (the hosts' missions, each mission's language and fields, the cautions in force) worked out once."""

    def __init__(self, session: Session, spec: LetterSpec, hosts: list[str], lang: str | None) -> None:
        from plea.cautions import effective
        from plea.directory.missions import pick_missions

        self.spec, self.hosts, self.lang = spec, hosts, lang
        self.picked = {host: pick_missions(session, host) for host in hosts}
        self.universe = sorted({code for picked in self.picked.values() for code in picked}, key=states.name)
        self.conn = session.connection()
        self.cautions = effective(self.conn)
        self._recipients: dict[str, Recipient] = {}
        self.warnings: list[str] = []

    def of(self, case: Case, to: Any, *, unsafe: bool,
           without_consent: bool = False) -> tuple[list[Recipient], list[str], list[Held]]:
        """(recipients, named states without a mission, held back) for one client; the rule's warnings
        are collected in self.warnings."""
        from plea.cautions import by_threats
        from plea.recipients import case_threats, consent_rule

        threats = case_threats(case)
        consent = None if without_consent else consent_rule(self.conn, case)
        res = resolve(to, universe=self.universe, threats=threats, cautions=by_threats(self.cautions, threats),
                      unsafe=unsafe, host=self.hosts[0] if len(self.hosts) == 1 else None, case_ref=case.ref,
                      consent=consent)
        self.warnings.extend(w for w in res.warnings if w not in self.warnings)
        mine: dict[str, Recipient] = {}
        for host, picked in self.picked.items():  # host by host, as each host's letters are listed
            for code in res.states:
                if code in picked and code != host:
                    mission, how = picked[code]
                    mine.setdefault(mission.id, self._recipient(code, mission, how))
        covered = {r.state for r in mine.values()}
        return list(mine.values()), [c for c in res.states if c not in covered], res.held_back

    def _recipient(self, code: str, mission: Any, how: str) -> Recipient:
        if mission.id not in self._recipients:
            chosen, why = choose_language(self.spec, mission, self.lang)
            self._recipients[mission.id] = Recipient(code, mission, how, chosen, why)
        return self._recipients[mission.id]


class _Missions:
    """Each mission's fields as a template reads them, and their hash, worked out once; and
    each language's template hash."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[dict[str, Any], str]] = {}
        self._templates: dict[str, str] = {}

    def template(self, spec: LetterSpec, lang: str) -> str:
        if lang not in self._templates:
            self._templates[lang] = template_hash(spec, lang)
        return self._templates[lang]

    def _get(self, mission: Any) -> tuple[dict[str, Any], str]:
        if mission.id not in self._seen:
            ctx = mission_context(mission)
            self._seen[mission.id] = (ctx, _sha(ctx))
        return self._seen[mission.id]

    def context(self, mission: Any) -> dict[str, Any]:
        return self._get(mission)[0]

    def sha(self, mission: Any) -> str:
        return self._get(mission)[1]


def _sha(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def template_hash(spec: LetterSpec, lang: str) -> str:
    """The texts a letter in one language is made from: its template, the shared blocks, letter.toml."""
    from plea.render.confine import read_bytes

    h = hashlib.sha256()
    for rel in (f"{spec.name}/{lang}.md.j2", f"_blocks/{lang}.md.j2", f"{spec.name}/letter.toml"):
        found = locate(rel)  # the overlay's file (PLEA_TEMPLATES) before plea's own
        h.update(read_bytes(*found) if found and found[0].exists() else b"-")  # inside its folder, bounded
        h.update(b"\0")
    return h.hexdigest()


def file_stem(ref: str, state: str, host: str, letter: str, lang: str) -> str:
    """The one file-name rule: REF_STATE-HOST_LETTER_LANG (reference, sending state, the state
    the mission is in, letter, language; never a person's name), made safe."""
    return safe_name(f"{ref}_{state}-{host}_{letter}_{lang}")


def _stems(case: Case, found: list[Recipient], letter: str) -> dict[str, str]:
    """mission id → file stem (file_stem); the mission id is added where two would clash."""
    base = {r.mission.id: file_stem(case.ref, r.state, r.mission.host, letter, r.lang) for r in found}
    clashes = Counter(base.values())
    return {mid: stem if clashes[stem] == 1 else safe_name(f"{stem}_{mid}") for mid, stem in base.items()}


def digests(
    item: Item,
    formats: list[str],
    *,
    template: str,
    case_sha: str,
    mission_sha: str,
    letterhead_sha: str | None,
    annexes: list[Any] | None = None,
) -> dict[str, str]:
    """The one inputs hash, per format: what a file is made from (the writer's version, the
    template texts, the case's and mission's fields, the version of the story the letter carries,
    letterhead, paper, language, what a follow-up or thanks cites, and the annexes: number, sha256
    and title of each, so that a changed annex renders again). The date is not in it: a letter
    rendered is kept."""
    common = {
        "story": item.story.sha if item.story else None,
        "v": RENDER_VERSION,
        "template": template,
        "case": case_sha,
        "mission": mission_sha,
        "letterhead": letterhead_sha,
        "paper": item.paper,
        "lang": item.lang,
        "first_letter": item.first_letter,
        "response": item.response,
    }
    if annexes:  # only then: letters without annexes keep the hashes they had
        common["annexes"] = [a.key() for a in annexes]
    return {fmt: _sha({**common, "format": fmt}) for fmt in formats}


def _items(
    case: Case,
    spec: LetterSpec,
    planned: list[Any],
    *,
    folder: str,
    formats: list[str],
    paper: str | None,
    letterhead_sha: str | None,
    missions: _Missions,
    annexes: Any = None,
) -> list[Item]:
    """One case's items, in the order of its recipients."""
    from plea.render.docx import paper_for_host

    stems = _stems(case, [p.recipient for p in planned], spec.name)
    fields = case_context(case)
    fields.pop("annexes")  # what a letter carries is in the hash through its annexes (digests)
    case_sha = _sha(fields)
    items = []
    for p in planned:
        r = p.recipient
        item = Item(
            case.id or 0,
            case.ref,
            r.mission.id,
            r.state,
            r.mission.host,
            r.lang,
            paper or paper_for_host(r.mission.host),
            p.first_letter,
            p.response,
            folder,
            stems[r.mission.id],
            story=story_for(case, r.lang),
        )
        item.annexes = annexes.for_lang(r.lang) if annexes is not None else []
        item.digests = digests(
            item,
            formats,
            template=missions.template(spec, r.lang),
            case_sha=case_sha,
            mission_sha=missions.sha(r.mission),
            letterhead_sha=letterhead_sha,
            annexes=item.annexes,
        )
        items.append(item)
    return items


def plan_case(
    session: Session,
    case: Case,
    spec: LetterSpec,
    planned: list[Any],
    *,
    out_dir: Path,
    formats: list[str],
    paper: str | None,
    letterhead: Path | None,
    annex: list[str] | None = None,
) -> Plan:
    """One case's plan (`plea letters render`): its files straight into out_dir. `annex`: --annex as
    plea.letters.annex.parse gives it."""
    from plea.letters.annex import for_case

    if lacking := missing_fields(case, spec.requires):
        raise TemplateProblem(
            f"the letter {spec.name!r} needs these case fields, which are empty in {case.ref}: "
            f"{', '.join(lacking)}",
            hint=f"fill them with `plea cases edit {case.ref} …`; nothing was written",
        )
    from plea.letters.choose import answerable

    answerable(case)
    out_dir = out_dir.expanduser().resolve()
    letterhead_sha = hashlib.sha256(letterhead.read_bytes()).hexdigest() if letterhead else None
    missions = _Missions()
    annexes = for_case(session, case, annex)
    items = _items(
        case,
        spec,
        planned,
        folder="",
        formats=formats,
        paper=paper,
        letterhead_sha=letterhead_sha,
        missions=missions,
        annexes=annexes,
    )
    plan = Plan(
        spec,
        out_dir,
        formats,
        [case],
        items,
        {p.recipient.mission.id: missions.context(p.recipient.mission) for p in planned},
        [],
        {},
        letterhead,
        letterhead_sha,
        {},
        {},
    )
    plan.annexes = {case.id or 0: annexes}
    _load_done(session, plan)
    return plan


def make_plan(
    session: Session,
    *,
    cases: str,
    status: str | None,
    letter: str,
    to: str,
    hosts: list[str],
    lang: str | None,
    out_dir: Path,
    formats: list[str],
    paper: str | None,
    letterhead: Path | None,
    today: Any,
    due: bool = False,
    unsafe: bool = False,
    without_consent: bool = False,
    annex: list[str] | None = None,
) -> Plan:
    from plea.letters.annex import check_batch_numbers, for_case
    from plea.letters.choose import unanswerable as unanswerable_line
    from plea.letters.choose import with_context

    spec = get_letter(letter)
    out_dir = out_dir.expanduser().resolve()
    chosen = select_cases(session, cases, status)
    check_batch_numbers(session, chosen, annex)
    case_annexes: dict[int, Any] = {}
    to_spec = parse_to(to)  # a bad --to fails before anything else
    per_case = _Recipients(session, spec, hosts, lang)
    found: dict[str, Recipient] = {}
    named_missing: set[str] = set()
    held: dict[str, list[Held]] = {}
    letterhead_sha = hashlib.sha256(letterhead.read_bytes()).hexdigest() if letterhead else None
    missions = _Missions()
    items: list[Item] = []
    lacking: list[str] = []
    unanswerable: list[str] = []
    context_problems: list[str] = []
    for case in chosen:
        if gaps := missing_fields(case, spec.requires):
            lacking.append(f"{case.ref}: {', '.join(gaps)}")
            continue
        if why := no_way_to_answer(case):
            unanswerable.append(f"{unanswerable_line(case.ref, why)} (add {why[1]})")
            continue
        mine, missing, held_back = per_case.of(case, to_spec, unsafe=unsafe, without_consent=without_consent)
        named_missing.update(missing)
        if held_back:
            held[case.ref] = held_back
        for r in mine:
            found.setdefault(r.mission.id, r)
        try:
            # follow-ups and thanks go to the missions that got a first letter / answered, among --to
            planned = with_context(session, case, spec, mine, to="all", due=due, today=today)
        except InvalidInput as exc:
            context_problems.append(f"{case.ref}: {exc.message}")
            continue
        case_annexes[case.id or 0] = for_case(session, case, annex, named=False)
        items += _items(
            case,
            spec,
            planned,
            folder=safe_name(case.ref),
            formats=formats,
            paper=paper,
            letterhead_sha=letterhead_sha,
            missions=missions,
            annexes=case_annexes[case.id or 0],
        )
    if lacking:
        raise TemplateProblem(
            f"the letter {spec.name!r} needs case fields that {len(lacking)} client(s) lack; "
            "nothing was written:\n  " + "\n  ".join(lacking),
            hint="fill them with `plea cases edit REF …` or `plea cases import FILE`, then run the batch "
            "again",
        )
    if unanswerable:
        raise TemplateProblem(
            f"{len(unanswerable)} client(s) give no way to answer their letters; nothing was written:\n  "
            + "\n  ".join(unanswerable),
            hint="add an email or a postal address with `plea cases edit REF …` or `plea cases import FILE`, "
            "then run the batch again",
        )
    if context_problems:
        raise InvalidInput(
            f"{len(context_problems)} client(s) cannot get this letter; nothing was written:",
            problems=context_problems,
        )
    plan = Plan(
        spec,
        out_dir,
        formats,
        chosen,
        items,
        {mid: missions.context(r.mission) for mid, r in found.items()},
        sorted(named_missing - {r.state for r in found.values()}),
        held,
        letterhead,
        letterhead_sha,
        {},
        {},
    )
    plan.warnings = per_case.warnings
    plan.annexes = case_annexes
    _load_done(session, plan)
    return plan


def _load_done(session: Session, plan: Plan) -> None:
    """Which files exist already from the same inputs, with the sha256 recorded for them."""
    case_ids = sorted({i.case_id for i in plan.items})
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        for lid, cid, mid in session.exec(
            select(Letter.id, Letter.case_id, Letter.mission_id).where(
                col(Letter.case_id).in_(chunk), Letter.letter == plan.spec.name
            )
        ):
            plan.letters[(cid, mid)] = lid  # type: ignore[index]
    ids = sorted(plan.letters.values())
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.exec(select(Rendition).where(col(Rendition.letter_id).in_(chunk))):
            plan.renditions.setdefault(row.letter_id, []).append(
                {
                    "id": row.id,
                    "format": row.format,
                    "path": row.path,
                    "sha256": row.sha256,
                    "inputs_hash": row.inputs_hash,
                }
            )
    out = str(plan.out_dir)
    done = 0
    for item in plan.items:
        lid = plan.letters.get(item.key)
        rows = plan.renditions.get(lid, []) if lid is not None else []
        item.todo = []
        for fmt in plan.formats:
            target = item.path(out, fmt)
            ok = False
            for row in rows:
                if row["format"] == fmt and row["path"] == target and row["inputs_hash"] == item.digests[fmt]:
                    try:
                        ok = sha256_file(Path(target)) == row["sha256"]
                    except OSError:
                        ok = False
                    break
            if not ok:
                item.todo.append(fmt)
        done += not item.todo
    plan.already_done = done


def plain_case(case: Case, plan: Plan | None = None) -> dict[str, Any]:
    """The case fields a template may read, as a plain dict (for a worker process); with the plan, also
    the annexes it lists (`case.annexes`)."""
    fields = {f: getattr(case, f) for f in CASE_FIELDS}
    annexes = plan.annexes.get(case.id or 0) if plan is not None else None
    if annexes is not None and annexes.originals:
        fields["annexes"] = annexes.context()
    return fields


__all__ = [
    "FORMATS",
    "Item",
    "Plan",
    "digests",
    "file_stem",
    "make_plan",
    "parse_formats",
    "plain_case",
    "plan_case",
]
