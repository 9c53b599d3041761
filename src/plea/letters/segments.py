"""The Markdown → blocks parse, a top-level segment at a time (the text between blank lines where a
new block starts outside any `:::` container), cached: the same paragraph in 500 letters is parsed
once. tests/test_batch.py checks it against the ordinary parse."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from plea.render.blocks import CONTAINERS, Block, parse


class Cache(OrderedDict):  # type: ignore[type-arg]
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
        self.cache = Cache(size)

    def blocks(self, markdown: str) -> list[tuple[str, list[Block]]]:
        return [(seg, self.cache.get_or(seg, lambda s=seg: parse(s))) for seg in segments(markdown)]

    def parse(self, markdown: str) -> list[Block]:
        return [b for _, blocks in self.blocks(markdown) for b in blocks]
