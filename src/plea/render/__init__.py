"""Letters: Jinja templates → light Markdown → blocks → DOCX / Markdown / text."""
