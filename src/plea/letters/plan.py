"""The one plan of letters, for `plea letters render` (one case, files straight into --out) and
`plea batch` (many cases, one folder per client): which missions, which files under which
names (the one file-name rule: plea.letters.names), made from which inputs (the one inputs hash:
plea.letters.inputs), and which files are already done (rendered from the same inputs, on disk
with the recorded sha256).

Everything here reads the database and the output folder; nothing is written.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from plea.cases import FIELDS, missing_fields, no_way_to_answer
from plea.db.models import Case, Letter, Rendition
from plea.errors import InvalidInput, TemplateProblem
from plea.fileio import safe_name, sha256_file
from plea.i18n import N_
from plea.letters.choose import BatchRecipients, select_cases
from plea.letters.formats import FORMATS, parse_formats
from plea.letters.inputs import SharedInputs, digests, sha_of
from plea.letters.names import stems
from plea.recipients import Held, Recipient, parse_to
from plea.render.catalog import LetterSpec, get_letter
from plea.render.context import case_context
from plea.stories import Story, story_for

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
    # case ref → (state, authority's id, "route" or "referred"): letters that go to the authority that
    # decides in place of the state's missions (plea.letters.choose.BatchRecipients)
    redirected: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
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
        from plea.i18n import translate

        counts = sorted(self.per_case().values()) or [0]
        lo, hi = counts[0], counts[-1]
        missions = f"{lo}" if lo == hi else f"{lo}–{hi}"
        clients, letters = len(self.per_case()), len(self.items)
        return translate(
            f"{clients} client{'s' if clients != 1 else ''} × {missions} mission{'s' if hi != 1 else ''} = "
            f"{letters} letter{'s' if letters != 1 else ''}; {self.already_done} already done"
        )


def _items(  # 9 parameters: one case's, and the options every case of the plan shares
    case: Case,
    spec: LetterSpec,
    planned: list[Any],
    *,
    folder: str,
    formats: list[str],
    paper: str | None,
    letterhead_sha: str | None,
    missions: SharedInputs,
    annexes: Any = None,
) -> list[Item]:
    """One case's items, in the order of its recipients."""
    from plea.render.paper import paper_for_host

    names = stems(case, [p.recipient for p in planned], spec.name)
    fields = case_context(case)
    fields.pop("annexes")  # what a letter carries is in the hash through its annexes (digests)
    case_sha = sha_of(fields)
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
            names[r.mission.id],
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


def plan_case(  # 9 parameters: `letters render`'s case, letter, recipients and options, passed by name
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
    missions = SharedInputs()
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


def make_plan(  # 16 parameters: `plea batch`'s options, passed by name
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
    """`plea batch`'s plan: every chosen client's letters, each in its own folder. Every client
    that cannot get the letter is named before anything is written."""
    from plea.letters.annex import check_batch_numbers, for_case

    spec = get_letter(letter)
    out_dir = out_dir.expanduser().resolve()
    chosen = select_cases(session, cases, status)
    check_batch_numbers(session, chosen, annex)
    to_spec = parse_to(to)  # a bad --to fails before anything else
    gathered = _Gathered(BatchRecipients(session, spec, hosts, lang, cases=chosen, today=today))
    letterhead_sha = hashlib.sha256(letterhead.read_bytes()).hexdigest() if letterhead else None
    missions = SharedInputs()
    for case in chosen:
        planned = gathered.planned(session, case, spec, to_spec, unsafe=unsafe,
                                   without_consent=without_consent, due=due, today=today)
        if planned is None:
            continue
        gathered.annexes[case.id or 0] = annexes = for_case(session, case, annex, named=False)
        gathered.items += _items(
            case,
            spec,
            planned,
            folder=safe_name(case.ref),
            formats=formats,
            paper=paper,
            letterhead_sha=letterhead_sha,
            missions=missions,
            annexes=annexes,
        )
    gathered.refuse(spec)
    found = gathered.found
    plan = Plan(
        spec,
        out_dir,
        formats,
        chosen,
        gathered.items,
        {mid: missions.context(r.mission) for mid, r in found.items()},
        sorted(gathered.named_missing - {r.state for r in found.values()}),
        gathered.held,
        letterhead,
        letterhead_sha,
        {},
        {},
    )
    plan.warnings = gathered.recipients.warnings
    plan.redirected = gathered.redirected
    plan.annexes = gathered.annexes
    _load_done(session, plan)
    return plan


@dataclass
class _Gathered:
    """What make_plan gathers client by client: the letters, the recipients, the states named
    without a mission or held back, and the clients that cannot get the letter, and why."""

    recipients: BatchRecipients
    items: list[Item] = field(default_factory=list)
    found: dict[str, Recipient] = field(default_factory=dict)  # mission id → its recipient
    named_missing: set[str] = field(default_factory=set)
    held: dict[str, list[Held]] = field(default_factory=dict)
    redirected: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    annexes: dict[int, Any] = field(default_factory=dict)
    lacking: list[str] = field(default_factory=list)
    unanswerable: list[str] = field(default_factory=list)
    context_problems: list[str] = field(default_factory=list)

    def planned(self, session: Session, case: Case, spec: LetterSpec, to: Any, *, unsafe: bool,
                without_consent: bool, due: bool, today: Any) -> list[Any] | None:
        """One client's recipients with what each letter cites; None (and the reason kept) for a
        client that cannot get the letter."""
        from plea.letters.choose import unanswerable as unanswerable_line
        from plea.letters.choose import with_context

        if gaps := missing_fields(case, spec.requires):
            self.lacking.append(f"{case.ref}: {', '.join(gaps)}")
            return None
        if why := no_way_to_answer(case):
            self.unanswerable.append(f"{unanswerable_line(case.ref, why)} (add {why[1]})")
            return None
        mine, missing, held_back = self.recipients.of(case, to, unsafe=unsafe,
                                                      without_consent=without_consent)
        self.named_missing.update(missing)
        if held_back:
            self.held[case.ref] = held_back
        if moved := [(r.state, r.mission.id, r.how) for r in mine if r.how in ("route", "referred")]:
            self.redirected[case.ref] = moved
        for r in mine:
            self.found.setdefault(r.mission.id, r)
        try:
            # follow-ups and thanks go to the missions that got a first letter / answered, among --to
            return with_context(session, case, spec, mine, to="all", due=due, today=today)
        except InvalidInput as exc:
            self.context_problems.append(f"{case.ref}: {exc.message}")
            return None

    def refuse(self, spec: LetterSpec) -> None:
        """Stop before anything is written if any client cannot get the letter, naming them all."""
        if self.lacking:
            raise TemplateProblem(
                # the first line is the catalog's message (errors are translated line by line)
                N_(f"the letter {spec.name!r} needs case fields that {len(self.lacking)} client(s) lack; "
                   "nothing was written:") + "\n  " + "\n  ".join(self.lacking),
                hint="fill them with `plea cases edit REF …` or `plea cases import FILE`, then run the batch "
                "again",
            )
        if self.unanswerable:
            raise TemplateProblem(
                N_(f"{len(self.unanswerable)} client(s) give no way to answer their letters; "
                   "nothing was written:") + "\n  " + "\n  ".join(self.unanswerable),
                hint="add an email or a postal address with `plea cases edit REF …` or "
                "`plea cases import FILE`, then run the batch again",
            )
        if self.context_problems:
            raise InvalidInput(
                f"{len(self.context_problems)} client(s) cannot get this letter; nothing was written:",
                problems=self.context_problems,
            )


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


def plain_case(case: Case, annexes: Any = None) -> dict[str, Any]:
    """The case fields a template may read, as a plain dict (for a worker process); with the case's
    annexes in the plan (plea.letters.annex.CaseAnnexes), also the annexes it lists (`case.annexes`)."""
    fields = {f: getattr(case, f) for f in CASE_FIELDS}
    if annexes is not None and annexes.originals:
        fields["annexes"] = annexes.context()
    return fields


__all__ = [
    "FORMATS",
    "Item",
    "Plan",
    "make_plan",
    "parse_formats",
    "plain_case",
    "plan_case",
]
