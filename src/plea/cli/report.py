"""`plea report`: outreach figures per state, per case and per month, as a table, JSON, CSV or
a self-contained HTML page with a world map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import note, note_parts, open_db, out, table
from plea.i18n import N_, translate

FORMATS = ("table", "json", "csv", "html")
SinceOpt = Annotated[
    str | None, typer.Option("--since", metavar="DATE", help="Appeals first sent on or after.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", metavar="DATE", help="Appeals first sent on or before.")
]
CaseOpt = Annotated[str | None, typer.Option("--case", metavar="REF", help="Only this case.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every case, archived ones too (default: open cases).")]
HostOpt = Annotated[
    str | None, typer.Option("--host", metavar="STATE", help="Only letters to missions in STATE.")
]
FormatOpt = Annotated[str, typer.Option("--format", help="table, json, csv or html.")]
TableOpt = Annotated[
    str, typer.Option("--table", help="For csv: states, cases, months, never_answered, unsolicited or held_back.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", metavar="FILE", help="Write to FILE (html needs it).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")]


def report(
    since: SinceOpt = None,
    until: UntilOpt = None,
    ref: CaseOpt = None,
    all_: AllOpt = False,
    host: HostOpt = None,
    fmt: FormatOpt = "table",
    which: TableOpt = "states",
    out_file: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Who was written to, who answered, how fast and how: per state, case and month."""
    from plea.errors import Conflict, InvalidInput

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    from plea.report.tables import TABLES

    if which not in TABLES:
        raise InvalidInput(f"--table: {which!r} is not one of {', '.join(TABLES)}")
    if ref and all_:
        raise InvalidInput("--case and --all exclude each other")
    if fmt == "html" and out_file is None:
        raise InvalidInput("--format html writes a file: give it with --out FILE")
    if out_file is not None and out_file.exists() and not force:
        raise Conflict(f"{out_file} exists", hint="choose another name, or pass --force to replace it")
    from plea.dates import parse_day

    since_day = parse_day(since, "--since") if since else None
    until_day = parse_day(until, "--until") if until else None
    if since_day and until_day and since_day > until_day:
        raise InvalidInput(f"--since {since_day} is after --until {until_day}")
    host_code = None
    if host:
        from plea import states

        host_code = states.resolve(host, states.user_langs(), what="host state")
    from plea.report.document import build

    db = open_db()
    if ref:
        with db.read() as s:
            from plea.cases import get_case

            data = build(s, case_id=get_case(s, ref).id, host=host_code, since=since_day, until=until_day)
    else:  # plain rows: no ORM models to load (start-up speed)
        with db.read_rows() as conn:
            data = build(conn, all_cases=all_, host=host_code, since=since_day, until=until_day)
    head = N_(f"history head: {data['history_head']} ({data['history_events']} events)")
    if fmt == "table":
        if out_file is not None:
            raise InvalidInput("--out goes with --format json, csv or html")
        _print_tables(data)
        typer.echo(head)
        return
    if fmt == "json":
        import json

        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = _csv(data, which)
    else:
        from plea.report.html import render

        text = render(data)
    if out_file is None:
        typer.echo(text, nl=False)
        if fmt == "csv":
            note(head)
        return
    from plea.fileio import atomic_write_text

    atomic_write_text(out_file, text)
    note_parts(
        f"report written: {data['totals']['states_written']} state(s), {data['totals']['cases']} case(s)",
        head,
    )
    typer.echo(str(out_file))


def _csv(data: dict, which: str) -> str:
    import io

    from plea.csvio import SafeWriter
    from plea.report.tables import table_rows

    columns, rows = table_rows(data, which)
    buf = io.StringIO()
    w = SafeWriter(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


#: the report tables' column names (plea.report.tables: the CSV's headers, which stay English), marked
#: for the catalogs: the terminal's tables show them in the interface language
HEADINGS = (N_("answers"), N_("appeals"), N_("best_outcome"), N_("bounced"), N_("cases"),
            N_("first_sent"), N_("held_back"), N_("letters"), N_("median_days"), N_("month"), N_("months"),
            N_("never_answered"), N_("outcomes"), N_("response_rate"), N_("source_url"), N_("states"))


def _print_tables(data: dict) -> None:
    from plea.report.tables import table_rows

    t = data["totals"]
    rate = "–" if t["response_rate"] is None else f"{t['response_rate'] * 100:.1f}%"
    line = translate(
        f"Wrote to {t['states_written']} state(s) for {t['cases']} case(s): {t['letters']} letter(s), "
        f"{t['answered']} of {t['appeals']} appeal(s) answered ({rate}), {t['positive']} positive, "
        f"{t['states_never_answered']} state(s) never answered")
    if t.get("states_held_back"):
        line += translate(f", {t['states_held_back']} held back (threat or cautioned states)")
    typer.echo(line)
    console = out()
    for name, title in (
        ("states", N_("By state")),
        ("never_answered", N_("Never answered")),
        ("cases", N_("By case")),
        ("months", N_("By month of the first letter")),
        ("unsolicited", N_("Unsolicited answers")),
        ("held_back", N_("Held back: threat states and states that may hand a person over")),
    ):
        columns, rows = table_rows(data, name)
        if not rows:
            continue
        tab = table(*columns, title=title)
        for row in rows:
            tab.add_row(*[str(v) for v in row])
        console.print(tab)
