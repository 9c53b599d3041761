"""`plea docs …`: evidence kept for a case (summons, court decisions, certified translations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plea.cli.common import RefArg, actor, note, open_db, out, print_json, table

app = typer.Typer(help="Case documents: evidence and its translations, kept (encrypted with an encrypted "
                       "database) beside the case.", no_args_is_help=True)

DocArg = Annotated[str, typer.Argument(help="Document number (see `plea docs list CASE`).", metavar="DOC")]


@app.command("add")
def add(
    ref: RefArg,
    file: Annotated[Path, typer.Argument(help="PDF, JPEG, PNG or DOCX.", metavar="FILE")],
    title: Annotated[str, typer.Option("--title", help="What it is, e.g. 'Court summons'.")],
    lang: Annotated[str, typer.Option("--lang", help="Its language, e.g. ru.")] = "",
    translation_of: Annotated[str | None, typer.Option(
        "--translation-of", help="The document this translates (its number).")] = None,
    certified: Annotated[bool, typer.Option("--certified", help="The translation is certified.")] = False,
) -> None:
    """Keep a document for a case; prints its number."""
    from plea.cases import get_case
    from plea.documents import add as add_doc

    db = open_db()
    with db.transaction() as s:
        doc = add_doc(s, get_case(s, ref), file, title=title, lang=lang, translation_of=translation_of,
                      certified=certified, actor=actor())
    typer.echo(str(doc.id))
    note(f"document {doc.id} kept for {ref.upper()} (sha256 {doc.sha256[:16]}…)")


@app.command("list")
def list_(ref: RefArg, json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """A case's documents, translations beside their originals."""
    from plea.cases import get_case
    from plea.documents import as_dict, listing

    db = open_db()
    with db.read() as s:
        docs = [as_dict(d) for d in listing(s, get_case(s, ref))]
    if json_:
        print_json(docs)
        return
    t = table("no", "title", "lang", "type", "translation of", "size", "added")
    for d in docs:
        t.add_row(str(d["id"]), d["title"], d["lang"], d["media_type"].rsplit("/", 1)[-1][:12],
                  (f"{d['translation_of']}" + (" (certified)" if d["certified"] else "")) if d["translation_of"] else "",
                  f"{d['size'] / 1024:.0f} KB", d["added_at"][:10])
    out().print(t)
    note(f"{len(docs)} document(s)")


@app.command("show")
def show(
    ref: RefArg, doc: DocArg,
    save: Annotated[Path | None, typer.Option("--out", help="Write the file here (it holds personal data).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A document's details; --out writes the file itself (checked against its sha256)."""
    from plea.cases import get_case
    from plea.documents import as_dict, content, get

    db = open_db()
    with db.read() as s:
        d = get(s, doc, get_case(s, ref))
        data = content(s, d) if save is not None else None
        info = as_dict(d)
    if save is not None:
        from plea.cli.common import save_output

        save_output(save, data or b"", force=force)
        note(f"document {info['id']} written to {save} (it holds personal data: keep it private)")
    if json_:
        print_json(info)
        return
    for k, v in info.items():
        typer.echo(f"{k:<15} {'' if v is None else v}")


@app.command("remove")
def remove(ref: RefArg, doc: DocArg) -> None:
    """Remove a document that no translation or consent refers to."""
    from plea.cases import get_case
    from plea.documents import remove as remove_doc

    db = open_db()
    with db.transaction() as s:
        d, orphan = remove_doc(s, get_case(s, ref), doc, actor=actor())
    if orphan is not None:
        orphan.unlink(missing_ok=True)  # after the commit: the row is gone, so is the file
    note(f"document {d.id} removed")
