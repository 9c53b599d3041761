"""`plea templates …`: the letter templates shipped with plea."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import note, out, print_json, table
from plea.i18n import N_

app = typer.Typer(help="Letter templates: list, check, preview.", no_args_is_help=True)


@app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Letters × languages; languages no fluent reader has checked are marked "unreviewed"."""
    from plea.render.catalog import load_catalog
    from plea.render.scaffold import unreviewed

    catalog = load_catalog()
    if json_:
        print_json([{"letter": s.name, "title": s.title, "languages": list(s.langs),
                     "unreviewed": unreviewed(s.langs), "requires": list(s.requires)}
                    for s in catalog.values()])
        return
    langs = sorted({lang for s in catalog.values() for lang in s.langs})
    pending = set(unreviewed(langs))
    t = table("language", *catalog, "review")  # a row per language: any number of them fit 80 columns
    t.show_edge = False
    for lang in langs:
        t.add_row(lang, *["✓" if lang in spec.langs else "·" for spec in catalog.values()],
                  "unreviewed" if lang in pending else "reviewed")
    out().print(t)


@app.command("check")
def check() -> None:
    """Lint every template in every language (syntax, fields, languages, quotes, sample render,
    sentences still marked [TRANSLATE]); exits 7 when a letter the plan could use is not ready."""
    from plea.errors import TemplateProblem
    from plea.render.check import check_templates_confined

    findings = check_templates_confined()
    blocking = [f for f in findings if f.blocking]
    for f in findings:
        if not f.blocking:
            note(f"note: {f}")
    if blocking:
        # the first line is the catalog's message (errors are translated line by line)
        raise TemplateProblem(N_(f"{len(blocking)} problem(s) in the templates:") + "\n"
                              + "\n".join(map(str, blocking)))
    note("all templates are fine")
    typer.echo("ok")


@app.command("new")
def new(
    letter: Annotated[str, typer.Argument(help="Letter, e.g. humanitarian-visa.")],
    lang: Annotated[str, typer.Option("--lang", help="The new language's code, e.g. uk.")],
    out_dir: Annotated[str | None, typer.Option("--out", help="Templates folder to write into "
                                                "(default: PLEA_TEMPLATES).")] = None,
) -> None:
    """Start a letter in a new language from English, every sentence marked [TRANSLATE]."""
    import os
    from pathlib import Path

    from plea.errors import InvalidInput
    from plea.render.scaffold import MARK, scaffold

    target = out_dir or os.environ.get("PLEA_TEMPLATES")
    if not target:
        raise InvalidInput("no templates folder to write into",
                           hint="give --out DIR, or set PLEA_TEMPLATES to your templates folder (it overlays plea's)")
    done = scaffold(letter, lang, Path(target).expanduser().resolve())
    for path in done.kept:
        note(f"kept {path} (already there)")
    note(f"translate every line marked {MARK}, then run `plea templates check`")
    for path in done.written:
        typer.echo(str(path))


@app.command("preview")
def preview(
    letter: Annotated[str, typer.Argument(help="Letter, e.g. humanitarian-visa.")],
    lang: Annotated[str, typer.Argument(help="Language, e.g. fr.")],
    sending: Annotated[str, typer.Option("--sending", help="The embassy's state.")] = "FR",
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the Markdown, not plain text.")] = False,
    format_: Annotated[str, typer.Option("--format", help="text, markdown, or png: the pages as images "
                                         "(needs LibreOffice and pdftoppm).")] = "text",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG pages.")] = Path("preview"),
    paper: Annotated[str, typer.Option("--paper", help="a4 or letter (PNG).")] = "a4",
    dpi: Annotated[int, typer.Option("--dpi", min=30, max=300, help="Resolution of the PNG pages.")] = 100,
) -> None:
    """Print a letter for the fictional sample case, or draw its pages (--format png)."""
    from plea.errors import InvalidInput
    from plea.render.letter import preview_confined

    if format_ not in ("text", "markdown", "png"):
        raise InvalidInput(f"--format: {format_!r} is not one of text, markdown, png")
    if paper not in ("a4", "letter"):
        raise InvalidInput(f"--paper: {paper!r} is not a4 or letter")
    r = preview_confined(letter, lang, sending.upper())
    if format_ != "png":
        typer.echo(r.markdown if markdown or format_ == "markdown" else r.text, nl=False)
        return
    from plea.fileio import output_folder
    from plea.render.docx import build_docx
    from plea.render.pages import docx_pages

    folder = output_folder(out_dir)
    pages = docx_pages(build_docx(r, paper=paper, reference="PLEA-2026-0001"), folder,
                       f"{r.letter}-{r.lang}-{paper}", dpi=dpi)
    for page in pages:
        typer.echo(str(page))
