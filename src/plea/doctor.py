"""`plea doctor`: check the installation, the database, file permissions, encryption and
templates, and say what to fix."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from plea.errors import PleaError
from plea.i18n import N_


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
    for module, purpose in (("sqlcipher3", N_("encrypted databases")),
                            ("cryptography", N_("encrypted stored files")),
                            ("keyring", N_("passphrases in the system keyring"))):
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
                         "keep plea's folder on an encrypted disk (FileVault, BitLocker, LUKS); a new database "
                         "can be encrypted from the start with `plea --db NEW init --encrypt`"))
    problems, checked = check(db)  # type: ignore[arg-type]
    out += [Check("fail", p, "restore a backup") for p in problems] or [Check("ok", "; ".join(checked))]
    with db.read() as s:  # type: ignore[attr-defined]
        n, problem = verify(s)
    out.append(Check("fail", f"history: {problem}", "the history was changed outside plea: investigate, "
                     "compare with a backup") if problem else Check("ok", f"history chain intact ({n} events)"))
    out += check_threat_letters(db)
    out += check_authority_names(db)
    return out


def check_authority_names(db: object) -> list[Check]:
    """Authorities in the directory (ministries, migration offices) without a name of their own: a letter
    routed to one would name it after its kind and state. Nothing is said when the directory has none."""
    from plea.directory.queries import authorities, unnamed_authority

    with db.read_rows() as conn:  # type: ignore[attr-defined]
        found = authorities(conn)
    total, unnamed = len(found), [a.id for a in found if unnamed_authority(a)]
    if not total:
        return []
    if not unnamed:
        return [Check("ok", f"every authority in the directory has its own name ({total})")]
    shown = ", ".join(unnamed[:10]) + (" …" if len(unnamed) > 10 else "")
    return [Check("warn", f"{len(unnamed)} authority(ies) in the directory without a name of their own: "
                          f"{shown}",
                  "a letter routed to one would name it after its kind and state: give each the name its own "
                  "site uses with `plea embassies edit ID --name …`")]


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
    if not [f for f in findings if f.blocking]:
        return [Check("ok", "every letter template renders in every language"),
                *[Check("warn", str(f), "add the template: `plea templates new`") for f in findings]]
    return [Check("fail" if f.blocking else "warn", str(f), "fix the template") for f in findings]


#: what PDF letters need, and where Debian/Ubuntu ship it: package contents as listed by
#: https://packages.debian.org/bookworm/all/fonts-noto-core/filelist (NotoSans, NotoSerif,
#: NotoNaskhArabic, NotoSansArabic) and https://packages.debian.org/bookworm/all/fonts-noto-cjk/filelist
#: (NotoSansCJK, NotoSerifCJK), checked with `dpkg -S` on Debian on 2026-12-04
PDF_PACKAGES = "libreoffice-writer fonts-noto-core fonts-noto-cjk"
#: (what for, font families (a family ending in "*" is a prefix: Noto Sans CJK JP, … SC), package)
FONTS = (
    (N_("Latin, Cyrillic and Greek letters"), ("Noto Sans", "Noto Serif"), "fonts-noto-core"),
    (N_("Chinese and Japanese letters"), ("Noto Sans CJK*", "Noto Serif CJK*"), "fonts-noto-cjk"),
    (N_("Arabic letters"), ("Noto Sans Arabic", "Noto Naskh Arabic", "Noto Kufi Arabic"), "fonts-noto-core"),
    # the fonts plea.render.docx.SCRIPT_FONTS names: Debian's fonts-noto-core holds NotoSerifHebrew,
    # NotoSerifGeorgian and NotoSerifArmenian (and the Sans ones), seen with fc-list on 2026-12-04
    (N_("Hebrew letters"), ("Noto Serif Hebrew", "Noto Sans Hebrew"), "fonts-noto-core"),
    (N_("Georgian letters"), ("Noto Serif Georgian", "Noto Sans Georgian"), "fonts-noto-core"),
    (N_("Armenian letters"), ("Noto Serif Armenian", "Noto Sans Armenian"), "fonts-noto-core"),
)


def check_pdf() -> list[Check]:
    """LibreOffice (which turns letters into PDF) and the fonts it needs for every language."""
    from plea.letters.pdf import find_soffice
    from plea.errors import ExternalProblem

    out = []
    try:
        out.append(Check("ok", f"LibreOffice for PDF letters: {find_soffice()}"))
    except ExternalProblem as exc:
        if os.environ.get("PLEA_SOFFICE"):
            out.append(Check("warn", f"{exc.message}: --format pdf will not work", exc.hint or ""))
        else:
            out.append(Check("warn", "LibreOffice (soffice) not found: --format pdf will not work",
                             f"sudo apt-get install {PDF_PACKAGES} (macOS: brew install --cask libreoffice), "
                             "or set PLEA_SOFFICE to soffice's path"))
    return out + check_fonts()


def check_fonts() -> list[Check]:
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return [Check("warn", "fonts not checked: fc-list (fontconfig) is not installed",
                      "sudo apt-get install fontconfig, then run plea doctor again")]
    try:
        listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return [Check("warn", f"fonts not checked: fc-list failed ({exc})", "")]
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    out = []
    for purpose, wanted, package in FONTS:
        found = sorted(f for f in families for w in wanted
                       if f == w or (w.endswith("*") and f.startswith(w[:-1])))
        names = ", ".join(w.rstrip("*") for w in wanted)
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        out.append(Check("ok", f"fonts for {purpose}: {shown}") if found else
                   Check("warn", f"no font for {purpose} (looked for {names}): PDF letters would show "
                         "empty boxes", f"sudo apt-get install {package}"))
    return out
