"""Cases: one person's (or family's) request for protection. Validation, references,
creation, edits and archiving, each written with its history event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from plea import states
from plea.db.models import Case
from plea.errors import InvalidInput, NotFound
from plea.history import record
from plea.text import clean, clean_line

SITUATIONS = ("detained", "at-liberty", "in-transit")
PROTECTIONS = ("humanitarian-visa", "asylum", "resettlement", "safe-passage")
GENDERS = ("female", "male", "other")
STATUSES = ("open", "archived")
#: fields a person sets (flags of `plea cases add/edit`), in display order
FIELDS = (
    "name_latin", "name_native", "nationality", "threat_states", "birth_date", "title", "gender", "current_country", "situation",
    "facility", "authority_ids", "protection", "persecution", "persecution_lang", "family", "rep_name", "rep_organisation",
    "rep_address", "rep_email", "rep_phone", "reply_to", "followup_days", "acting", "acting_relation",
    "applicant_address", "applicant_email", "applicant_phone",
)
MULTILINE = {"persecution", "rep_address", "reply_to", "applicant_address"}
REF_PREFIX = "PLEA"


def _date(field: str, value: Any, problems: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{field}: not a date {value!r} (use YYYY-MM-DD, e.g. 1990-04-12)")
        return None


def _choice(field: str, value: str, allowed: tuple[str, ...], problems: list[str]) -> str:
    if value and value not in allowed:
        problems.append(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _state(field: str, value: str, problems: list[str]) -> str:
    if not value:
        return ""
    try:
        return states.resolve(value, states.user_langs(), what="state")
    except NotFound as exc:
        problems.append(f"{field}: {exc}")
        return value


def _threats(value: Any, problems: list[str]) -> str | None:
    """--threat / the threat_states column: codes or names (RU,BY), or `none` (or nothing: "", the stored
    form of none); None when not given."""
    import re

    if value is None:
        return None
    text = clean_line(str(value))
    if text.lower() in ("none", ""):
        return ""
    codes = []
    for item in (t for t in re.split(r"[,;\s]+", text) if t):
        try:
            codes.append(states.resolve(item, states.user_langs(), what="state"))
        except NotFound as exc:
            problems.append(f"threat_states: {exc}")
    return " ".join(dict.fromkeys(codes))


def with_threat_default(values: dict[str, Any]) -> dict[str, Any]:
    """A new case is protected from its own state: its threat states default to its nationality."""
    if values.get("threat_states") is None:
        values["threat_states"] = values.get("nationality") or ""
    return values


def threats_emptied(case: Case | None, values: dict[str, Any]) -> bool:
    """Whether these values leave a case (or a new one) without any threat state."""
    return values.get("threat_states") == "" and (case is None or bool(case.threat_states))


def normalise(values: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Clean and check the given fields; InvalidInput naming every bad field."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field not in FIELDS:
            raise InvalidInput(f"unknown case field {field!r}")
        if field == "birth_date":
            d = _date(field, value, problems)
            if d and d > today:
                problems.append(f"birth_date: {d.isoformat()} is in the future")
            out[field] = d
        elif field in ("nationality", "current_country"):
            out[field] = _state(field, clean_line(str(value or "")), problems)
        elif field == "threat_states":
            threats = _threats(value, problems)
            if threats is not None:
                out[field] = threats
        elif field == "situation":
            out[field] = _choice(field, clean_line(str(value or "")), SITUATIONS, problems)
        elif field == "protection":
            out[field] = _choice(field, clean_line(str(value or "")), PROTECTIONS, problems)
        elif field == "gender":
            out[field] = _choice(field, clean_line(str(value or "")), GENDERS, problems)
        elif field == "acting":
            from plea.consent import ACTING

            out[field] = _choice(field, clean_line(str(value or "")).lower(), ACTING, problems)
        elif field == "persecution_lang":
            lang = clean_line(str(value or "")).lower() or "en"  # the original's language; en unless said
            if not lang.isascii() or not lang.isalpha() or not 2 <= len(lang) <= 3:
                problems.append(f"persecution_lang: {value!r} is not a language code (e.g. en, ru, fr)")
            out[field] = lang
        elif field == "followup_days":
            if value in (None, ""):
                out[field] = None
            else:
                try:
                    n = int(value)
                    if not 1 <= n <= 365:
                        raise ValueError
                    out[field] = n
                except (TypeError, ValueError):
                    problems.append(f"followup_days: {value!r} is not a number of days from 1 to 365")
        elif field in ("rep_email", "applicant_email"):
            v = clean_line(str(value or ""))
            if v:
                from plea.directory.validation import check_email

                if p := check_email(v):
                    problems.append(f"{field}: {p}")
            out[field] = v
        elif field == "authority_ids":
            out[field] = [{"label": clean_line(str(d.get("label", ""))), "number": clean_line(str(d.get("number", "")))}
                          for d in value or []]
        elif field == "family":
            members = []
            for m in value or []:
                born = _date("family birth_date", m.get("birth_date", ""), problems)
                members.append({"name": clean_line(str(m.get("name", ""))), "relation": clean_line(str(m.get("relation", ""))),
                                "birth_date": born.isoformat() if born else ""})
                if not members[-1]["name"]:
                    problems.append("family: a family member needs a name")
            out[field] = members
        elif field in MULTILINE:
            out[field] = clean(str(value or "")).strip()
        else:
            out[field] = clean_line(str(value or ""))
    if "name_latin" in out and not out["name_latin"]:
        problems.append("name_latin: the applicant's name (Latin script) is required")
    if problems:
        raise InvalidInput("the case was not saved:", problems=problems)
    return out


# -- what a person gives on the command line ----------------------------------------------------

def id_item(item: str) -> dict[str, str] | None:
    """One authority id written LABEL=NUMBER (`--id`, a cell's item); None if it is not that."""
    label, sep, number = item.partition("=")
    if not sep or not label.strip() or not number.strip():
        return None
    return {"label": label.strip(), "number": number.strip()}


def family_item(item: str) -> dict[str, str] | None:
    """One family member written NAME;RELATION;BIRTH-DATE, relation and date optional (`--family`, a
    cell's item); None if it is not that."""
    parts = [p.strip() for p in item.split(";")]
    if len(parts) > 3 or not parts[0]:
        return None
    parts += [""] * (3 - len(parts))
    return {"name": parts[0], "relation": parts[1], "birth_date": parts[2]}


#: option → case field, where the option's name is not the field's
OPTION_FIELDS = {"name": "name_latin", "native_name": "name_native", "born": "birth_date",
                 "country": "current_country", "rep_org": "rep_organisation", "threat": "threat_states",
                 "email": "applicant_email", "phone": "applicant_phone", "address": "applicant_address"}
#: options read rather than copied: ids and family parsed, the story read from its file
_READ = ("ids", "family", "persecution_file")


@dataclass(frozen=True)
class CaseInput:
    """What `plea cases add/edit` were given, option by option (None: not given). values() parses
    it, once, into a case's fields; normalise() then checks them as it checks an imported row."""

    name: str | None = None
    native_name: str | None = None
    nationality: str | None = None
    born: str | None = None
    title: str | None = None
    gender: str | None = None
    country: str | None = None
    situation: str | None = None
    facility: str | None = None
    ids: list[str] | None = None
    protection: str | None = None
    persecution: str | None = None
    persecution_file: Path | None = None
    family: list[str] | None = None
    rep_name: str | None = None
    rep_org: str | None = None
    rep_address: str | None = None
    rep_email: str | None = None
    rep_phone: str | None = None
    reply_to: str | None = None
    followup_days: int | None = None
    threat: str | None = None
    acting: str | None = None
    acting_relation: str | None = None
    persecution_lang: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> CaseInput:
        """From a command's parameters by name; the ones that are not case options are left out."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in options.items() if k in names})

    def values(self) -> dict[str, Any]:
        """The case fields given: options copied to their field, --id and --family parsed,
        --persecution-file read; InvalidInput for an item that cannot be read."""
        values = {OPTION_FIELDS.get(f.name, f.name): getattr(self, f.name) for f in fields(self)
                  if f.name not in _READ and getattr(self, f.name) is not None}
        if self.persecution_file is not None:
            from plea.fileio import read_text_file

            values["persecution"] = read_text_file(self.persecution_file, "--persecution-file")
        if self.ids:
            values["authority_ids"] = [
                _item(id_item, item, f"--id: {item!r} should be LABEL=NUMBER, "
                                     "e.g. 'Alien Registration Number=A-123-456-789'") for item in self.ids]
        if self.family:
            values["family"] = [
                _item(family_item, item, f"--family: {item!r} should be 'NAME;RELATION;BIRTH-DATE' "
                                         "(relation and date optional)") for item in self.family]
        return values


def _item(parse: Any, item: str, problem: str) -> dict[str, str]:
    parsed = parse(item)
    if parsed is None:
        raise InvalidInput(problem)
    return dict(parsed)


def next_ref(session: Session, year: int) -> str:
    prefix = f"{REF_PREFIX}-{year}-"
    # the longest, then the greatest: PLEA-2026-10000 comes after PLEA-2026-9999 (text order puts it before)
    last = session.exec(select(Case.ref).where(col(Case.ref).startswith(prefix))
                        .order_by(func.length(Case.ref).desc(), col(Case.ref).desc()).limit(1)).first()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def create_case(session: Session, values: dict[str, Any], *, actor: str, today: date) -> Case:
    clean_values = with_threat_default(normalise(values, today=today))
    if not clean_values.get("name_latin"):
        raise InvalidInput("the case was not saved:", problems=["name_latin: the applicant's name (Latin script) is required"])
    now = datetime.now(UTC)
    case = Case(ref=next_ref(session, today.year), created_at=now, updated_at=now, **clean_values)
    session.add(case)
    session.flush()
    record(session, "case.created", actor=actor, case_id=case.id, subject=f"case:{case.ref}",
           data={"fields": sorted(k for k, v in clean_values.items() if v not in (None, "", []))})
    return case


def get_case(session: Session, ref: str) -> Case:
    """A case by its reference or its number (NotFound with the closest references)."""
    from plea.status import find_case

    case = session.get(Case, find_case(session.connection(), ref).id)
    assert case is not None  # found by find_case in this same transaction
    return case


def edit_case(session: Session, ref: str, values: dict[str, Any], *, actor: str, today: date) -> tuple[Case, list[str]]:
    case = get_case(session, ref)
    clean_values = normalise(values, today=today)
    nationality = clean_values.get("nationality")
    if nationality and "threat_states" not in clean_values and nationality not in case.threat_states.split():
        # a new nationality is a threat too, until the user says otherwise: never removed silently
        clean_values["threat_states"] = " ".join([*case.threat_states.split(), nationality])
    changed = [k for k, v in clean_values.items() if getattr(case, k) != v]
    if not changed:
        return case, []
    for k in changed:
        setattr(case, k, clean_values[k])
    case.updated_at = datetime.now(UTC)
    session.add(case)
    record(session, "case.edited", actor=actor, case_id=case.id, subject=f"case:{case.ref}", data={"fields": sorted(changed)})
    return case, changed


def set_status(session: Session, ref: str, status: str, *, actor: str) -> Case:
    case = get_case(session, ref)
    if case.status == status:
        return case
    case.status = status
    case.updated_at = datetime.now(UTC)
    session.add(case)
    record(session, f"case.{'archived' if status == 'archived' else 'reopened'}", actor=actor, case_id=case.id,
           subject=f"case:{case.ref}")
    return case


def list_cases(session: Session, *, status: str | None = "open") -> list[Case]:
    q = select(Case).order_by(col(Case.ref))
    if status:
        q = q.where(Case.status == status)
    return list(session.exec(q))


def case_dict(case: Case) -> dict[str, Any]:
    data = {"ref": case.ref, "status": case.status}
    for f in FIELDS:
        v = getattr(case, f)
        data[f] = v.isoformat() if isinstance(v, date) else v
    data["stories"] = {lang: dict(v) for lang, v in sorted((case.stories or {}).items())}
    data["created_at"] = case.created_at.isoformat()
    data["updated_at"] = case.updated_at.isoformat()
    return data


def missing_fields(case: Case, required: tuple[str, ...]) -> list[str]:
    return [f for f in required if getattr(case, f, None) in (None, "", [])]


def no_way_to_answer(case: Any) -> tuple[str, str] | None:
    """None if a mission can answer this case's letters; else who signs them and the options
    that would give them a way: whoever signs (the representative, or the applicant writing for
    themselves) needs an email or a postal address (the reply address counts as an email).
    Never the person's name."""

    def given(*fields: str) -> bool:
        return any(str(getattr(case, f, "") or "").strip() for f in fields)

    if given("reply_to"):
        return None
    if given("rep_name"):
        if given("rep_email", "rep_address"):
            return None
        return "the representative", "--rep-email or --rep-address"
    if given("applicant_email", "applicant_address"):
        return None
    return "the applicant", "--email or --address"
