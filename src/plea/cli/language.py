"""Help in the user's language (plea.i18n), put in when help is printed, never before: `plea status`
reads no catalog, and English reads none at all.

Commands keep their English help as Typer builds it (from `help=` and docstrings, extracted into
the catalog by plea.i18n_extract); PleaContext translates a command's help, its options' and its
subcommands' one-line summaries just before the help page is formatted, and the "Usage:" prefix.
Typer's own words ("Options", "Arguments", "Commands", "default", "required", "Aborted!") come from
its module typer.core, which calls the standard library's gettext.gettext: `install()` points that
name at plea.i18n's `_` (it steps aside if Typer ever stops calling gettext.gettext). Typer's copy of
Click writes "Error:", "Try … for help." and its usage errors ("Missing option …") as plain strings,
with no gettext: `localize_usage_error` prints them through plea's catalogs instead, in the same
layout (English output is Click's own).
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

from plea.i18n import N_, _, language, translate

#: Typer's and Click's own words, marked here so that they are extracted into plea's catalog
TYPER_WORDS = (N_("Options"), N_("Arguments"), N_("Commands"), N_("default: {default}"), N_("required"),
               N_("env var: {var}"), N_("(dynamic)"), N_("Aborted!"), N_("Missing command."),
               N_("No such command {name!r}."), N_("Usage: "), N_("Show this message and exit."))


#: Click's usage errors (typer._click.exceptions), as templates for plea.i18n.translate
CLICK_ERRORS = (N_("Error: {message}"), N_("Try '{command} {option}' for help."),
                N_("No such option: {name}"), N_("No such option: {name} (Possible options: {options})"),
                N_("Missing option {name}."), N_("Missing argument {name}."), N_("Missing parameter: {name}"),
                N_("Invalid value for {name}: {message}"), N_("Invalid value: {message}"),
                N_("Got unexpected extra argument(s) ({arguments})"),
                N_("Option {name} does not take a value."),
                N_("{message}. Did you mean {suggestions}?"))


def install() -> None:
    """Typer's words through plea's catalogs (typer.core binds gettext.gettext as `_`)."""
    import gettext

    import typer.core

    if getattr(typer.core, "_", None) is gettext.gettext:
        typer.core._ = _  # type: ignore[attr-defined]


class Formatter(typer.Context.formatter_class):  # type: ignore[misc,name-defined]
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)


class PleaContext(typer.Context):
    formatter_class = Formatter

    def get_help(self) -> str:
        translate_help(self.command, self)
        return super().get_help()


def use_context(command: Any) -> Any:
    """Give a command built by Typer, and its subcommands, plea's context (translated help)."""
    command.context_class = PleaContext
    for sub in (getattr(command, "commands", None) or {}).values():
        use_context(sub)
    return command


def translate_help(command: Any, ctx: Any) -> None:
    """Put the command's help texts in the user's language, before its help page is formatted."""
    if language() == "en":
        return
    option = command.get_help_option(ctx)
    if option is not None:
        option.help = _(option.help)
    for cmd in (command, *(getattr(command, "commands", None) or {}).values()):
        cmd.help = _text(cmd.help)
        cmd.short_help = _text(cmd.short_help)
        for param in cmd.params:
            if getattr(param, "help", None):
                param.help = _text(param.help)


def _text(text: str | None) -> str | None:
    if not text:
        return text
    translated = _(text)
    return translated if translated != text else _(inspect.cleandoc(text))


def localize_usage_error(exc: BaseException) -> None:
    """Have a Click usage error print in the user's language when Typer shows it (it calls
    `exc.show()`). Steps aside for English and for errors that show something else (the help page
    of a command given no arguments)."""
    shown_by = getattr(getattr(type(exc), "show", None), "__qualname__", "")
    if language() == "en" or shown_by not in ("ClickException.show", "UsageError.show"):
        return

    def show(file: Any = None) -> None:
        ctx = getattr(exc, "ctx", None)
        color = None if ctx is None else ctx.color
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = _("Try '{command} {option}' for help.").format(
                    command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
            typer.echo(f"{ctx.get_usage()}\n{hint}", file=file, err=file is None, color=color)
        message = translate(exc.format_message())  # type: ignore[attr-defined]
        typer.echo(_("Error: {message}").format(message=message), file=file, err=file is None, color=color)

    exc.show = show  # type: ignore[attr-defined]
