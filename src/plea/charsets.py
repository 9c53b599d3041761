"""Which encoding a spreadsheet was saved in: UTF-8 (with or without BOM), UTF-16, or one of the
single-byte code pages Excel and LibreOffice use for Russian and Western text.

A file that is not UTF-8 decodes without error in almost every single-byte code page, so the
candidates are each decoded and judged by what names and words look like: a word mixing Latin and
Cyrillic letters ("Josй"), Cyrillic turned into accented Latin ("Èâàí"), a capital after a small
letter ("хБЮМ"), a symbol glued to letters ("»ван") or box drawing are not what people type.
The one candidate with the fewest such words wins; `charset_normalizer` breaks a tie only when
it tells the tied candidates apart clearly. Otherwise plea stops and names the candidates.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from plea.errors import InvalidInput

#: the single-byte code pages tried when a file is not UTF-8, in the order they are named
CANDIDATES = ("cp1251", "cp1252", "koi8_r", "mac_cyrillic", "mac_roman")
#: non-letters that people type beside words (quotes, dashes, currency, numero)
_USUAL = set("«»„“”‘’‚–—…№°§·•€£©®™×\u00a0\u2009\u202f")
_INSIDE_OK = set("’‘")  # apostrophes inside a name: O’Brien
_NOT_BEFORE_LETTERS = set("…°·•×¤")
#: Serbian and Macedonian letters: what cp1251 capitals become when read as Mac Cyrillic ("њривет")
_SOUTH_SLAVIC = set("ђјљњћџѓќѕЂЈЉЊЋЏЃЌЅ")
_TOKEN = re.compile(r"[^ \t\r\n]*[^\x00-\x7f][^ \t\r\n]*")  # split at ASCII spaces: a no-break space stays in
_SPACES = set("\u00a0\u2009\u202f")
#: a winner may have a few odd words (a typo, a symbol) but no more than this share of them
_ODD_SHARE = 0.1


@dataclass
class Decoded:
    text: str
    encoding: str


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return "latin" if name.startswith("LATIN") else "cyrillic" if name.startswith("CYRILLIC") else "other"


def _odd_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if any(c in _SOUTH_SLAVIC for c in letters):
        return True
    scripts = {_script(c) for c in letters}
    if "other" in scripts or len(scripts) > 1:
        return True
    if scripts == {"latin"}:
        accented = sum(1 for c in letters if not c.isascii())
        if accented >= 2 and accented > len(letters) - accented:
            return True  # "Èâàí": Cyrillic read as Latin-1
    return any(a.islower() and b.isupper() for a, b in zip(letters, letters[1:], strict=False))


def _odd_token(token: str) -> bool:
    """A whitespace-separated token holding non-ASCII characters: does it look mis-decoded?"""
    for i, ch in enumerate(token):
        if ch.isascii() or ch.isalpha() or unicodedata.category(ch).startswith("M"):
            continue
        if ch not in _USUAL:
            return True  # box drawing, math, control characters
        before = token[i - 1].isalpha() if i else False
        after = token[i + 1].isalpha() if i + 1 < len(token) else False
        if ch in _SPACES:
            if after and token[i + 1].islower() and not (i and token[i - 1].isalnum()):
                return True  # ";\u00a0онсульский": cp1251 "К" read as Mac Cyrillic
            continue
        if before and after and ch not in _INSIDE_OK:
            return True  # "мо¤", "ц‚в"
        if (ch == "»" and after and not before) or (ch == "«" and before and not after):
            return True  # "»ван"
        if after and ch in _NOT_BEFORE_LETTERS:
            return True  # "…mile": Mac Roman read for cp1252 "Émile"
    return any(_odd_word(w) for w in re.findall(r"[^\W\d_]+", token))


def oddness(text: str) -> tuple[int, int]:
    """(odd tokens, tokens with non-ASCII characters), over the distinct tokens of text."""
    tokens = set(_TOKEN.findall(text))
    return sum(1 for t in tokens if _odd_token(t)), len(tokens)


def _column_oddness(cells: Iterable[tuple[str, str]]) -> tuple[bool, int]:
    """(a cell that must be in Latin script holds other letters, name words without a capital):
    cells come as (role, text), role "latin" (name_latin: a name in Latin script) or "name"."""
    not_latin, small = False, 0
    for role, cell in cells:
        if role == "latin" and any(_script(c) != "latin" for c in cell if c.isalpha() and not c.isascii()):
            not_latin = True
        # a name's words start with a capital: "‘ёдор ўербаков" is cp1251 "Фёдор Щербаков" as Mac Cyrillic
        small += sum(1 for w in re.findall(r"[^\W\d_]+", cell) if not w.isascii() and not w[0].isupper())
    return not_latin, small


def detect_wide(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        return "utf-16-le"
    if even > len(sample) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _where(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data[: exc.start].count(b"\n") + 1
    return f"line {line}, byte {exc.start}"


def decode_as(data: bytes, encoding: str, path: Path | str) -> Decoded:
    """Decode with the encoding a user named (--encoding); every byte must be valid in it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InvalidInput(f"--encoding {encoding!r}: not an encoding Python knows",
                           hint=f"try one of utf-8, utf-16, {', '.join(CANDIDATES)}") from None
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    try:
        return Decoded(data.decode(name), name)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not valid {name} ({_where(data, exc)}); nothing was imported",
                           hint="name the encoding the file was saved in with --encoding") from None


#: a candidate's decoded text → its cells that hold names, as (role, text): role "latin" for a
#: name in Latin script (name_latin), "name" for a name in any script
NameCells = Callable[[str], Iterable[tuple[str, str]]]


def detect(data: bytes, path: Path | str, *, names: NameCells | None = None) -> Decoded:
    """Decode the bytes of a CSV file. `names` picks the cells that hold names out of a candidate's
    text, to judge it. InvalidInput when no candidate is clearly right, naming the candidates."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name)
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"{path}: the file says it is {name} (it starts with a byte order mark) "
                                   f"but it is not ({_where(data, exc)})",
                                   hint="save it again from your spreadsheet as 'CSV UTF-8'") from None
    wide = detect_wide(data)
    if wide:
        return decode_as(data, wide, path)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _single_byte(data, path, names or (lambda text: ()))


def _single_byte(data: bytes, path: Path | str, name_cells: NameCells) -> Decoded:
    scored: list[tuple[int, str, str]] = []
    for name in CANDIDATES:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        odd, total = oddness(text)
        not_latin, small = _column_oddness(name_cells(text))
        odd += small + (total + 1 if not_latin else 0)  # not Latin: worse than any that keeps it Latin
        scored.append((odd, name, text))
    scored.sort(key=lambda s: s[0])
    best = scored[0][0]
    _, total = oddness(scored[0][2])
    tied = [s for s in scored if s[0] == best]
    if len({text for _, _, text in tied}) > 1:
        tied = _tie_break(data, tied)
    if len({text for _, _, text in tied}) == 1 and best <= _ODD_SHARE * max(total, 1):
        return Decoded(tied[0][2], tied[0][1])
    names = [name for _, name, _ in (tied if len(tied) > 1 else scored[:3])]
    raise InvalidInput(
        f"{path}: cannot tell which encoding the file was saved in (it could be {', '.join(names)}); "
        "nothing was imported",
        hint=f"name it with --encoding (for example --encoding {names[0]}), or save the file from your "
             "spreadsheet as 'CSV UTF-8'",
    )


def _tie_break(data: bytes, tied: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """Ask charset_normalizer about the tied candidates; keep its pick only if it is clear."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=[name for _, name, _ in tied]))
    if not matches:
        return tied
    chaos = {codecs.lookup(m.encoding).name: (m.chaos, -m.coherence) for m in matches}
    ranked = sorted(chaos.items(), key=lambda kv: kv[1])
    if len(ranked) == 1 or ranked[0][1][0] + 0.05 <= ranked[1][1][0]:
        winner = ranked[0][0]
        return [t for t in tied if codecs.lookup(t[1]).name == winner]
    return tied
