"""Light Markdown → a list of styled blocks, the one shape every output writer reads.

Parsed with markdown-it-py (CommonMark, raw HTML off) and mdit-py-plugins' containers:
`::: sender`, `::: recipient`, `::: date`, `::: subject`, `::: closing`, `::: signature` mark the
letter's parts, each mapped to a paragraph style of its own (docx.py places the sender and
recipient blocks in frames and keeps the closing with the signature). A line break inside a
paragraph stays a line break (address blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

CONTAINERS = ("date", "sender", "recipient", "subject", "closing", "signature")


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    br: bool = False  # a line break before this run's text


@dataclass
class Block:
    style: str  # body, heading1-3, bullet, number, or a container: sender, recipient, date, subject, closing, signature
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(("\n" if r.br else "") + r.text for r in self.runs)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from mdit_py_plugins.container import container_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["html_block", "html_inline", "image", "code", "fence", "link", "autolink", "reference"])
    for name in CONTAINERS:
        md.use(container_plugin, name=name)
    return md


def _inline_runs(token: Token) -> list[Run]:
    runs: list[Run] = []
    bold = italic = False
    pending_br = False
    for child in token.children or []:
        t = child.type
        if t == "strong_open":
            bold = True
        elif t == "strong_close":
            bold = False
        elif t == "em_open":
            italic = True
        elif t == "em_close":
            italic = False
        elif t in ("softbreak", "hardbreak"):
            pending_br = True
        elif t in ("text", "code_inline"):
            if child.content:
                runs.append(Run(child.content, bold, italic, pending_br))
                pending_br = False
    return runs


def parse(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    container: str | None = None
    lists: list[str] = []
    heading: str | None = None
    for token in _parser().parse(markdown):
        t = token.type
        if t.startswith("container_") and t.endswith("_open"):
            container = t[len("container_"): -len("_open")]
        elif t.startswith("container_") and t.endswith("_close"):
            container = None
        elif t == "bullet_list_open":
            lists.append("bullet")
        elif t == "ordered_list_open":
            lists.append("number")
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "heading_open":
            heading = f"heading{min(int(token.tag[1]), 3)}"
        elif t == "heading_close":
            heading = None
        elif t == "inline":
            style = container or heading or (lists[-1] if lists else "body")
            runs = _inline_runs(token)
            if runs:
                blocks.append(Block(style, runs))
    return blocks


def to_text(blocks: list[Block]) -> str:
    """Plain text: a blank line between blocks, list items marked."""
    out: list[str] = []
    number = 0
    for block in blocks:
        text = block.text
        if block.style == "bullet":
            out.append("• " + text.replace("\n", "\n  "))
        elif block.style == "number":
            number += 1
            out.append(f"{number}. " + text)
        else:
            number = 0
            out.append(text)
    return "\n\n".join(out) + "\n"
