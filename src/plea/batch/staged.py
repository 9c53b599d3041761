"""Rendering many letters of one template fast, with exactly the output of rendering each alone.

A batch writes the same letter for each client to hundreds of missions. Most of a letter does not
depend on the mission: who the client is, the story, the request, the signature. So a template's
top-level pieces are sorted by what they read:

- pieces that never read the recipient (`mission`, `first_letter`, `response`), directly or
  through any macro they call, are rendered once per case and language, with a marker where
  each recipient piece goes;
- the recipient pieces are rendered once per letter, and spliced in at their markers.

Safety nets, so a wrong analysis can only cost speed, never change a letter:
- in the case-level rendering the recipient variables are poison: any use raises, and that
  template falls back to whole-letter rendering for good;
- markers carry a random nonce and must each appear exactly once, in order;
- a template using what the analysis does not follow (extends, blocks, include, namespace,
  cycler, joiner, assignments inside output pieces) is always rendered whole;
- any error falls back to the ordinary renderer, which reports it as usual.

Only for shipped templates: templates from elsewhere render in a confined child process.

The Markdown → blocks parse is cached per top-level segment (the text between blank lines
where a new block starts outside any `:::` container): the same paragraph in 500 letters is
parsed once. tests/test_batch.py checks both against the ordinary path.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import nodes

from plea.render.blocks import CONTAINERS, Block, parse
from plea.render.catalog import LetterSpec, letters_root
from plea.render.context import letter_context
from plea.render.jinja import MAX_OUTPUT_CHARS
from plea.render.letter import render_markdown_for

RECIPIENT = frozenset({"mission", "first_letter", "response"})
#: names whose objects keep state between pieces, or whose effects the analysis does not follow
_UNFOLLOWED_NAMES = frozenset({"namespace", "cycler", "joiner", "self", "context"})
_UNFOLLOWED_NODES = (nodes.Extends, nodes.Block, nodes.Include, nodes.NSRef)
_DEFS = (nodes.Import, nodes.FromImport, nodes.Macro)


class _Touched(Exception):
    """The case-level rendering used a recipient variable: the analysis missed a dependency."""


class _Poison(Mapping):  # type: ignore[type-arg]
    """Stands for a recipient variable in the case-level rendering: any use raises."""

    def _touch(self, *_: Any, **__: Any) -> Any:
        raise _Touched()

    __getitem__ = __iter__ = __len__ = __getattr__ = __str__ = __bool__ = __eq__ = __hash__ = _touch  # type: ignore
    __contains__ = __html__ = __call__ = __format__ = __lt__ = __add__ = __radd__ = __repr__ = _touch  # type: ignore


_POISON = _Poison()


class _Cache(OrderedDict):  # type: ignore[type-arg]
    """A small LRU dictionary: memory stays flat however many letters a batch has."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Any, make: Any) -> Any:
        try:
            self.move_to_end(key)
            return self[key]
        except KeyError:
            value = self[key] = make()
            if len(self) > self.size:
                self.popitem(last=False)
            return value


# -- analysis ---------------------------------------------------------------------------------------


class _Unfollowed(Exception):
    pass


_REFS: dict[int, tuple[nodes.Node, tuple[set[str], set[tuple[str, str]], set[str]]]] = {}


def _refs(node: nodes.Node) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """Names a node loads; (name, attribute) pairs it reads (b.header); and the names it loads
    other than to read an attribute (a module passed around whole). Kept per node."""
    held = _REFS.get(id(node))
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
    _REFS[id(node)] = (node, refs)
    return refs


def _check_followed(node: nodes.Node) -> None:
    if isinstance(node, _UNFOLLOWED_NODES) or any(True for _ in node.find_all(_UNFOLLOWED_NODES)):
        raise _Unfollowed()
    names, _, _ = _refs(node)
    if names & _UNFOLLOWED_NAMES:
        raise _Unfollowed()


class _Analysis:
    """Which names and module attributes of the templates in one environment read the recipient."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.modules: dict[str, dict[str, bool]] = {}  # template name → exported name → tainted

    def parse(self, name: str) -> nodes.Template:
        source, filename, _ = self.env.loader.get_source(self.env, name)
        return self.env.parse(source, name, filename)

    def module(self, name: str) -> dict[str, bool]:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = {}  # a cycle reads as "everything tainted" (see tainted())
        scope = _Scope(self)
        for node in self.parse(name).body:
            _check_followed(node)
            scope.add(node)
        self.modules[name] = scope.exports()
        return self.modules[name]


class _Scope:
    """One template's top level: its imports, macros and assignments, and which are tainted."""

    def __init__(self, analysis: _Analysis) -> None:
        self.analysis = analysis
        self.aliases: dict[str, str] = {}  # import alias → template
        self.tainted_names: set[str] = set(RECIPIENT)
        self.clean_names: set[str] = set()
        self.macros: dict[str, nodes.Macro] = {}
        self.settled = True

    def add(self, node: nodes.Node) -> bool:
        """Take in one top-level node; True if it (or what it defines) reads the recipient."""
        if isinstance(node, nodes.Import):
            if not isinstance(node.template, nodes.Const):
                raise _Unfollowed()
            self.aliases[node.target] = node.template.value
            return False
        if isinstance(node, nodes.FromImport):
            if not isinstance(node.template, nodes.Const):
                raise _Unfollowed()
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
        out.update({name: True for name in self.tainted_names - RECIPIENT})
        return out


# -- staged templates -------------------------------------------------------------------------------


class Staged:
    """One template split into a case-level and a recipient-level template (or not stageable)."""

    def __init__(self, env: Any, name: str) -> None:
        self.env = env
        self.name = name
        self.ok = False
        self.nonce = secrets.token_hex(8)
        self.pieces = 0
        try:
            self._build()
        except _Unfollowed:
            self.ok = False
        finally:
            _REFS.clear()

    def marker(self, i: int) -> str:
        return f"\ue000{self.nonce}:{i}\ue001"

    def separator(self, i: int) -> str:
        return f"\ue002{self.nonce}:{i}\ue003"

    def _units(self, analysis: _Analysis, body: list[nodes.Node]) -> list[tuple[str, int, int | None, bool]]:
        """(kind, node index, child index or None, tainted) for each top-level unit."""
        scope = _Scope(analysis)
        units = []
        for i, node in enumerate(body):
            _check_followed(node)
            if isinstance(node, _DEFS):
                scope.add(node)
                units.append(("def", i, None, False))
            elif isinstance(node, (nodes.Assign, nodes.AssignBlock)):
                units.append(("set", i, None, scope.add(node)))
            elif isinstance(node, nodes.Output):
                for j, child in enumerate(node.nodes):
                    units.append(
                        ("out", i, j, not isinstance(child, nodes.TemplateData) and scope.tainted(child))
                    )
            else:
                if any(True for _ in node.find_all((nodes.Assign, nodes.AssignBlock))):
                    # an assignment inside an if or for at the top level sets a top-level name
                    raise _Unfollowed()
                units.append(("out", i, None, scope.tainted(node)))
        return units

    def _build(self) -> None:
        import copy

        analysis = _Analysis(self.env)
        parsed = analysis.parse(self.name).body
        # two trees of their own for the two templates (compiling may rewrite nodes); the
        # environment they point to is shared, not copied
        case_nodes = copy.deepcopy(parsed, {id(self.env): self.env})
        recipient_nodes = copy.deepcopy(parsed, {id(self.env): self.env})
        units = self._units(analysis, parsed)
        case_body: list[nodes.Node] = []
        recipient_body: list[nodes.Node] = []
        piece = 0
        for kind, i, j, tainted in units:
            if kind == "def":
                case_body.append(case_nodes[i])
                recipient_body.append(recipient_nodes[i])
                continue
            if kind == "set":
                if not tainted:
                    case_body.append(case_nodes[i])
                recipient_body.append(recipient_nodes[i])
                continue
            node_c = case_nodes[i] if j is None else nodes.Output([case_nodes[i].nodes[j]])
            node_r = recipient_nodes[i] if j is None else nodes.Output([recipient_nodes[i].nodes[j]])
            if tainted:
                case_body.append(nodes.Output([nodes.TemplateData(self.marker(piece))]))
                recipient_body.append(nodes.Output([nodes.TemplateData(self.separator(piece))]))
                recipient_body.append(node_r)
                piece += 1
            else:
                case_body.append(node_c)
        self.pieces = piece
        self.case_template = self._compile(case_body)
        self.recipient_template = self._compile(recipient_body) if piece else None
        self.ok = True

    def _compile(self, body: list[nodes.Node]) -> Any:
        template = nodes.Template(body, lineno=1)
        template.set_environment(self.env)
        return self.env.from_string(template)

    def render_case(self, context: dict[str, Any]) -> str:
        ctx = {**context, **{name: _POISON for name in RECIPIENT}}
        return _capped(self.case_template.generate(**ctx))

    def render_recipient(self, context: dict[str, Any]) -> list[str]:
        if self.recipient_template is None:
            return []
        text = _capped(self.recipient_template.generate(**context))
        pieces = []
        at = 0
        for i in range(self.pieces):
            sep = self.separator(i)
            if not text.startswith(sep, at):
                raise ValueError("separator out of place")
            start = at + len(sep)
            nxt = text.find(self.separator(i + 1), start) if i + 1 < self.pieces else len(text)
            if nxt < 0:
                raise ValueError("separator missing")
            pieces.append(text[start:nxt])
            at = nxt
        return pieces

    def splice(self, case_text: str, pieces: list[str]) -> str:
        out = []
        at = 0
        for i, piece in enumerate(pieces):
            mark = self.marker(i)
            found = case_text.find(mark, at)
            if found < 0 or case_text.find(mark, found + len(mark)) >= 0:
                raise ValueError("marker missing or repeated")
            out.append(case_text[at:found])
            out.append(piece)
            at = found + len(mark)
        out.append(case_text[at:])
        text = "".join(out)
        if "\ue000" + self.nonce in text or len(text) > MAX_OUTPUT_CHARS:
            raise ValueError("marker left over, or too long")
        return text


def _capped(chunks: Iterator[str]) -> str:
    out = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise ValueError("too long")
        out.append(chunk)
    return "".join(out)


def _memo(func: Any) -> Any:
    """A pure one-argument filter, remembered: the same date or state code in 5,000 letters is
    formatted once (Babel takes a good part of a millisecond a date)."""
    cache: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            key = (type(value), value)
            found = cache.get(key, cache)
        except TypeError:  # unhashable: not remembered
            return func(value)
        if found is cache:
            if len(cache) > 4096:
                cache.clear()
            found = cache[key] = func(value)
        return found

    return remembered


def _environment_for(base: Path, lang: str) -> Any:
    """The letter environment (plea.render.jinja), its pure filters remembered."""
    from plea.render.jinja import make_environment

    env = make_environment(base, lang)
    env.auto_reload = False  # shipped templates do not change during a batch: no stat() per letter
    for name in ("date", "country"):
        env.filters[name] = _memo(env.filters[name])
    env.finalize = _memo_finalize(env.finalize)
    return env


def _memo_finalize(finalize: Any) -> Any:
    """The environment's finalize (values escaped for Markdown) remembered for plain values:
    a client's name is escaped once, not once per letter. Markup passes through untouched."""
    remembered = _memo(finalize)

    def final(value: Any) -> Any:
        if hasattr(value, "__html__") or not isinstance(value, (str, int, float, date)):
            return finalize(value)
        return remembered(value)

    return final


class FastRenderer:
    """Markdown for many letters of one (shipped) letter template; the same text as
    plea.render.letter.render_markdown_for gives, letter by letter."""

    def __init__(self, spec: LetterSpec, root: Path | None = None) -> None:
        self.spec = spec
        self.root = root
        self.base = letters_root(root)
        self.staged: dict[str, Staged | None] = {}
        self.case_texts = _Cache(256)  # a batch check renders one letter per client and language first: kept
        self.fallbacks = 0

    def _staged(self, lang: str) -> Staged | None:
        if lang not in self.staged:
            try:
                staged: Staged | None = Staged(
                    _environment_for(self.base, lang), self.spec.template_name(lang)
                )
            except Exception:  # a template the analysis cannot read: the ordinary path reports it
                staged = None
            self.staged[lang] = staged if staged is not None and staged.ok else None
        return self.staged[lang]

    def markdown(
        self,
        lang: str,
        *,
        case: Any,
        case_key: str,
        mission: Any,
        today: date,
        first_letter: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
    ) -> str:
        staged = self._staged(lang)
        if staged is not None:
            context = letter_context(
                case=case,
                mission=mission,
                lang=lang,
                letter=self.spec.name,
                subject=self.spec.subject(lang),
                today=today,
                first_letter=first_letter,
                response=response,
            )
            try:
                case_text = self.case_texts.get_or(
                    (lang, case_key, today), lambda: staged.render_case(context)
                )
                return staged.splice(case_text, staged.render_recipient(context))
            except _Touched:
                self.staged[lang] = None  # the analysis missed something: whole letters from now on
            except Exception:
                pass  # the ordinary path below raises the error as a TemplateProblem, or succeeds
            self.fallbacks += 1
        return render_markdown_for(
            self.spec,
            lang,
            case=case,
            mission=mission,
            today=today,
            first_letter=first_letter,
            response=response,
            root=self.root,
        )


def case_key(case_context: dict[str, Any]) -> str:
    """A stable key for a case's data (for the case-level cache)."""
    return json.dumps(case_context, sort_keys=True, default=str, ensure_ascii=False)


# -- Markdown, parsed a segment at a time -----------------------------------------------------------


_FENCE = re.compile(r"^(:::+)(.*)$|^[ \t]+:::", re.M)
_GAP = re.compile(r"\n(?:[ \t]*\n)+(?=\S)")


def segments(markdown: str) -> list[str]:
    """The Markdown cut where a new top-level block starts after a blank line, outside any
    `:::` container (each part then parses exactly as it does inside the whole). Anything
    but plain containers (a fence indented, nested, unknown or unpaired) leaves it uncut."""
    fences = []
    opened = 0  # the marker length of the open container; 0: none
    for m in _FENCE.finditer(markdown):
        if m.group(1) is None:
            return [markdown]
        marker, params = len(m.group(1)), m.group(2).strip()
        if not opened and params.split(" ", 1)[0] in CONTAINERS:
            opened = marker
            fences.append((m.start(), 1))
        elif opened and not params and marker >= opened:
            opened = 0
            fences.append((m.start(), -1))
        else:  # nesting, an unknown container, a stray fence: not cut at all
            return [markdown]
    cuts = []
    depth = 0
    at = 0
    for gap in _GAP.finditer(markdown):
        start = gap.end()
        while at < len(fences) and fences[at][0] < start:
            depth += fences[at][1]
            at += 1
        if depth == 0:
            cuts.append(start)
    return [markdown[a:b] for a, b in zip([0, *cuts], [*cuts, len(markdown)], strict=True)]


class SegmentParser:
    """parse() with a cache per segment."""

    def __init__(self, size: int = 4096) -> None:
        self.cache = _Cache(size)

    def blocks(self, markdown: str) -> list[tuple[str, list[Block]]]:
        return [(seg, self.cache.get_or(seg, lambda s=seg: parse(s))) for seg in segments(markdown)]

    def parse(self, markdown: str) -> list[Block]:
        return [b for _, blocks in self.blocks(markdown) for b in blocks]
