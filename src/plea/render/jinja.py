"""The letter templates' Jinja environment: sandboxed, strict, bounded.

- SandboxedEnvironment: no Python attribute tricks (__class__, __globals__, format strings).
- StrictUndefined: a template that names a field the context lacks fails, and the error
  names the template file, its line and the field.
- Values are escaped for Markdown on output (finalize), so a "*" or "1." in a person's
  story stays text; the template's own Markdown and macro output are left alone.
- Huge `*` and `**` are refused and output is capped, since the sandbox does not bound
  resources by itself.
"""

from __future__ import annotations

import re
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from plea.errors import TemplateProblem
from plea.render import locale as loc

MAX_OUTPUT_CHARS = 200_000
MAX_OPERAND = 10_000
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def md_escape(value: str) -> str:
    """Escape a value so that Markdown shows it as plain text (paragraph breaks kept)."""
    lines = [line.strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "__html__"):  # macro output and explicit Markup: already Markdown
        return value
    return Markup(md_escape(str(value)))


def _join(values: Any, sep: str = "") -> Markup:
    """`join` that escapes each item for Markdown (Jinja's own would HTML-escape them)."""
    return Markup(str(_finalize(sep)).join(str(_finalize(v)) for v in values))


class LetterEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large in a letter template")
        if operator == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, (str, list, tuple)) and isinstance(b, int) and b * max(len(a), 1) > MAX_OPERAND:
                    raise SecurityError("repetition too large in a letter template")
        return super().call_binop(context, operator, left, right)


def make_environment(root: Path, lang: str) -> LetterEnvironment:
    env = LetterEnvironment(
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["join"] = _join
    env.filters["date"] = lambda d: loc.long_date(d, lang) if isinstance(d, date) else d
    env.filters["country"] = lambda code: loc.state_name(code, lang)
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
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        file, line = template_position(exc, root)
        raise TemplateProblem(f"{_relative(file, root)}:{line}: template error: {exc}") from None


def _undefined_field(message: str) -> str:
    m = re.search(r"has no attribute '([^']+)'", message) or re.search(r"'([^']+)' is undefined", message)
    return repr(m.group(1)) if m else "?"
