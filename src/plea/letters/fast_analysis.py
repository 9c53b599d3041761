"""The accelerator's analysis (plea.letters.fast): which parts of a letter template read the
recipient (`mission`, `first_letter`, `response`), or the case, directly or through the macros
they call; and what it does not follow (extends, blocks, include, namespace, …), which makes a
template render whole."""

from __future__ import annotations

from typing import Any

from jinja2 import nodes

#: what differs between the letters of one case: a piece reading none of it is rendered once per case
RECIPIENT = frozenset({"mission", "first_letter", "response"})
#: what differs between the letters to one mission: a recipient piece reading none of it (only the
#: mission) is rendered once per mission, for every client
LETTER = frozenset({"case", "first_letter", "response"})
#: names whose objects keep state between pieces, or whose effects the analysis does not follow
_UNFOLLOWED_NAMES = frozenset({"namespace", "cycler", "joiner", "self", "context"})
UNFOLLOWED_NODES = (nodes.Extends, nodes.Block, nodes.Include, nodes.NSRef)
DEFS = (nodes.Import, nodes.FromImport, nodes.Macro)


class Unfollowed(Exception):
    pass


REFS: dict[int, tuple[nodes.Node, tuple[set[str], set[tuple[str, str]], set[str]]]] = {}


def _refs(node: nodes.Node) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """Names a node loads; (name, attribute) pairs it reads (b.header); and the names it loads
    other than to read an attribute (a module passed around whole). Kept per node."""
    held = REFS.get(id(node))
    if held is not None and held[0] is node:
        return held[1]
    getattrs = [g for g in node.find_all(nodes.Getattr) if isinstance(g.node, nodes.Name)]
    under = {id(g.node) for g in getattrs}
    loads = [n for n in node.find_all(nodes.Name) if n.ctx == "load"]
    if isinstance(node, nodes.Name) and node.ctx == "load":
        loads.append(node)
    refs = (
        {n.name for n in loads},
        {(g.node.name, g.attr) for g in getattrs},
        {n.name for n in loads if id(n) not in under},
    )
    REFS[id(node)] = (node, refs)
    return refs


def check_followed(node: nodes.Node) -> None:
    if isinstance(node, UNFOLLOWED_NODES) or any(True for _ in node.find_all(UNFOLLOWED_NODES)):
        raise Unfollowed()
    names, _, _ = _refs(node)
    if names & _UNFOLLOWED_NAMES:
        raise Unfollowed()


class Analysis:
    """Which names and module attributes of the templates in one environment read any of
    `roots` (RECIPIENT, or LETTER)."""

    def __init__(
        self, env: Any, roots: frozenset[str], parsed: dict[str, nodes.Template] | None = None
    ) -> None:
        self.env = env
        self.roots = roots
        self.parsed = {} if parsed is None else parsed  # template name → tree, shared between analyses
        self.modules: dict[str, dict[str, bool]] = {}  # template name → exported name → tainted

    def parse(self, name: str) -> nodes.Template:
        if name not in self.parsed:
            source, filename, _ = self.env.loader.get_source(self.env, name)
            self.parsed[name] = self.env.parse(source, name, filename)
        return self.parsed[name]

    def module(self, name: str) -> dict[str, bool]:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = {}  # a cycle reads as "everything tainted" (see tainted())
        scope = Scope(self)
        for node in self.parse(name).body:
            check_followed(node)
            scope.add(node)
        self.modules[name] = scope.exports()
        return self.modules[name]


class Scope:
    """One template's top level: its imports, macros and assignments, and which are tainted."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.aliases: dict[str, str] = {}  # import alias → template
        self.tainted_names: set[str] = set(analysis.roots)
        self.clean_names: set[str] = set()
        self.macros: dict[str, nodes.Macro] = {}
        self.settled = True

    def add(self, node: nodes.Node) -> bool:
        """Take in one top-level node; True if it (or what it defines) reads the recipient."""
        if isinstance(node, nodes.Import):
            if not isinstance(node.template, nodes.Const):
                raise Unfollowed()
            self.aliases[node.target] = node.template.value
            return False
        if isinstance(node, nodes.FromImport):
            if not isinstance(node.template, nodes.Const):
                raise Unfollowed()
            exports = self.analysis.module(node.template.value)
            for item in node.names:
                name, alias = item if isinstance(item, tuple) else (item, item)
                (self.tainted_names if exports.get(name, True) else self.clean_names).add(alias)
            return False
        if isinstance(node, nodes.Macro):
            self.macros[node.name] = node
            self.settled = False
            return False
        if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            tainted = self.tainted(node)
            for target in (
                node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]
            ):
                (self.tainted_names if tainted else self.clean_names).add(target.name)
            self.settled = False
            return tainted
        return self.tainted(node)

    def _settle_macros(self) -> None:
        """A macro is tainted if its body reads the recipient or calls a tainted macro: to a fixpoint."""
        self.settled = True
        changed = True
        while changed:
            changed = False
            for name, macro in self.macros.items():
                if name not in self.tainted_names and self.tainted(macro.body, exclude=name):
                    self.tainted_names.add(name)
                    changed = True

    def tainted(self, node: Any, exclude: str | None = None) -> bool:
        if not self.settled:
            self._settle_macros()
        items = node if isinstance(node, list) else [node]
        for item in items:
            if isinstance(item, nodes.Include) or any(True for _ in item.find_all(nodes.Include)):
                return True
            names, attrs, bare = _refs(item)
            if (names - {exclude}) & self.tainted_names or bare & set(self.aliases):
                return True
            for alias, attr in attrs:
                if alias in self.aliases and self.analysis.module(self.aliases[alias]).get(attr, True):
                    return True
        return False

    def exports(self) -> dict[str, bool]:
        if not self.settled:
            self._settle_macros()
        out = {name: name in self.tainted_names for name in self.macros}
        out.update({name: False for name in self.clean_names})
        out.update({name: True for name in self.tainted_names - self.analysis.roots})
        return out
