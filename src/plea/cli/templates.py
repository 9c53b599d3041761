"""`plea templates …`: the letter templates shipped with plea."""

from __future__ import annotations

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
) -> None:
    """Print a letter for the fictional sample case."""
    from plea.render.letter import preview_confined

    r = preview_confined(letter, lang, sending.upper())
    typer.echo(r.markdown if markdown else r.text, nl=False)
