"""Cleaning text where it enters plea, once: characters that XML (and so DOCX) cannot
hold are removed, and so are bidirectional controls (U+202A-U+202E embeddings and overrides,
U+2066-U+2069 isolates, U+200E/U+200F and U+061C marks), which would reorder the text around a
name in tables and letters ("U+202E" turns "Ivan" into what reads as another name); newlines
are normalised. Everything downstream can then trust the text."""

from __future__ import annotations

import re

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
                      r"\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def no_bidi(value: str) -> str:
    """Without bidirectional controls: for text stored before clean() removed them, where it is
    shown (tables) or written (letters)."""
    return _BIDI.sub("", value)


def clean(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_BAD.sub("", value)


def clean_line(value: str) -> str:
    """A one-line field: newlines and tabs become spaces."""
    return re.sub(r"[\n\t]+", " ", clean(value)).strip()
