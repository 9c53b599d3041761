"""Letters, from a case to written files: one path for `plea letters render` (a batch of one
case) and `plea batch` (many cases, a worker pool).

choose.py   who gets a letter (the recipient rule, plea.recipients) and what follow-ups cite
plan.py     one Plan of Items and what is already done;  names.py  the one file-name rule
inputs.py   the one inputs hash;  annex.py  the documents a letter carries, the PDF packet
fast.py     the renderer's accelerator (case-level stage, segment cache), fallbacks counted
work.py     rendering a chunk of letters in memory (in a worker or in this process)
write.py    durable chunked writes;  pdf.py  LibreOffice conversion
record.py   the one recorder (letters, renditions, history in bulk);  manifest.py  manifest, zips
run.py      running a plan: checks, chunks, recording;  output.py  the output folder, its lock
            and journal;  workers.py  the worker pool
"""

from typing import Any

__all__ = ["Planned", "render_all", "with_context"]


def __getattr__(name: str) -> Any:
    # loaded when asked for: a worker imports plea.letters.work without the database layer that
    # choose.py brings (about 0.4 s of a batch's start-up)
    if name in __all__:
        from plea.letters import choose

        return getattr(choose, name)
    raise AttributeError(f"module 'plea.letters' has no attribute {name!r}")
