"""Domain errors. Each class carries the process exit code the CLI returns for it.

The core raises these; the CLI prints one line `plea: error: …` on stderr and exits with
the code. Exit codes are documented in README.md ("Exit codes").
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # unexpected failure (a bug: rerun with --debug and report it)
    USAGE = 2  # bad command line (unknown option, missing argument)
    INVALID_INPUT = 3  # bad data in a file or a field; nothing was changed
    NOT_FOUND = 4  # unknown case, mission, state, template or file
    DATABASE = 5  # database missing, locked, corrupt or of a newer version
    CONFLICT = 6  # would overwrite or contradict existing data (see --force)
    TEMPLATE = 7  # a letter template is broken or needs a field the case lacks
    EXTERNAL = 8  # an outside program is missing or failed (e.g. LibreOffice)


class PleaError(Exception):
    """Base of every error plea reports to a user."""

    exit_code: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  {self.hint}"


class InvalidInput(PleaError):
    exit_code = ExitStatus.INVALID_INPUT

    def __init__(self, message: str, *, problems: list[str] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []

    #: problems printed at most; the rest are counted (a 10,000-column header is one mistake)
    SHOWN = 20

    def __str__(self) -> str:
        lines = [self.message, *self.problems[: self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"… and {len(self.problems) - self.SHOWN} more problem(s)")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class NotFound(PleaError):
    exit_code = ExitStatus.NOT_FOUND


class DatabaseProblem(PleaError):
    exit_code = ExitStatus.DATABASE


class Conflict(PleaError):
    exit_code = ExitStatus.CONFLICT


class TemplateProblem(PleaError):
    exit_code = ExitStatus.TEMPLATE


class ExternalProblem(PleaError):
    exit_code = ExitStatus.EXTERNAL
