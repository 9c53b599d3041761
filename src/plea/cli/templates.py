"""`plea templates …`: the letter templates shipped with plea."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import note, out, print_json, table

app = typer.Typer(help="Letter templates: list, check, preview.", no_args_is_help=True)


@app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Letters × languages."""
    from plea.render.catalog import load_catalog

    catalog = load_catalog()
    if json_:
        print_json([{"letter": s.name, "title": s.title, "languages": list(s.langs), "requires": list(s.requires)}
                    for s in catalog.values()])
        return
    langs = sorted({lang for s in catalog.values() for lang in s.langs})
    t = table("letter", *langs)
    t.show_edge = False  # 3 letters × 12 languages fit 80 columns on a terminal
    for spec in catalog.values():
        t.add_row(spec.name, *["✓" if lang in spec.langs else "·" for lang in langs])
    out().print(t)


@app.command("check")
def check() -> None:
    """Lint every template in every language (syntax, fields, languages, quotes, sample render)."""
    from plea.errors import TemplateProblem
    from plea.render.check import check_templates_confined

    findings = check_templates_confined()
    if findings:
        raise TemplateProblem(f"{len(findings)} problem(s) in the templates:\n" + "\n".join(map(str, findings)))
    note("all templates are fine")
    typer.echo("ok")


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
