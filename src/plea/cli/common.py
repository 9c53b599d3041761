"""What every command shares: global options, opening the database, printing.

Only light imports at module level: `plea --help` must not load SQLAlchemy, Jinja,
python-docx or Babel (tests/test_startup.py checks it).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from plea.i18n import N_, _, state_name, translate, translate_lines

if TYPE_CHECKING:
    from rich.console import Console

    from plea.db.engine import Database


@dataclass
class Options:
    db: str | None = None
    debug: bool = False
    actor: str | None = None


OPTIONS = Options()

# -- arguments and options several commands declare alike (one text, one translation) ------------------

RefArg = Annotated[
    str, typer.Argument(help="Case reference, e.g. PLEA-2026-0001 (or its number).", metavar="CASE")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LetterOpt = Annotated[str, typer.Option("--letter", help="Letter template, e.g. humanitarian-visa.")]
ToOpt = Annotated[str, typer.Option(
    "--to", help="all, states (FR,DE,Italy), groups (@eu, @un, @cis), exclusions (all,-FR,-@cis). "
                 "all and groups never include the case's threat states or cautioned states.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Write every letter in this language.")]
FormatsOpt = Annotated[str, typer.Option("--format", help="docx, pdf, md, txt (comma-separated).")]
LetterheadOpt = Annotated[
    Path | None, typer.Option("--letterhead", help="A DOCX whose styles, header and footer to use.")]
PaperOpt = Annotated[
    str | None, typer.Option("--paper", help="a4 or letter (default: from the mission's host state).")]
ForceOutOpt = Annotated[bool, typer.Option("--force", help="Replace files in --out that plea did not write.")]
DueOpt = Annotated[
    bool, typer.Option("--due", help="With --letter follow-up: only letters due for a follow-up.")]
UnsafeOpt = Annotated[bool, typer.Option(
    "--unsafe-write-to-threat-state",
    help="DANGER: allow writing to a state named in --to that persecutes the person "
         "(a threat state of the case).")]
WithoutConsentOpt = Annotated[bool, typer.Option(
    "--without-consent", help="Write outside the applicant's recorded consent (recorded in the history).")]
RequireStoryOpt = Annotated[bool, typer.Option(
    "--require-translated-story",
    help="Refuse (exit 3) when a letter would carry the original story for want of a version "
         "in its language.")]


def letter_files(
    out_dir: Path, what: str, default: str, *, paper: str | None, letterhead: Path | None
) -> None:
    """The checks `letters render`, `batch` and `post` make of their output options before any
    work: --paper, the --out folder (plea.fileio.out_folder) and the --letterhead file."""
    from plea.errors import InvalidInput
    from plea.fileio import input_file, out_folder

    if paper is not None and paper not in ("a4", "letter"):
        raise InvalidInput(f"--paper: {paper!r} is not a4 or letter")
    out_folder(out_dir, what, default)
    if letterhead is not None:
        input_file(letterhead, "--letterhead")
_OPENED: list[Database] = []


def open_db(*, create: bool = False, encrypt: bool = False) -> Database:
    from plea.db.location import database_url, is_encrypted_file, sqlite_path

    url = database_url(OPTIONS.db)
    path = sqlite_path(url)
    passphrase = None
    if path is not None and path.exists() and is_encrypted_file(path):
        from plea.secrets import get_passphrase

        passphrase = get_passphrase(str(path))
    elif encrypt:
        from plea.errors import Conflict, InvalidInput
        from plea.secrets import check_new, get_passphrase

        if path is None:
            raise InvalidInput("--encrypt works on SQLite databases (PostgreSQL encrypts at its own level)")
        if path.exists() and path.stat().st_size > 0:
            raise Conflict(f"{path} exists and is not encrypted",
                           hint="back it up (`plea db backup`), then create an encrypted one elsewhere with --db")
        passphrase = get_passphrase(str(path), new=True, prompt="New passphrase")
        if passphrase is None:
            raise InvalidInput("--encrypt needs a passphrase: set PLEA_PASSPHRASE or run in a terminal")
        check_new(passphrase)
    from plea.db.engine import open_database

    db = open_database(url, create=create, passphrase=passphrase)
    _OPENED.append(db)
    return db


def opened() -> bool:
    """Whether this command has a database open."""
    return bool(_OPENED)


def close_all() -> None:
    """Close what this command opened (SQLite checkpoints its WAL on the last close)."""
    while _OPENED:
        _OPENED.pop().close()


def actor() -> str:
    from plea.history import current_actor

    return current_actor(OPTIONS.actor)


def out() -> Output:
    """Where results are printed (stdout)."""
    return Output()


def err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def note(message: str) -> None:
    """A notice for people, in their language: stderr, so stdout stays the result."""
    typer.echo(translate_lines(message), err=True)


def note_parts(*parts: str | None, sep: str = "; ") -> None:
    """One notice made of parts joined by sep, each translated on its own (the extractor takes every
    part into the catalog): a message built with + matches no template, and would stay English, or
    worse, match a shorter one. An empty part (None, "") is left out."""
    typer.echo(sep.join(translate(p) for p in parts if p), err=True)


def print_json(data: Any) -> None:
    write_out(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def write_out(text: str, chunk: int = 1 << 16) -> None:
    """Print a result to stdout in pieces. One large write to a pipe whose reader has gone
    (`| head -1`) can be cut short without an error; the next piece then raises BrokenPipeError,
    which the root command turns into a quiet exit 0 (plea.cli.PleaGroup)."""
    for start in range(0, len(text), chunk):
        sys.stdout.write(text[start:start + chunk])
    sys.stdout.flush()


def save_output(file: Any, data: bytes, *, force: bool) -> None:
    """Write a command's result to FILE atomically; a file already there is replaced only with --force."""
    from plea.errors import Conflict
    from plea.fileio import atomic_write_bytes

    if file.exists() and not force:
        raise Conflict(f"{file} exists", hint="pass --force to replace it, or choose another name")
    atomic_write_bytes(file, data)


def with_options(options: dict[str, Any]) -> Any:
    """A decorator giving several commands the same options, declared once: `options` maps each
    parameter's name to its Annotated type (default None), and the command takes them as
    **kwargs. Typer reads a command's options from its signature, so the signature gains them."""
    import inspect

    def add(command: Any) -> Any:
        signature = inspect.signature(command, eval_str=True)  # Annotated objects, as Typer reads them
        own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        keyword = inspect.Parameter.KEYWORD_ONLY
        shared = [inspect.Parameter(name, keyword, default=None, annotation=annotation)
                  for name, annotation in options.items()]
        command.__signature__ = signature.replace(parameters=[*own, *shared])
        return command

    return add


def table(*columns: str, title: str | None = None) -> Table:
    return Table(list(columns), title)


class Table:
    """A result table: drawn with Rich on a terminal; as plain aligned columns, one row a line,
    when stdout is a file or a pipe (greppable, and no Rich to load). Cells are plain text,
    never markup: a name like "Olga [bold]" or "[/]" prints as it is."""

    def __init__(self, columns: list[str], title: str | None = None) -> None:
        self.columns = [_(c) for c in columns]  # headings in the user's language (plea.i18n)
        self.title = translate(title) if title else title
        self.rows: list[list[str]] = []
        self.show_edge = True  # Rich's outer border

    def add_row(self, *cells: Any) -> None:
        from plea.text import no_bidi

        self.rows.append(["" if c is None else no_bidi(str(c)) for c in cells])

    def plain(self) -> str:
        rows = [self.columns, *([" ".join(c.split()) if c else "" for c in r] for r in self.rows)]
        widths = [max(_width(r[i]) for r in rows if i < len(r)) for i in range(len(self.columns))]
        lines = [self.title] if self.title else []
        for r in rows:
            cells = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def rich(self) -> Any:
        from rich.table import Table as RichTable
        from rich.text import Text

        t = RichTable(title=self.title, show_lines=False, header_style="bold", show_edge=self.show_edge)
        for i, c in enumerate(self.columns):
            # the first column names the row (an id, a reference, a letter): never cut short
            first = max((len(r[0]) for r in self.rows if r), default=0) if i == 0 else None
            t.add_column(c, min_width=first)
        for r in self.rows:
            t.add_row(*(Text(c) for c in r))
        return t


def _width(text: str) -> int:
    """Columns a text takes in a terminal (East Asian wide characters take two)."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text
    )


class Output:
    def print(self, table: Table) -> None:
        if sys.stdout.isatty():
            from rich.console import Console

            Console(soft_wrap=False).print(table.rich())
        else:
            write_out(table.plain() + "\n")


class Bar:
    """The progress bar of `letters render` and `batch` (plea.letters.run.Progress): Rich, on stderr
    (count, rate, time left), when stderr is a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    def start(self, total: int, done: int) -> None:
        if not sys.stderr.isatty() or total == done:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(
                    f"{speed:,.0f} letters/s" if speed else "… letters/s", style="progress.data.speed"
                )

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("letters", total=total, completed=done)

    def advance(self, letters: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, letters)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def flag(code: str) -> str:
    """The flag emoji: two regional indicator letters."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper()) if len(code) == 2 else ""


def print_case_status(ref: str, *, json_: bool) -> None:
    """`plea status CASE` (and the end of `plea demo`): who was written to, who answered, who is overdue."""
    from datetime import date

    from plea import states
    from plea.status import (
        case_responses,
        find_case,
        headline,
        headline_text,
        held_back,
        letters_to_threats,
        status_dict,
        statuses,
        tracking_numbers,
    )

    today = date.today()
    db = open_db()
    with db.read_rows() as conn:  # plain rows, no ORM (start-up speed)
        case = find_case(conn, ref)
        rows = statuses(conn, [case], today)[case.id]
        written = {r.state for r in rows}
        unsolicited = [r for r in case_responses(conn, case.id) if r.state not in written]
        held = held_back(conn, case, written)
        h = {**headline(rows, today, unsolicited=len(unsolicited)), "held_back": len(held)}
        tracked = tracking_numbers(conn, case.id)
        data = [{**status_dict(r, today), "tracking": tracked.get(r.state)} for r in rows]
        dangerous = letters_to_threats(conn, [case.id])
    for _ref, state, st, on in dangerous:
        note(f"WARNING: a letter to {states.name(state)} ({state}), a threat state of {case.ref}, is on record "
             f"({st}, {on.isoformat()}): it may have told the persecutor where the person is")
    if json_:
        print_json({"case": case.ref, "today": today.isoformat(), "headline": h, "states": data,
                    "unsolicited": [{"state": r.state, "on": r.on.isoformat(), "outcome": r.outcome} for r in unsolicited],
                    "held_back": [x.as_dict() for x in held],
                    "letters_to_threat_states": [{"state": s_, "status": st, "on": on.isoformat()}
                                                 for _r, s_, st, on in dangerous]})
        return
    t = table("", "state", "mission", "sent", "waiting", "outcome", "tracking", title=f"{case.ref} · {case.name_latin}")
    # plea.status's order (answered, overdue, then by name), by the names as shown: Russian ones in Russian
    data.sort(key=lambda d: (not d["answered"], not d["overdue"], state_name(d["state"])))
    for d in data:
        waiting = "" if d["days_waiting"] is None else _("{n} d").format(n=d["days_waiting"])
        outcome = _(d["outcome"] or ("overdue" if d["overdue"] else ""))
        if d["answered"]:
            outcome = f"{_(d['outcome'])} ({d['answered_on']})"
        t.add_row(flag(d["state"]), f"{state_name(d['state'])} ({d['state']})", d["city"], d["last_sent"], waiting,
                  outcome, d["tracking"] or "")
    for r in unsolicited:
        t.add_row(flag(r.state), f"{state_name(r.state)} ({r.state})", "", "", "",
                  f"{_(r.outcome)} ({r.on}) {_('unsolicited')}", "")
    out().print(t)
    typer.echo(headline_text(h))


#: the words `plea status` shows for a letter's outcome (plea.db.models.OUTCOMES, and overdue), marked
#: for the catalogs
OUTCOME_WORDS = (N_("positive"), N_("negative"), N_("acknowledged"), N_("info-requested"), N_("referred"),
                 N_("other"), N_("unclassified"), N_("overdue"))
#: the statuses `letters bounced` and `letters closed` mark, as their message names them
STATUS_WORDS = (N_("bounced"), N_("closed"))


def ask_password(srv: Any) -> str | None:
    """From PLEA_<KIND>_PASSWORD, the keyring, or a prompt in a terminal; never printed."""
    import sys

    from plea.config import env_name, password
    from plea.errors import InvalidInput

    found = password(srv)
    if found or not srv.user:
        return found
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"{srv.label}: no password for {srv.user}",
            hint=f"set {env_name(srv.kind + '.password')}, store it with "
            f"`plea config password {srv.kind}`, or run plea in a terminal to be asked",
        )
    return str(typer.prompt(translate(f"{srv.kind.upper()} password for {srv.user}@{srv.host}"), hide_input=True))
