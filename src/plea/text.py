"""Cleaning text where it enters plea, once: characters that XML (and so DOCX) cannot
hold are removed, newlines normalised. Everything downstream can then trust the text."""

from __future__ import annotations

import re

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_BAD.sub("", value)


def clean_line(value: str) -> str:
    """A one-line field: newlines and tabs become spaces."""
    return re.sub(r"[\n\t]+", " ", clean(value)).strip()
