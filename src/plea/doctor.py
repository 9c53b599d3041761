"""`plea doctor`: check the installation, the database, file permissions, encryption and
templates, and say what to fix."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from plea.errors import PleaError


@dataclass
class Check:
    level: str  # ok | warn | fail
    what: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "what": self.what, "fix": self.fix}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_installation() -> list[Check]:
    out = []
    from plea import __version__
    from plea.resources import data_dir, templates_dir

    out.append(Check("ok", f"plea {__version__}"))
    for name, finder in (("templates", templates_dir), ("data", data_dir)):
        try:
            out.append(Check("ok", f"{name} folder: {finder()}"))
        except PleaError as exc:
            out.append(Check("fail", f"{name} folder: {exc}", "reinstall plea"))
    for module, purpose in (("sqlcipher3", "encrypted databases"), ("cryptography", "encrypted stored files"),
                            ("keyring", "passphrases in the system keyring")):
        try:
            __import__(module)
            out.append(Check("ok", f"{module} installed ({purpose})"))
        except ImportError:
            out.append(Check("warn", f"{module} is not installed: no {purpose}", "pip install 'plea[encryption]'"))
    return out


def check_files(home: Path, db_path: Path | None) -> list[Check]:
    out = []
    if home.exists():
        mode = _mode(home)
        out.append(Check("ok", f"data folder {home} is private (0700)") if mode & 0o077 == 0 else
                   Check("fail", f"data folder {home} is readable by others ({mode:04o})", f"chmod 700 '{home}'"))
    if db_path is not None:
        for p in [db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")]:
            if p.exists() and _mode(p) & 0o077:
                out.append(Check("fail", f"{p} is readable by others ({_mode(p):04o})", f"chmod 600 '{p}'"))
    files = home / "files"
    loose = [p for p in files.rglob("*") if p.is_file() and _mode(p) & 0o077] if files.exists() else []
    if loose:
        out.append(Check("fail", f"{len(loose)} stored file(s) readable by others, e.g. {loose[0]}",
                         f"chmod -R go-rwx '{files}'"))
    elif files.exists():
        out.append(Check("ok", "stored files are private (0600)"))
    return out


def check_database(db: object) -> list[Check]:
    from plea.db.maintenance import check
    from plea.history import verify

    out = []
    out.append(Check("ok", f"database {db.display} opens, schema {db.schema_version()}"))  # type: ignore[attr-defined]
    if db.path is not None:  # type: ignore[attr-defined]
        out.append(Check("ok", "database is encrypted (SQLCipher)") if db.encrypted else  # type: ignore[attr-defined]
                   Check("warn", "database is not encrypted: a lost or seized laptop exposes every case",
                         "create an encrypted one with `plea --db NEW init --encrypt` and move your cases to it"))
    problems, checked = check(db)  # type: ignore[arg-type]
    out += [Check("fail", p, "restore a backup") for p in problems] or [Check("ok", "; ".join(checked))]
    with db.read() as s:  # type: ignore[attr-defined]
        n, problem = verify(s)
    out.append(Check("fail", f"history: {problem}", "the history was changed outside plea: investigate, "
                     "compare with a backup") if problem else Check("ok", f"history chain intact ({n} events)"))
    out += check_threat_letters(db)
    return out


def check_threat_letters(db: object) -> list[Check]:
    """Letters on record to a case's own threat state (written before plea held them back, or knowingly)."""
    from plea import states
    from plea.status import letters_to_threats

    with db.read_rows() as conn:  # type: ignore[attr-defined]
        found = letters_to_threats(conn)
    if not found:
        return [Check("ok", "no letter on record to a case's threat state")]
    return [Check("warn", f"{ref}: a letter to {states.name(state)} ({state}), a threat state of the case, is on "
                          f"record ({status}, {on.isoformat()})",
                  "it may have told the persecutor where the person is: tell the person and their lawyer; "
                  "plea will not write to that state again unless it is named with --unsafe-write-to-threat-state")
            for ref, state, status, on in found]


def check_templates_all() -> list[Check]:
    from plea.render.check import check_templates_confined

    try:
        findings = check_templates_confined()
    except PleaError as exc:  # templates from elsewhere that the confined child had to stop
        return [Check("fail", f"templates: {exc.message}", "fix the template, or do not use it")]
    if not findings:
        return [Check("ok", "every letter template renders in every language")]
    return [Check("fail", str(f), "fix the template") for f in findings]
