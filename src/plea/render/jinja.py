"""The letter templates' Jinja environment: sandboxed, strict, bounded.

- SandboxedEnvironment: no Python attribute tricks (__class__, __globals__, format strings).
- StrictUndefined: a template that names a field the context lacks fails, and the error
  names the template file, its line and the field.
- Values are escaped for Markdown on output (finalize), so a "*" or "1." in a person's
  story stays text; the template's own Markdown and macro output are left alone.
- Huge `*`, `**` and `%`, numbers over MAX_OPERAND passed to any call or filter
  (`'a'.ljust(10**9)`, `'a'|center(10**9)`), huge widths in format strings, and `lipsum`
  are refused, and output is capped, since the sandbox does not bound resources by itself.
  This bounds mistakes and the obvious tricks, not a determined template author (chains of
  `replace` or `~` still grow strings): templates from elsewhere belong in a child process
  with resource limits (see SAFETY.md, "Templates").
"""

from __future__ import annotations

import functools
import re
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from plea.errors import TemplateProblem
from plea.render import locale as loc
from plea.render import names
from plea.render.confine import ConfinedLoader
from plea.text import no_bidi

MAX_OUTPUT_CHARS = 200_000
MAX_OPERAND = 10_000
MAX_INT_BITS = 4_096  # far beyond any number a letter needs
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")  # & : entities such as &copy; are Markdown too
# at the start of a line: `=` underlines a setext heading, `:` opens a `::: container`
_MD_LINE_START = re.compile(r"^([=:])")
_WIDE_FORMAT = re.compile(r"\d{5,}")  # a width or precision of 10,000 or more in a format string


def md_escape(value: str) -> str:
    """Escape a value so that Markdown shows it as plain text (paragraph breaks kept)."""
    lines = [line.strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(_MD_LINE_START.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", line)) for line in lines)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "__html__"):  # macro output and explicit Markup: already Markdown
        return value
    return Markup(md_escape(no_bidi(str(value))))  # no_bidi: values stored before plea.text.clean did it


def _join(values: Any, sep: str = "") -> Markup:
    """`join` that escapes each item for Markdown (Jinja's own would HTML-escape them)."""
    # the separator is the template's own text: escaped, but its spaces kept (md_escape strips lines)
    separator = str(sep) if hasattr(sep, "__html__") else _MD_SPECIAL.sub(r"\\\1", str(sep))
    return Markup(separator.join(str(_finalize(v)) for v in values))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _too_big(value: Any, depth: int = 0) -> bool:
    """A number over MAX_OPERAND, also inside a list, tuple or dict given as an argument."""
    if _is_int(value):
        return abs(value) > MAX_OPERAND
    if depth < 2 and isinstance(value, (list, tuple)):
        return any(_too_big(v, depth + 1) for v in value)
    if depth < 2 and isinstance(value, dict):
        return any(_too_big(v, depth + 1) for v in value.values())
    return False


def _bounded_filter(name: str, func: Any) -> Any:
    """A filter that refuses huge numeric arguments (`center(10**9)`) and, for `format`,
    huge widths in the format string."""
    skip = 1 + (1 if hasattr(func, "jinja_pass_arg") else 0)  # context/environment, then the value

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value = args[skip - 1] if len(args) >= skip else None
        if name == "format" and isinstance(value, str) and _WIDE_FORMAT.search(value):
            raise SecurityError("format width too large in a letter template")
        if any(_too_big(a) for a in args[skip:]) or any(_too_big(v) for v in kwargs.values()):
            raise SecurityError(f"number too large for the filter {name!r} in a letter template")
        return func(*args, **kwargs)

    return bounded


class LetterEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _is_int(right) and abs(right) > 64:
            raise SecurityError("exponent too large in a letter template")
        if operator == "**" and _is_int(left) and _is_int(right) and left.bit_length() * right > MAX_INT_BITS:
            raise SecurityError("number too large in a letter template")
        if operator == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, (str, list, tuple)) and _is_int(b) and b * max(len(a), 1) > MAX_OPERAND:
                    raise SecurityError("repetition too large in a letter template")
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("number too large in a letter template")
        if operator == "%" and isinstance(left, str) and (_WIDE_FORMAT.search(left) or _too_big(right)):
            raise SecurityError("format width too large in a letter template")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Calls from templates: no huge numbers (`'a'.ljust(10**9)`, `range(10**6)`), no huge
        widths in `str.format` strings (`'{:>999999999}'.format(x)`)."""
        if any(_too_big(a) for a in args) or any(_too_big(v) for v in kwargs.values()):
            raise SecurityError("number too large in a letter template")
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str) and getattr(target, "__name__", "") in ("format", "format_map") \
                and _WIDE_FORMAT.search(owner):
            raise SecurityError("format width too large in a letter template")
        return super().call(__context, __obj, *args, **kwargs)


def _address_lines(mission: Any, lang: str, sender_country: Any) -> list[str]:
    from plea.postal import address_lines

    return address_lines(mission, lang=lang, sender_country=str(sender_country or ""))


def make_environment(root: Path | tuple[Path, ...], lang: str) -> LetterEnvironment:
    """root: the letters/ folder, or the folders in use, first match wins (an overlay, then plea's)."""
    env = LetterEnvironment(
        loader=ConfinedLoader(root),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.pop("lipsum", None)  # lipsum(10**4, max=10**4) runs for minutes; letters have no use for it
    for name, func in list(env.filters.items()):
        env.filters[name] = _bounded_filter(name, func)
    env.filters["join"] = _join
    env.filters["date"] = lambda d: loc.long_date(d, lang) if isinstance(d, date) else d
    env.filters["country"] = lambda code: loc.state_name(code, lang)
    # styled names: {{ case.nationality | state("to") }}, {{ mission | mission_title }} (plea.render.names)
    env.filters["state"] = lambda code, form="nom": names.state_form(str(code or ""), lang, str(form))
    env.filters["mission_title"] = lambda m: str(m.get("name") or "") or names.mission_title(
        str(m.get("kind") or ""), str(m.get("sending") or ""), lang, host=str(m.get("host") or "")
    )
    # the lines of a mission's postal address under its name, for the addressee block:
    # {% for line in mission | address_lines(case.sender.country) %} (plea.postal.address_lines)
    env.filters["address_lines"] = lambda mission, sender_country="": _address_lines(mission, lang, sender_country)
    env.globals["plural"] = lambda n, **forms: loc.plural(lang, int(n), forms)
    return env


def template_position(exc: BaseException, root: Path) -> tuple[str, int | None]:
    """The template file and line where a rendering error happened."""
    if isinstance(exc, TemplateSyntaxError):
        return (exc.filename or exc.name or "?"), exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return str(root), None


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.parent.parent))
    except ValueError:
        return path


def render_template(env: LetterEnvironment, name: str, context: dict[str, Any], root: Path) -> str:
    """Render to Markdown, or raise TemplateProblem naming file, line and field."""
    try:
        template = env.get_template(name)
        out: list[str] = []
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise SecurityError(f"the letter is longer than {MAX_OUTPUT_CHARS:,} characters")
            out.append(chunk)
        return "".join(out)
    except UndefinedError as exc:
        file, line = template_position(exc, root)
        field = _undefined_field(str(exc))
        raise TemplateProblem(
            f"{_relative(file, root)}:{line}: unknown field {field}: {exc}",
            hint="fix the template, or fill the field in the case (`plea cases edit`)",
        ) from None
    except SecurityError as exc:
        file, line = template_position(exc, root)
        raise TemplateProblem(f"{_relative(file, root)}:{line}: refused by the template sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        file, line = template_position(exc, root)
        raise TemplateProblem(f"{_relative(file, root)}:{line}: template syntax error: {exc.message}") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError, LookupError,
            AttributeError) as exc:
        file, line = template_position(exc, root)
        raise TemplateProblem(f"{_relative(file, root)}:{line}: template error: {exc}") from None


def _undefined_field(message: str) -> str:
    m = re.search(r"has no attribute '([^']+)'", message) or re.search(r"'([^']+)' is undefined", message)
    return repr(m.group(1)) if m else "?"
