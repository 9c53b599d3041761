"""The `plea` command: a root app joining one sub-app per noun.

Errors from the core (PleaError) become one line `plea: error: …` on stderr and the
error's exit code; a traceback only with --debug (locals could hold asylum data).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from plea import __version__
from plea.cli import campaign, cases, db, demo, doctor, embassies, letters, responses, templates
from plea.cli import inbox, send
from plea.cli import audit, export, report
from plea.cli import batch
from plea.cli.common import OPTIONS, close_all


class PleaGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        from plea.errors import ExitStatus, PleaError

        try:
            return super().invoke(ctx)
        except PleaError as exc:
            if OPTIONS.debug:
                raise
            typer.echo(f"plea: error: {exc}", err=True)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("plea: interrupted; nothing was half-written", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if OPTIONS.debug or exc.__class__.__module__.startswith("click"):
                raise
            typer.echo(
                f"plea: error: unexpected {exc.__class__.__name__}. Nothing was committed. "
                "Run again with --debug for details (the trace may contain personal data: "
                "check it before sharing).",
                err=True,
            )
            raise typer.Exit(int(ExitStatus.ERROR)) from None
        finally:
            close_all()


app = typer.Typer(
    cls=PleaGroup,
    name="plea",
    help="Letter campaigns to governments: cases, letters to every embassy in its language, and who answered.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plea {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db_path: Annotated[str | None, typer.Option("--db", help="Use this SQLite database file.", metavar="PATH")] = None,
    actor: Annotated[str | None, typer.Option("--actor", metavar="NAME", help="Who is acting, for the history (else PLEA_ACTOR, else your login).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show plea's version.")] = False,
) -> None:
    OPTIONS.db = db_path
    OPTIONS.actor = actor
    OPTIONS.debug = debug


app.command("init")(db.init)
app.command("status")(campaign.status)
app.command("followups")(campaign.followups)
app.command("history")(campaign.history)
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.command("batch")(batch.batch)
app.add_typer(db.app, name="db")
app.add_typer(embassies.app, name="embassies")
app.add_typer(cases.app, name="cases")
app.add_typer(letters.app, name="letters")
app.add_typer(responses.app, name="responses")
app.add_typer(templates.app, name="templates")
app.add_typer(campaign.config_app, name="config")
app.command("send")(send.send)
app.add_typer(send.outbox_app, name="outbox")
app.add_typer(inbox.app, name="inbox")
app.add_typer(audit.app, name="audit")
app.command("export")(export.export)
app.command("report")(report.report)
campaign.config_app.command("password")(send.config_password)


def main() -> None:
    import sys

    if sys.argv[1:] == ["--version"]:  # answer before Typer builds every command (start-up speed)
        print(f"plea {__version__}")
        return
    app()
