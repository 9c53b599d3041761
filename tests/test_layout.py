"""The house's layout rules (CONTRIBUTING.md "Layout"), checked on the source: every module imports, the
module-level imports form no cycle, no module is over 500 lines, and no CLI module imports a sibling
command module (shared CLI helpers live in plea.cli.common)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PLEA = SRC / "plea"
MAX_LINES = 500


def modules() -> dict[str, Path]:
    """Every module of plea (migrations' versions left out: Alembic loads them by path) by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted(PLEA.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if "versions" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def module_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The plea modules that importing `name` runs: its imports outside functions and classes (inside
    `try`/`if`, except `if TYPE_CHECKING`), and for plea.a.b the packages plea.a it runs first."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        parts = target.split(".")
        for i in range(2, len(parts) + 1):  # plea.a.b runs plea.a's __init__ first
            if ".".join(parts[:i]) in known:
                found.add(".".join(parts[:i]))

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                    + ([node.module] if node.module else []))
                add(base)
                for alias in node.names:  # `from plea.x import y` where y is a module
                    if f"{base}.{alias.name}" in known:
                        add(f"{base}.{alias.name}")
            elif isinstance(node, (ast.If, ast.Try, ast.With)) and not _type_checking(node):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: module_level_imports(name, path, set(known)) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_every_module_imports() -> None:
    for name in modules():
        if name.startswith("plea.db.migrations"):  # env.py runs only inside Alembic
            continue
        importlib.import_module(name)


def test_the_module_level_imports_form_no_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_from_imports_of_modules_and_packages() -> None:
    graph = import_graph()
    assert "plea.directory.queries" in graph["plea.directory.importing"]
    assert "plea.directory" in graph["plea.directory.importing"]  # the package runs first
    assert "plea.db.tables" in graph["plea.directory.queries"]


def test_no_module_is_over_500_lines() -> None:
    long = {str(path.relative_to(SRC)): n for path in PLEA.rglob("*.py")
            if "migrations" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("path", sorted((PLEA / "cli").glob("*.py")), ids=lambda p: p.name)
def test_a_cli_module_imports_no_sibling_command_module(path: Path) -> None:
    allowed = {"plea.cli", "plea.cli.common"}
    commands = {f"plea.cli.{p.stem}" for p in (PLEA / "cli").glob("*.py")}
    siblings = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # inside functions too
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("plea.cli"):
            targets = [node.module] if node.module != "plea.cli" else [f"plea.cli.{a.name}" for a in node.names]
            siblings |= {t for t in targets if t in commands and t not in allowed}
        elif isinstance(node, ast.Import):
            siblings |= {a.name for a in node.names if a.name.startswith("plea.cli.") and a.name not in allowed}
    if path.name == "__init__.py":  # the root app joins the command modules
        return
    assert siblings == set()
