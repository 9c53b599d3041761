"""The accelerator's staged templates (plea.letters.fast): one letter template split into a
case-level template with markers, the pieces that read only the mission, and those that read
both; zero-argument macros inlined and ifs split to find more pieces of the second kind; the
pieces spliced back at their markers, checked."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from plea.letters.fast_analysis import (
    DEFS,
    LETTER,
    RECIPIENT,
    REFS,
    UNFOLLOWED_NODES,
    Analysis,
    Scope,
    Unfollowed,
    check_followed,
)
from plea.render.jinja import MAX_OUTPUT_CHARS


class Touched(Exception):
    """The case-level rendering used a recipient variable: the analysis missed a dependency."""


class Poison(Mapping):  # type: ignore[type-arg]
    """Stands for a recipient variable in the case-level rendering: any use raises."""

    def _touch(self, *_: Any, **__: Any) -> Any:
        raise Touched()

    __getitem__ = __iter__ = __len__ = __getattr__ = __str__ = __bool__ = __eq__ = __hash__ = _touch  # type: ignore
    __contains__ = __html__ = __call__ = __format__ = __lt__ = __add__ = __radd__ = __repr__ = _touch  # type: ignore


POISON = Poison()


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
        self._setup(env, name, secrets.token_hex(8))
        try:
            self._build()
        except Unfollowed:
            self.ok = False
        finally:
            REFS.clear()

    def _setup(self, env: Any, name: str, nonce: str) -> None:
        self.env = env
        self.name = name
        self.ok = False
        self.nonce = nonce
        self.pieces = 0
        self.codes: dict[str, Any] = {}  # "case", "mission", "letter" → the compiled template's code
        self.case_template: Any = None
        self.mission_template: Any = None
        self.letter_template: Any = None
        self._marks = re.compile("\ue000" + self.nonce + ":([0-9]+)\ue001")
        self._seps = re.compile("\ue002" + self.nonce + ":([0-9]+)\ue003")

    def marker(self, i: int) -> str:
        return f"\ue000{self.nonce}:{i}\ue001"

    def separator(self, i: int) -> str:
        return f"\ue002{self.nonce}:{i}\ue003"

    def _build(self) -> None:
        parsed: dict[str, nodes.Template] = {}
        self.by_recipient = Analysis(self.env, RECIPIENT, parsed)
        self.by_letter = Analysis(self.env, LETTER, parsed)
        body = self.by_recipient.parse(self.name).body
        self.scope_r, self.scope_l = Scope(self.by_recipient), Scope(self.by_letter)
        self.imports: dict[str, str] = {}  # alias → template, for imports with context
        self.top_names = _definitions(body)
        self.found: list[tuple[nodes.Node, bool]] = []  # each piece: (statement, per letter)
        case_body: list[nodes.Node] = []
        mission_body: list[nodes.Node] = []
        letter_body: list[nodes.Node] = []
        for node in body:
            check_followed(node)
            if isinstance(node, DEFS):
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
                    raise Unfollowed()
                case_body.extend(self._stage([node], 0))
        for i, (statement, per_letter) in enumerate(self.found):
            target = letter_body if per_letter else mission_body
            target += [nodes.Output([nodes.TemplateData(self.separator(i))]), statement]
        self.pieces = len(self.found)
        self.codes["case"] = self._compile(case_body)
        if any(not per_letter for _, per_letter in self.found):
            self.codes["mission"] = self._compile(mission_body)
        if any(per_letter for _, per_letter in self.found):
            self.codes["letter"] = self._compile(letter_body)
        self._templates()
        self.ok = True

    def _templates(self) -> None:
        def made(code: Any) -> Any:
            if code is None:
                return None
            return self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)

        self.case_template = made(self.codes.get("case"))
        self.mission_template = made(self.codes.get("mission"))
        self.letter_template = made(self.codes.get("letter"))

    def saved(self) -> dict[str, Any]:
        """What restore() needs to make this again without the analysis (plea.render.compiled)."""
        return {"nonce": self.nonce, "pieces": self.pieces, "codes": dict(self.codes)}

    @classmethod
    def restore(cls, env: Any, name: str, saved: dict[str, Any]) -> Staged:
        """A Staged from saved(), for the same template sources, analysis and environment."""
        staged = cls.__new__(cls)
        staged._setup(env, name, str(saved["nonce"]))
        staged.pieces = int(saved["pieces"])
        staged.codes = dict(saved["codes"])
        staged._templates()
        staged.ok = True
        return staged

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
        return self.env.compile(template)

    def render_case(self, context: dict[str, Any]) -> str:
        ctx = {**context, **{name: POISON for name in RECIPIENT}}
        return _capped(self.case_template.generate(**ctx))

    def render_mission(self, context: dict[str, Any]) -> dict[int, str]:
        """The pieces that read only the mission (the case and the letter's own are poison)."""
        if self.mission_template is None:
            return {}
        ctx = {**context, **{name: POISON for name in LETTER}}
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
    *UNFOLLOWED_NODES,
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
