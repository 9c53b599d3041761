"""Header fields read in bounded, linear time: the header block split off the raw bytes, the
size caps checked before anything is parsed, and RFC 2047 encoded words decoded in one pass.

The standard library's default policy folds and decodes a header through a parser whose cost
grows with the square of the header's length (a 200 KB encoded Subject took 426 MB); plea
parses with the compat32 policy, which keeps header values as raw strings, and decodes the
few fields it reads here (bench/headers.py measures both)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

DEFAULT_MAX_HEADER_KB = 256
DEFAULT_MAX_MESSAGE_MB = 50
# =?charset?Q|B?text?=  (charset may carry an RFC 2231 language: utf-8*en)
ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([QqBb])\?([^?\s]*)\?=")
FOLD = re.compile(r"\r?\n(?=[ \t])")
QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Limits:
    """The caps on what plea parses: the header block and the whole message, in bytes."""

    header: int = DEFAULT_MAX_HEADER_KB * 1024
    message: int = DEFAULT_MAX_MESSAGE_MB * 1024 * 1024


class TooLarge(Exception):
    """Over a cap: the text says which and by how much."""


def header_block(raw: bytes) -> bytes:
    """The bytes before the first empty line (the whole message if there is none)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[: min(ends)] if ends else raw


def check_size(raw: bytes, limits: Limits) -> None:
    if len(raw) > limits.message:
        raise TooLarge(
            f"message of {_size(len(raw))}, over the {_size(limits.message)} cap (inbox.max_message_mb)"
        )
    head = len(header_block(raw))
    if head > limits.header:
        raise TooLarge(f"header of {_size(head)}, over the {_size(limits.header)} cap (inbox.max_header_kb)")


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


def _charset(name: str) -> str:
    import codecs

    name = name.partition("*")[0].strip().lower()
    try:
        return codecs.lookup(name).name
    except LookupError:  # an unknown charset name: keep what can be read
        return "utf-8"


def _word_bytes(kind: str, text: str) -> bytes:
    data = text.encode("ascii", "replace")
    if kind in "Bb":
        data += b"=" * (-len(data) % 4)
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError):
            return data
    return QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def decode_words(value: str) -> str:
    """An unstructured header value with its encoded words decoded, folds removed, in one pass.
    Adjacent words of one charset are joined before decoding (a character may be split
    between them); whitespace between two encoded words is dropped (RFC 2047 section 6.2)."""
    value = FOLD.sub("", value)
    out: list[str] = []
    pending: list[bytes] = []
    charset = ""
    pos = 0
    for m in ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        adjacent = bool(charset) and not between.strip()  # only whitespace since the last word
        cs = _charset(m.group(1))
        if pending and not (adjacent and cs == charset):
            out.append(b"".join(pending).decode(charset, "replace"))
            pending = []
        if not adjacent:
            out.append(between)
        pending.append(_word_bytes(m.group(2), m.group(3)))
        charset, pos = cs, m.end()
    if pending:
        out.append(b"".join(pending).decode(charset, "replace"))
    out.append(value[pos:])
    return "".join(out)


def raw_fields(block: bytes) -> dict[str, str]:
    """Lower-case name → first value of each field in a header block (folds kept), linear.
    For a message too large or too broken to parse: enough to show whom it is from."""
    fields: dict[str, str] = {}
    name = ""
    lines: list[str] = []
    for line in block.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and name:
            lines.append(line)
            continue
        if name and name not in fields:
            fields[name] = "\n".join(lines)
        key, colon, rest = line.partition(":")
        name, lines = (key.strip().lower(), [rest]) if colon and " " not in key.strip() else ("", [])
    if name and name not in fields:
        fields[name] = "\n".join(lines)
    return fields
