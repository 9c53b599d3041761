"""`plea export`: every table to CSV or JSON files, optionally redacted for people outside the
casework (a funder, a partner): personal data replaced with stable pseudonyms.

A pseudonym is an HMAC-SHA256 of the value under a secret kept in this database (setting
`export_pseudonym_key`), so the same person gets the same pseudonym in every redacted export
of this database, and nobody without the database can reverse or test a guess against it.

Every column of every table is classified here: SAFE columns are copied, PERSONAL ones replaced;
a column this module does not know (a table added later) is replaced too, never copied.
Secrets (the stored files' key, the pseudonym key, passwords) are never exported.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from plea.csvio import SafeWriter
from plea.errors import Conflict, InvalidInput

FORMATS = ("csv", "json")
PSEUDONYM_KEY = "export_pseudonym_key"
SECRET_SETTINGS = {"files_key", PSEUDONYM_KEY}
_SECRET_WORDS = re.compile(r"password|secret|token|(^|[._])key$", re.I)
#: settings whose values are plain configuration, kept in a redacted export
SAFE_SETTINGS = {"followup_days", "smtp.port", "smtp.security", "imap.port", "imap.security", "imap.folder"}

# kind of pseudonym per personal column (the kind is part of the HMAC input and of the pseudonym)
PERSONAL: dict[str, dict[str, str]] = {
    "case": {
        "name_latin": "name",
        "name_native": "name",
        "birth_date": "date",
        "facility": "place",
        "authority_ids": "json",
        "persecution": "text",
        "stories": "json",
        "family": "json",
        "rep_name": "name",
        "rep_address": "address",
        "rep_email": "email",
        "rep_phone": "phone",
        "reply_to": "email",
        "applicant_address": "address",
        "applicant_email": "email",
        "applicant_phone": "phone",
    },
    "response": {"summary": "text", "attachments": "json", "actor": "person"},
    "letter_event": {"proof_path": "path", "actor": "person"},
    "rendition": {"path": "path"},
    "event": {"actor": "person", "subject": "subject", "data": "json"},
    "mission": {"verified_by": "person", "notes": "text"},
    "caution": {"added_by": "person"},
    "document": {"title": "text", "filename": "path", "path": "path", "added_by": "person"},
    "consent": {"recorded_by": "person"},
    "setting": {"value": "setting"},
    "outbox": {"sender": "email", "eml_path": "path", "server_reply": "text", "error": "text"},
    "inbound_message": {
        "sender": "email",
        "subject": "text",
        "path": "path",
        "attachments": "json",
        "message_id": "message",
    },
}
# columns that hold no personal data: ids, codes, dates of letters and answers, counts, hashes,
# the public embassy directory
SAFE: dict[str, set[str]] = {
    "case": {
        "id",
        "ref",
        "status",
        "nationality",
        "title",
        "gender",
        "current_country",
        "situation",
        "protection",
        "persecution_lang",
        "rep_organisation",
        "followup_days",
        "threat_states",
        "acting",
        "acting_relation",
        "created_at",
        "updated_at",
    },
    "letter": {"id", "case_id", "mission_id", "letter", "lang", "status", "created_at", "updated_at"},
    "letter_event": {"id", "letter_id", "status", "on", "via", "proof_sha256", "tracking", "recorded_at"},
    "rendition": {"id", "letter_id", "format", "lang", "sha256", "inputs_hash", "rendered_at"},
    "response": {"id", "case_id", "state", "on", "outcome", "channel", "unsolicited", "recorded_at", "referred_to"},
    # routes: public facts about states' authorities, each with its source
    "route": {"id", "state", "protection", "authority", "channel", "url", "documents", "deadline", "notes",
              "source_url", "checked_on"},
    "event": {"id", "at", "kind", "case_id", "prev_hash", "hash"},
    "setting": {"key"},
    # documents: what kind, how big, which language; never the title or the file
    "document": {"id", "case_id", "lang", "media_type", "sha256", "size", "translation_of", "certified", "added_at"},
    # consent scope is kept (which states, channels, dates)
    "consent": {"id", "case_id", "given_on", "expires_on", "states", "channels", "share_story", "document_id",
                "recorded_at"},
    # the user's cautions: states and public sources, no person
    "caution": {"id", "threat_state", "state", "action", "reason", "kind", "source_url", "source_title", "retrieved",
                "added_at"},
    "mission": {
        "id",
        "sending",
        "host",
        "city",
        "kind",
        "name",
        "street_address",
        "postcode",
        "area",
        "email",
        "phone",
        "website",
        "web_form",
        "latitude",
        "longitude",
        "accredited_to",
        "languages",
        "source",
        "source_ref",
        "licence",
        "retrieved",
        "verified_on",
        "user_fields",
    },
    "outbox": {
        "id",
        "letter_id",
        "case_id",
        "status",
        "recipient",
        "message_id",
        "eml_sha256",
        "attempts",
        "created_at",
        "updated_at",
        "sent_at",
    },
    "inbound_message": {
        "id",
        "key",
        "sha256",
        "source",
        "sent_at",
        "received_at",
        "status",
        "matched_by",
        "case_id",
        "state",
        "letter_id",
        "response_id",
    },
    # report figures kept up to date (plea.report.summary): counts, dates, codes and outcomes
    "report_dirty": {"case_id"},
    "report_appeal": {"case_id", "state", "first_sent", "letters", "bounced", "answered_on", "days",
                      "outcome", "last_sent", "replied", "replied_positive", "closed", "returned"},
    "report_case": {"case_id", "status", "appeals", "letters", "answered", "positive", "median_days",
                    "replied", "replied_positive", "silent", "returned", "waiting", "waiting_first",
                    "waiting_last", "un_members"},
    "report_total": {"scope", "dim", "key", "sub", "n"},
}
# keys of history event data that hold ids, codes, dates and hashes (any other string is replaced)
SAFE_EVENT_KEYS = {
    "letter",
    "mission",
    "state",
    "outcome",
    "from",
    "on",
    "via",
    "response",
    "attempt",
    "fields",
    "lang",
    "format",
    "sha256",
    "proof_sha256",
    "attachments",
    "unsolicited",
    "source",
    "host",
    "added",
    "updated",
    "unchanged",
    "closed",
    "reopened",
    "cases",
    "letters",
    "inputs_hash",
    "files",
    "new",
    "count",
    "kind",
    "table",
    "rows",
    "tables",
    "redacted",
    "head",
    "manifest_sha256",
    "referred_to",
    "protection",
    "authority",
    "annexes",  # letter.rendered: the documents a letter carries, [{document: id, sha256}], never titles
}
# keys inside JSON columns that are not personal
SAFE_JSON_KEYS = {"label", "relation", "sha256"}


def is_secret_setting(key: str) -> bool:
    return key in SECRET_SETTINGS or bool(_SECRET_WORDS.search(key))


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def __call__(self, kind: str, value: Any) -> Any:
        if value is None or value == "" or value == [] or value == {}:
            return value
        text = value.isoformat() if isinstance(value, date) else str(value)
        norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
        digest = hmac.new(self.key, f"{kind}\x00{norm}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:12]}"

    def json_value(self, table: str, column: str, value: Any) -> Any:
        """Inside JSON columns: keep structural keys, replace every other string."""
        if table == "event" and column == "data":
            return self._event_data(value)

        def walk(v: Any, key: str = "") -> Any:
            if isinstance(v, dict):
                return {k: walk(x, k) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x, key) for x in v]
            if isinstance(v, str) and key not in SAFE_JSON_KEYS:
                kind = {"name": "name", "birth_date": "date", "number": "document", "path": "path"}.get(
                    key, "text"
                )
                if table in ("response", "inbound_message") and key == "name":
                    kind = "file"
                return self(kind, v)
            return v

        return walk(value)

    def _event_data(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return self("text", json.dumps(data, sort_keys=True))
        out = {}
        for k, v in data.items():
            if k in SAFE_EVENT_KEYS and not (isinstance(v, str) and ("@" in v or "/" in v or "\\" in v)):
                out[k] = v
            elif isinstance(v, (int, float, bool)) or v is None:
                out[k] = v
            else:
                out[k] = self("text", json.dumps(v, sort_keys=True, ensure_ascii=False))
        return out


@dataclass
class TableResult:
    name: str
    file: str
    rows: int
    sha256: str


@dataclass
class ExportResult:
    folder: Path
    format: str
    redacted: bool
    head: str
    events: int
    schema_version: str | None
    tables: list[TableResult] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    exported_at: str = ""

    def manifest(self) -> dict[str, Any]:
        from plea import __version__

        return {
            "plea_version": __version__,
            "schema_version": self.schema_version,
            "exported_at": self.exported_at,
            "format": self.format,
            "redacted": self.redacted,
            "history_head": self.head,
            "history_events": self.events,
            "tables": {t.name: {"file": t.file, "rows": t.rows, "sha256": t.sha256} for t in self.tables},
            "left_out": self.left_out,
            **(
                {
                    "pseudonyms": "personal values replaced by KIND-HMAC (HMAC-SHA256 under a key kept in "
                    "the database): the same value has the same pseudonym in every redacted export of "
                    "this database"
                }
                if self.redacted
                else {}
            ),
        }


def ensure_key(db: Any, *, actor: str) -> bytes:
    """The database's pseudonym key, created (and its creation recorded) on first use."""
    from plea.db.models import Setting
    from plea.history import record

    with db.read() as s:
        row = s.get(Setting, PSEUDONYM_KEY)
        if row is not None:
            return bytes.fromhex(row.value)
    with db.transaction() as s:
        row = s.get(Setting, PSEUDONYM_KEY)  # another command may have made it meanwhile
        if row is None:
            row = Setting(key=PSEUDONYM_KEY, value=secrets.token_hex(32))
            s.add(row)
            record(s, "export.key_created", actor=actor, subject=f"setting:{PSEUDONYM_KEY}")
        return bytes.fromhex(row.value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _rows(
    session: Any, table: Any, redact: Pseudonymizer | None, left_out: list[str]
) -> Iterator[dict[str, Any]]:
    from sqlalchemy import select

    pk = list(table.primary_key.columns) or list(table.columns)[:1]
    result = session.execute(select(table).order_by(*pk).execution_options(yield_per=5000))
    personal = PERSONAL.get(table.name, {})
    safe = SAFE.get(table.name, set())
    skipped = 0
    for row in result.mappings():
        rec = dict(row)
        if table.name == "setting" and is_secret_setting(str(rec.get("key", ""))):
            skipped += 1
            continue
        if redact is not None:
            for column in list(rec):
                if column in safe:
                    continue
                kind = personal.get(column, "text")
                if kind == "json":
                    rec[column] = redact.json_value(table.name, column, rec[column])
                elif kind == "setting":
                    if rec.get("key") not in SAFE_SETTINGS:
                        rec[column] = redact("setting", rec[column])
                elif kind == "subject":
                    value = str(rec[column] or "")
                    if value.startswith(("file:", "message:")) and not value.split(":", 1)[1].isdigit():
                        rec[column] = redact("path", value)
                else:
                    rec[column] = redact(kind, rec[column])
        yield {k: _plain(v) for k, v in rec.items()}
    result.close()
    if skipped:
        left_out.append(
            f"setting: {skipped} secret value(s) (keys for stored files and pseudonyms, passwords)"
        )


class _Hashing(io.RawIOBase):
    """Counts a sha256 over what is written to the file under it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.h = fh, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        b = bytes(data)
        self.h.update(b)
        self.fh.write(b)
        return len(b)


def _writer(
    fmt: str, columns: list[str], rows: Iterator[dict[str, Any]], counter: list[int]
) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        raw = _Hashing(fh)
        text = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", newline="")
        if fmt == "csv":
            w = SafeWriter(text)
            w.writerow(columns)
            for rec in rows:
                w.writerow([_csv_cell(rec.get(c)) for c in columns])
                counter[0] += 1
        else:
            text.write("[")
            for rec in rows:
                text.write(
                    ("," if counter[0] else "")
                    + "\n  "
                    + json.dumps(rec, ensure_ascii=False, sort_keys=False, default=str)
                )
                counter[0] += 1
            text.write("\n]\n" if counter[0] else "]\n")
        text.flush()
        counter.append(raw.h.hexdigest())  # type: ignore[arg-type]
        text.detach()

    return write


def export(db: Any, folder: Path, *, fmt: str, redact: bool, force: bool, actor: str) -> ExportResult:
    """Write every table into folder (one file each, then manifest.json), atomically per file."""
    from sqlmodel import SQLModel

    from plea.audit import current_head
    from plea.db import models  # noqa: F401  (registers the tables)
    from plea.fileio import atomic_write, atomic_write_text, inside, output_folder
    from plea.history import record

    if fmt not in FORMATS:
        raise InvalidInput(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise Conflict(f"{folder} exists and is not a folder", hint="give a folder for the export files")
    tables = [t for t in SQLModel.metadata.sorted_tables]
    names = [f"{t.name}.{fmt}" for t in tables] + ["manifest.json"]
    existing = [n for n in names if (folder / n).exists()]
    if existing and not force:
        raise Conflict(
            f"{folder} already holds {', '.join(existing[:4])}{' …' if len(existing) > 4 else ''}",
            hint="choose an empty folder, or pass --force to replace those files",
        )
    output_folder(folder, "DIR", mode=0o700)
    key = ensure_key(db, actor=actor) if redact else None
    result = ExportResult(
        folder,
        fmt,
        redact,
        "",
        0,
        db.schema_version(),
        exported_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    pseudo = Pseudonymizer(key) if key else None
    with db.read() as s:  # one snapshot for every table
        result.head, result.events = current_head(s)
        for table in tables:
            counter: list[Any] = [0]
            columns = [c.name for c in table.columns]
            target = inside(folder, f"{table.name}.{fmt}")
            atomic_write(target, _writer(fmt, columns, _rows(s, table, pseudo, result.left_out), counter))
            result.tables.append(TableResult(table.name, target.name, counter[0], counter[1]))
    manifest = json.dumps(result.manifest(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_text(inside(folder, "manifest.json"), manifest)
    with db.transaction() as s:
        record(
            s,
            "export.written",
            actor=actor,
            data={
                "format": fmt,
                "redacted": redact,
                "tables": len(result.tables),
                "rows": sum(t.rows for t in result.tables),
                "head": result.head,
                "manifest_sha256": hashlib.sha256(manifest.encode()).hexdigest(),
            },
        )
    return result
