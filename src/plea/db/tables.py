"""Some of plea's tables as SQLAlchemy Core tables, for commands that only read.

Defining the SQLModel classes (plea.db.models) builds a Pydantic model per table and imports the
ORM: about a third of a second before the first query. `plea status` and `plea embassies list`
read plain rows through these tables instead (start-up speed). They mirror the models column for
column, with the same result types (tests/test_startup.py compares them with the models and reads
the same rows both ways); writes, the schema and the migrations stay with the models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Reads a datetime as the models do: aware, in UTC (SQLite stores UTC without an offset)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        raise TypeError("plea.db.tables is for reading: write through plea.db.models")

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


metadata = MetaData()


def _s(name: str, length: int | None = None, **kw: Any) -> Column[Any]:
    return Column(name, String(length), nullable=False, **kw)


mission = Table(
    "mission", metadata,
    _s("id", 64, primary_key=True), _s("sending", 2), _s("host", 2), _s("city"), _s("kind", 32), _s("name"),
    _s("street_address"), _s("postcode"), _s("area"), _s("email"), _s("phone"), _s("website"),
    _s("web_form"), Column("latitude", Float), Column("longitude", Float), _s("accredited_to"), _s("languages"),
    _s("source"), _s("source_ref"), _s("licence"), _s("retrieved"), Column("verified_on", Date),
    _s("verified_by"), _s("notes"), _s("user_fields"),
)

caution = Table(
    "caution", metadata,
    Column("id", Integer, primary_key=True), _s("threat_state", 2), _s("state", 2), _s("action", 8), _s("reason"),
    _s("kind", 32), _s("source_url"), _s("source_title"), _s("retrieved", 10), _s("added_by"),
    Column("added_at", UTCDateTime(), nullable=False),
)

setting = Table("setting", metadata, _s("key", 64, primary_key=True), _s("value"))

case = Table(
    "case", metadata,
    Column("id", Integer, primary_key=True), _s("ref", 32), _s("status", 16), _s("name_latin"),
    _s("name_native"), _s("nationality", 2), Column("birth_date", Date), _s("title"), _s("gender"),
    _s("current_country", 2), _s("situation"), _s("facility"), Column("authority_ids", JSON, nullable=False),
    _s("protection"), _s("persecution"), _s("persecution_lang", 16), Column("stories", JSON, nullable=False),
    Column("family", JSON, nullable=False), _s("rep_name"),
    _s("rep_organisation"), _s("rep_address"), _s("rep_email"), _s("rep_phone"), _s("reply_to"),
    Column("followup_days", Integer), _s("threat_states"), _s("acting", 16), _s("acting_relation"),
    _s("applicant_address"), _s("applicant_email"), _s("applicant_phone"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

letter = Table(
    "letter", metadata,
    Column("id", Integer, primary_key=True), Column("case_id", Integer, nullable=False), _s("mission_id"),
    _s("letter", 64), _s("lang", 16), _s("status", 16), Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

letter_event = Table(
    "letter_event", metadata,
    Column("id", Integer, primary_key=True), Column("letter_id", Integer, nullable=False), _s("status", 16),
    Column("on", Date, nullable=False), _s("via", 16), _s("proof_path"), _s("proof_sha256", 64),
    _s("tracking", 64), Column("recorded_at", UTCDateTime(), nullable=False), _s("actor"),
)

response = Table(
    "response", metadata,
    Column("id", Integer, primary_key=True), Column("case_id", Integer, nullable=False), _s("state", 2),
    Column("on", Date, nullable=False), _s("outcome", 32), _s("summary"), _s("channel", 16),
    Column("attachments", JSON, nullable=False), Column("unsolicited", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False), _s("actor"), Column("referred_to", String(64)),
)

route = Table(
    "route", metadata,
    Column("id", Integer, primary_key=True), _s("state", 2), _s("protection", 32), _s("authority", 64),
    _s("channel", 16), _s("url"), _s("documents"), _s("deadline"), _s("notes"), _s("source_url"),
    Column("checked_on", Date, nullable=False),
)


# the report figures kept up to date (plea.report.summary), for `plea status` over every open case
report_dirty = Table(
    "report_dirty", metadata, Column("case_id", Integer, primary_key=True, autoincrement=False)
)

report_appeal = Table(
    "report_appeal", metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False), _s("state", 2, primary_key=True),
    Column("first_sent", Date, nullable=False), Column("letters", Integer, nullable=False),
    Column("bounced", Boolean, nullable=False), Column("answered_on", Date), Column("days", Integer),
    Column("outcome", String(32)), Column("last_sent", Date), Column("replied", Boolean),
    Column("replied_positive", Boolean), Column("closed", Boolean), Column("returned", Boolean),
)

report_case = Table(
    "report_case", metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False), _s("status", 16),
    Column("appeals", Integer, nullable=False), Column("letters", Integer, nullable=False),
    Column("answered", Integer, nullable=False), Column("positive", Integer, nullable=False),
    Column("median_days", Float), Column("replied", Integer), Column("replied_positive", Integer),
    Column("silent", Integer), Column("returned", Integer), Column("waiting", Integer),
    Column("waiting_first", Date), Column("waiting_last", Date), Column("un_members", Integer),
)

report_total = Table(
    "report_total", metadata,
    _s("scope", 16, primary_key=True), _s("dim", 16, primary_key=True), _s("key", 32, primary_key=True),
    _s("sub", 32, primary_key=True), Column("n", Integer, nullable=False),
)
