"""Babel extractor for plea's messages (development only: `pybabel extract -F babel.cfg`).

Finds, by reading the source (nothing is imported or run):
- `_("…")`, `N_("…")`, `translate("…")`, `ngettext("…", "…", n)` anywhere;
- in `plea/cli/`: every `help="…"`, the docstrings of the commands (functions decorated with
  `.command(…)`/`.callback(…)` and the functions plea.cli.COMMANDS names), the strings given to
  `note(…)`, `table(…)` (headings and title), `typer.prompt(…)` and `typer.confirm(…)`;
- everywhere: the message and the `hint=` of `raise InvalidInput(…)`, `NotFound(…)` … (the errors
  plea.cli.PleaGroup prints).

An f-string is extracted as written, its expressions kept as placeholders (`unknown case {ref!r}`):
plea.i18n.translate matches a printed message against these templates.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import Any

ERRORS = {"PleaError", "InvalidInput", "NotFound", "DatabaseProblem", "Conflict", "TemplateProblem",
          "ExternalProblem"}
MARKERS = {"_", "N_", "translate", "gettext"}
CLI_CALLS = {"note", "note_parts", "table", "prompt", "confirm"}
#: calls whose second and third arguments a person reads (plea.doctor.Check: what was found, how to fix it)
CHECKS = {"Check"}


def template(node: ast.AST) -> list[str]:
    """The message(s) a string expression gives: a constant, an f-string as its template, both
    branches of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        text = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                text.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                field = ast.unparse(part.value)
                if part.conversion != -1:
                    field += "!" + chr(part.conversion)
                if part.format_spec is not None:
                    field += ":" + "".join(template(part.format_spec))
                text.append("{" + field + "}")
        return ["".join(text)]
    if isinstance(node, ast.IfExp):
        return template(node.body) + template(node.orelse)
    return []


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _command_names(tree: ast.Module) -> set[str]:
    """Functions that are commands: decorated with `.command(…)`/`.callback(…)`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if _name(target) in ("command", "callback"):
                    names.add(node.name)
    return names


def _commands_table() -> set[str]:
    """The attributes plea.cli.COMMANDS names (commands registered without a decorator)."""
    import os

    source = os.path.join(os.path.dirname(__file__), "cli", "__init__.py")
    with open(source, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and _name(node.target) == "COMMANDS" and node.value is not None:
            return {attr for _module, attr in ast.literal_eval(node.value).values()}
    return set()


def messages(source: str, *, cli: bool) -> Iterator[tuple[int, str | tuple[str, str]]]:
    """(line, message) for every message in a module's source; plural messages as (one, many)."""
    tree = ast.parse(source)
    if cli:
        commands = _command_names(tree) | _commands_table()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in commands:
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    yield node.lineno, inspect.cleandoc(doc)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        wanted: list[ast.AST] = []
        if name == "ngettext" and len(node.args) >= 2:
            one, many = template(node.args[0]), template(node.args[1])
            if one and many:
                yield node.lineno, (one[0], many[0])
            continue
        if name in MARKERS or name in ERRORS or (cli and name in CLI_CALLS):
            wanted += node.args if name in ("table", "note_parts") else node.args[:1]
        if name in CHECKS:  # plea doctor's findings: Check(level, what, fix)
            wanted += node.args[1:3]
        wanted += [k.value for k in node.keywords
                   if k.arg == "hint" and name in ERRORS or k.arg == "title" and cli and name == "table"
                   or k.arg == "help" and cli]
        for arg in wanted:
            for text in template(arg):
                if text.strip():
                    yield node.lineno, text


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Any]:
    """Babel's extractor interface: (line, function, message(s), comments)."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    cli = options.get("cli", "false").lower() == "true"
    for line, message in messages(source, cli=cli):
        yield line, "ngettext" if isinstance(message, tuple) else None, message, []
