"""The batch's accelerator: many letters of one template, with exactly the output of rendering
each alone (plea.render.letter), and a count of the letters it renders whole instead, with why
(FastRenderer.reasons; a batch prints it at its end and in --json).

Measured necessary (bench/batch.py and an in-memory count of CPU time, December 2026): without
the mission stage, the inliner and the if-splitting, 5,000 letters for 10 clients take about a
third more CPU time, and `--jobs 1` fell to 22× docxtpl (CPU time) in one of two runs; each of
the three alone gains nothing measurable (the shipped templates' shared parts sit in macros that
read both case and mission, and in ifs on case data). So all three stay.

A batch writes the same letter for each client to hundreds of missions. Most of a letter does not
depend on the mission: who the client is, the story, the request, the signature; and what does
depend on it (the address, the state's name) is mostly the same for every client. So a
template's pieces are sorted by what they read:

- pieces that never read the recipient (`mission`, `first_letter`, `response`), directly or
  through any macro they call, are rendered once per case and language, with a marker where
  each recipient piece goes;
- recipient pieces that read the mission but nothing of the case (`case`, `first_letter`,
  `response`) are rendered once per mission and language, and shared by every client;
- the pieces that read both are rendered once per letter; then all are spliced in at their
  markers.

To find more pieces of the second kind, a zero-argument macro imported with context is inlined
(`{{ b.header() }}` becomes its body, its own names qualified), and an `if` whose tests read no
recipient variable stays in the case-level template with its branches split in turn.

Safety nets, so a wrong analysis can only cost speed, never change a letter:
- in the case-level rendering the recipient variables are poison, and in the mission-level
  rendering the case's: any use raises, and that template falls back to whole-letter rendering
  for good;
- markers carry a random nonce, and must appear in order, each at most once and each with its
  piece; no trace of the nonce may be left;
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
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from plea.render.blocks import CONTAINERS, Block, parse
from plea.render.catalog import LetterSpec, letters_root
from plea.render.context import letter_context
from plea.render.jinja import MAX_OUTPUT_CHARS
from plea.render.letter import render_markdown_for

#: what differs between the letters of one case: a piece reading none of it is rendered once per case
RECIPIENT = frozenset({"mission", "first_letter", "response"})
#: what differs between the letters to one mission: a recipient piece reading none of it (only the
#: mission) is rendered once per mission, for every client
LETTER = frozenset({"case", "first_letter", "response"})
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
        self.tainted_names: set[str] = set(analysis.roots)
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
        out.update({name: True for name in self.tainted_names - self.analysis.roots})
        return out


# -- staged templates -------------------------------------------------------------------------------


class Staged:
    """One template split in three: a case-level template with a marker for each recipient
    piece; the pieces that read only the mission (rendered once per mission and shared by every
    client); and the pieces that read both (rendered per letter). Or not stageable (ok False).

    To find more of the pieces that need only the mission, zero-argument macros imported with
    context are inlined (`{{ b.header() }}` becomes the macro's body), and an `if` whose tests
    read no recipient variable is kept in the case-level template, its branches split in turn.
    A piece in a branch is rendered whether or not the letter takes that branch; the case-level
    text, which took the branch, decides which pieces it holds."""

    def __init__(self, env: Any, name: str) -> None:
        self.env = env
        self.name = name
        self.ok = False
        self.nonce = secrets.token_hex(8)
        self.pieces = 0
        self.mission_template: Any = None
        self.letter_template: Any = None
        self._marks = re.compile("\ue000" + self.nonce + ":([0-9]+)\ue001")
        self._seps = re.compile("\ue002" + self.nonce + ":([0-9]+)\ue003")
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

    def _build(self) -> None:
        parsed: dict[str, nodes.Template] = {}
        self.by_recipient = _Analysis(self.env, RECIPIENT, parsed)
        self.by_letter = _Analysis(self.env, LETTER, parsed)
        body = self.by_recipient.parse(self.name).body
        self.scope_r, self.scope_l = _Scope(self.by_recipient), _Scope(self.by_letter)
        self.imports: dict[str, str] = {}  # alias → template, for imports with context
        self.top_names = _definitions(body)
        self.found: list[tuple[nodes.Node, bool]] = []  # each piece: (statement, per letter)
        case_body: list[nodes.Node] = []
        mission_body: list[nodes.Node] = []
        letter_body: list[nodes.Node] = []
        for node in body:
            _check_followed(node)
            if isinstance(node, _DEFS):
                self.scope_r.add(node)
                self.scope_l.add(node)
                if isinstance(node, nodes.Import) and node.with_context:
                    self.imports[node.target] = node.template.value
                for target in (case_body, mission_body, letter_body):
                    target.append(node)
            elif isinstance(node, (nodes.Assign, nodes.AssignBlock)):
                by_recipient, by_letter = self.scope_r.add(node), self.scope_l.add(node)
                if not by_recipient:
                    case_body.append(node)
                if not by_letter:
                    mission_body.append(node)
                letter_body.append(node)
            else:
                if not isinstance(node, nodes.Output) and any(
                    True for _ in node.find_all((nodes.Assign, nodes.AssignBlock))
                ):
                    # an assignment inside an if or for at the top level sets a top-level name
                    raise _Unfollowed()
                case_body.extend(self._stage([node], 0))
        for i, (statement, per_letter) in enumerate(self.found):
            target = letter_body if per_letter else mission_body
            target += [nodes.Output([nodes.TemplateData(self.separator(i))]), statement]
        self.pieces = len(self.found)
        self.case_template = self._compile(case_body)
        if any(not per_letter for _, per_letter in self.found):
            self.mission_template = self._compile(mission_body)
        if any(per_letter for _, per_letter in self.found):
            self.letter_template = self._compile(letter_body)
        self.ok = True

    def _stage(self, body: list[nodes.Node], depth: int) -> list[nodes.Node]:
        """The case-level form of a list of statements; the recipient pieces found in it are
        added to self.found, each replaced by its marker."""
        out: list[nodes.Node] = []
        for node in body:
            if not self.scope_r.tainted(node):
                out.append(node)
            elif isinstance(node, nodes.Output):
                kept: list[nodes.Node] = []
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData) or not self.scope_r.tainted(child):
                        kept.append(child)
                        continue
                    if kept:
                        out.append(nodes.Output(kept))
                        kept = []
                    inlined = self._inline(child, depth)
                    out += self._stage(inlined, depth + 1) if inlined is not None else [self._piece(child)]
                if kept:
                    out.append(nodes.Output(kept))
            elif isinstance(node, nodes.If) and not any(
                self.scope_r.tainted(test) for test in (node.test, *(e.test for e in node.elif_))
            ):
                out.append(
                    nodes.If(
                        node.test,
                        self._stage(node.body, depth),
                        [
                            nodes.If(e.test, self._stage(e.body, depth), [], [], lineno=e.lineno)
                            for e in node.elif_
                        ],
                        self._stage(node.else_, depth),
                        lineno=node.lineno,
                    )
                )
            else:
                out.append(self._piece(node))
        return out

    def _piece(self, node: nodes.Node) -> nodes.Node:
        statement = node if isinstance(node, nodes.Stmt) else nodes.Output([node], lineno=node.lineno)
        self.found.append((statement, self.scope_l.tainted(node)))
        return nodes.Output([nodes.TemplateData(self.marker(len(self.found) - 1))])

    def _inline(self, call: nodes.Node, depth: int) -> list[nodes.Node] | None:
        """The body of `alias.name()`, a macro without arguments of a module imported with
        context, to stand in its place (its own names qualified: `kind_label` → `alias.kind_label`);
        None where that could change the output."""
        if (
            depth >= 4
            or not isinstance(call, nodes.Call)
            or call.args
            or call.kwargs
            or call.dyn_args is not None
            or call.dyn_kwargs is not None
            or not isinstance(call.node, nodes.Getattr)
            or not isinstance(call.node.node, nodes.Name)
            or call.node.node.name not in self.imports
        ):
            return None
        alias = call.node.node.name
        if self.top_names[alias] != 1:  # the alias bound again: another import, a set, a macro
            return None
        module = self.by_recipient.parse(self.imports[alias]).body
        defined = _definitions(module)
        macro = next((m for m in module if isinstance(m, nodes.Macro) and m.name == call.node.attr), None)
        if (
            macro is None
            or macro.args
            or macro.defaults
            or macro.name.startswith("_")
            or defined[macro.name] != 1
        ):
            return None
        if any(
            isinstance(n, _NOT_INLINED) or any(True for _ in n.find_all(_NOT_INLINED)) for n in macro.body
        ):
            return None
        loads = {n.name for b in macro.body for n in b.find_all(nodes.Name) if n.ctx == "load"}
        loops = {n.name for b in macro.body for n in b.find_all(nodes.Name) if n.ctx in ("store", "param")}
        # of the module's own names, the macro may read only macros it defines once and exports
        macros = {
            m.name
            for m in module
            if isinstance(m, nodes.Macro) and defined[m.name] == 1 and not m.name.startswith("_")
        }
        own = set(defined) - macros  # assignments, imports, private or twice-made macros
        shadowed = set(self.top_names)  # what the template defines hides what the macro would read
        if (
            loads & {"varargs", "kwargs", "caller"}
            or (loads - loops) & own
            or loops & set(defined)
            or (loads - set(defined) - loops) & shadowed
        ):
            return None
        import copy

        body = copy.deepcopy(macro.body, {id(self.env): self.env})
        return [_Qualify(alias, macros & loads).visit(n) for n in body]

    def _compile(self, body: list[nodes.Node]) -> Any:
        import copy

        # a tree of its own for each template (compiling may rewrite nodes); the environment
        # they point to is shared, not copied
        template = nodes.Template(copy.deepcopy(body, {id(self.env): self.env}), lineno=1)
        template.set_environment(self.env)
        return self.env.from_string(template)

    def render_case(self, context: dict[str, Any]) -> str:
        ctx = {**context, **{name: _POISON for name in RECIPIENT}}
        return _capped(self.case_template.generate(**ctx))

    def render_mission(self, context: dict[str, Any]) -> dict[int, str]:
        """The pieces that read only the mission (the case and the letter's own are poison)."""
        if self.mission_template is None:
            return {}
        ctx = {**context, **{name: _POISON for name in LETTER}}
        return self._split(_capped(self.mission_template.generate(**ctx)))

    def render_letter(self, context: dict[str, Any]) -> dict[int, str]:
        if self.letter_template is None:
            return {}
        return self._split(_capped(self.letter_template.generate(**context)))

    def _split(self, text: str) -> dict[int, str]:
        parts = self._seps.split(text)
        if parts[0]:
            raise ValueError("text before the first separator")
        return {int(parts[k]): parts[k + 1] for k in range(1, len(parts), 2)}

    def splice(self, case_text: str, pieces: Mapping[int, str]) -> str:
        """The case-level text with each marker replaced by its piece; markers in order, each once."""
        parts = self._marks.split(case_text)
        out = [parts[0]]
        last = -1
        for k in range(1, len(parts), 2):
            i = int(parts[k])
            if i <= last or i not in pieces:
                raise ValueError("marker out of order, repeated or unknown")
            last = i
            out += (pieces[i], parts[k + 1])
        text = "".join(out)
        if self.nonce in text or len(text) > MAX_OUTPUT_CHARS:
            raise ValueError("marker left over, or too long")
        return text


#: what an inlined macro body may not hold: it would set or define names at the top level
_NOT_INLINED = (
    nodes.Assign,
    nodes.AssignBlock,
    nodes.Macro,
    nodes.CallBlock,
    nodes.Import,
    nodes.FromImport,
    nodes.With,
    nodes.Scope,
    nodes.ScopedEvalContextModifier,
    nodes.EvalContextModifier,
    nodes.FilterBlock,
    *_UNFOLLOWED_NODES,
)


def _definitions(body: list[nodes.Node]) -> Counter[str]:
    """How many times a template's top level defines each name: macros, imports, assignments."""
    out: Counter[str] = Counter()
    for node in body:
        if isinstance(node, nodes.Macro):
            out[node.name] += 1
        elif isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            target = node.target
            out.update(
                n.name for n in ([target] if isinstance(target, nodes.Name) else target.find_all(nodes.Name))
            )
        elif isinstance(node, nodes.Import):
            out[node.target] += 1
        elif isinstance(node, nodes.FromImport):
            out.update(item[1] if isinstance(item, tuple) else item for item in node.names)
    return out


class _Qualify(NodeTransformer):
    """`name` → `alias.name` for the given names (an inlined macro's calls to its own module)."""

    def __init__(self, alias: str, names: set[str]) -> None:
        self.alias = alias
        self.names = names

    def visit_Name(self, node: nodes.Name) -> nodes.Node:
        if node.ctx == "load" and node.name in self.names:
            return nodes.Getattr(
                nodes.Name(self.alias, "load", lineno=node.lineno), node.name, "load", lineno=node.lineno
            )
        return node


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
        self.mission_texts = _Cache(2048)  # the pieces that read only the mission, for every client
        self.reasons: Counter[str] = Counter()  # why letters were rendered whole: reason → letters
        self.unstaged: dict[str, str] = {}  # language → why its template is rendered whole

    def _staged(self, lang: str) -> Staged | None:
        if lang not in self.staged:
            try:
                staged: Staged | None = Staged(
                    _environment_for(self.base, lang), self.spec.template_name(lang)
                )
            except Exception:  # a template the analysis cannot read: the ordinary path reports it
                staged = None
            self.staged[lang] = staged if staged is not None and staged.ok else None
            if self.staged[lang] is None:
                self.unstaged[lang] = "its template uses what the accelerator does not follow"
        return self.staged[lang]

    @property
    def fallbacks(self) -> int:
        """Letters rendered whole instead of staged."""
        return sum(self.reasons.values())

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
        if staged is None:
            self.reasons[self.unstaged[lang]] += 1
        else:
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
                pieces = self.mission_texts.get_or(
                    (lang, today, tuple(context["mission"].items())), lambda: staged.render_mission(context)
                )
                if staged.letter_template is not None:
                    pieces = {**pieces, **staged.render_letter(context)}
                return staged.splice(case_text, pieces)
            except _Touched:  # the analysis missed something: whole letters from now on
                self.staged[lang] = None
                self.unstaged[lang] = "the accelerator's analysis missed what its template reads (caught)"
                self.reasons[self.unstaged[lang]] += 1
            except (
                Exception
            ) as exc:  # the ordinary path below raises the error as a TemplateProblem, or succeeds
                self.reasons[f"the staged rendering failed ({exc.__class__.__name__})"] += 1
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


_GAP = re.compile(r"\n(?:[ \t]*\n)+(?=\S)")


def _fences(markdown: str) -> Iterator[tuple[int, int, str] | None]:
    """Each `:::` fence at the start of a line: (offset, marker length, parameters); None for a
    fence after spaces or tabs. (str.find, not a multiline regex: the same lines, found many
    times faster.)"""
    at = markdown.find(":::")
    while at >= 0:
        start = markdown.rfind("\n", 0, at) + 1
        if start != at:  # ::: after other text on its line is plain text; after blanks, a fence
            if not markdown[start:at].strip(" \t"):
                yield None
            at = markdown.find(":::", at + 3)
            continue
        end = markdown.find("\n", at)
        end = len(markdown) if end < 0 else end
        line = markdown[at:end]
        marker = len(line) - len(line.lstrip(":"))
        yield at, marker, line[marker:]
        at = markdown.find(":::", end)


def segments(markdown: str) -> list[str]:
    """The Markdown cut where a new top-level block starts after a blank line, outside any
    `:::` container (each part then parses exactly as it does inside the whole). Anything
    but plain containers (a fence indented, nested, unknown or unpaired) leaves it uncut."""
    fences = []
    opened = 0  # the marker length of the open container; 0: none
    for fence in _fences(markdown):
        if fence is None:
            return [markdown]
        offset, marker, params = fence[0], fence[1], fence[2].strip()
        if not opened and params.split(" ", 1)[0] in CONTAINERS:
            opened = marker
            fences.append((offset, 1))
        elif opened and not params and marker >= opened:
            opened = 0
            fences.append((offset, -1))
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
