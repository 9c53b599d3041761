"""The file formats a letter is written in, as --format names them. Kept apart from the plan (which
brings the database layer) so that `plea batch` checks its options, and starts its workers,
before it loads the database layer."""

from __future__ import annotations

from plea.errors import InvalidInput

FORMATS = ("docx", "pdf", "md", "txt")


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InvalidInput(
            f"--format: unknown {', '.join(bad) or 'format'}; choose from {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))
