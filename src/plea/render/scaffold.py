"""A new letter language scaffolded from English (`plea templates new`), the marker that says a
sentence still waits for its translation, and who has checked each language (REVIEW.toml).

The scaffold copies the English template (and the English shared blocks, and the subject line)
into a templates folder of the user's, with MARK before every line of text and a MARK comment
above every list of labels. `templates check` counts what is still marked; a marked line also
shows in a rendered letter, so an untranslated sentence is never sent unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from plea.errors import Conflict, InvalidInput, TemplateProblem

MARK = "[TRANSLATE]"
REVIEW_FILE = "REVIEW.toml"
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")
_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
_QUOTED = re.compile(r"\"[^\"]*[^\W\d_][^\"]*\"")  # a string literal with a letter in it


@dataclass(frozen=True)
class Scaffolded:
    written: list[Path]
    kept: list[Path]  # files that already existed (the blocks, letter.toml): left as they were


def _has_text(line: str) -> bool:
    """A line of the letter's own words (not only tags and Markdown marks)."""
    rest = _TAG.sub(" ", line)
    rest = re.sub(r"^\s*(:::.*|#+|-|\d+\.)", " ", rest).replace("**", " ")
    return bool(re.search(r"[^\W\d_]{2,}", rest))


def mark_for_translation(text: str, lang: str) -> str:
    """The English template with every sentence marked, its blocks import pointed at `lang`."""
    text = text.replace('"_blocks/en.md.j2"', f'"_blocks/{lang}.md.j2"')
    out: list[str] = []
    open_tag = False  # inside a tag that spans lines ({{ {"embassy": "Embassy", … } }})
    for line in text.split("\n"):
        opens = len(re.findall(r"{{|{%|{#", line)) - len(re.findall(r"}}|%}|#}", line))
        if not open_tag and opens > 0 and _QUOTED.search(line):
            out.append(f"{{# {MARK} the words in double quotes below #}}")
            out.append(line)
        elif not open_tag and _has_text(line) and not line.lstrip().startswith("{#"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{MARK} {line.lstrip()}")
        else:
            out.append(line)
        open_tag = (open_tag or opens > 0) and not (open_tag and opens < 0)
    return "\n".join(out)


def marked_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if MARK in line]


def check_lang(lang: str) -> str:
    if not _LANG.match(lang):
        raise InvalidInput(f"--lang {lang!r}: not a language code such as uk or sr-Latn")
    return lang


def scaffold(letter: str, lang: str, target: Path) -> Scaffolded:
    """Write target/letters/<letter>/<lang>.md.j2 (and the blocks, and letter.toml with the subject
    line) from English; Conflict if the template is there already. Nothing is overwritten."""
    from plea.fileio import atomic_write_text
    from plea.render.catalog import SUFFIX, get_letter, load_catalog, locate
    from plea.render.confine import read_text

    check_lang(lang)
    spec = get_letter(letter)
    letters = target / "letters"
    dest = letters / letter / f"{lang}{SUFFIX}"
    if dest.exists():
        raise Conflict(f"{dest}: already there", hint="edit it, or remove it to start again from English")
    written: list[Path] = []
    kept: list[Path] = []
    en = locate(f"{letter}/en{SUFFIX}")
    blocks_en = locate(f"_blocks/en{SUFFIX}")
    if en is None or blocks_en is None:
        raise TemplateProblem(f"the letter {letter!r} has no English template to start from")
    blocks = letters / "_blocks" / f"{lang}{SUFFIX}"
    if locate(f"_blocks/{lang}{SUFFIX}") is None:
        atomic_write_text(blocks, mark_for_translation(read_text(*blocks_en), lang), mode=0o644)
        written.append(blocks)
    else:
        kept.append(blocks)
    meta = letters / letter / "letter.toml"
    if lang not in spec.subjects:
        found = locate(f"{letter}/letter.toml")
        assert found is not None  # get_letter read it
        text = _with_subject(read_text(*found), lang, f"{MARK} {spec.subject('en')}", meta)
        atomic_write_text(meta, text, mode=0o644)
        written.append(meta)
    else:
        kept.append(meta)
    atomic_write_text(dest, mark_for_translation(read_text(*en), lang), mode=0o644)
    written.append(dest)
    load_catalog.cache_clear()  # type: ignore[attr-defined]  # the letter now has one more language
    return Scaffolded(written, kept)


def _with_subject(toml: str, lang: str, subject: str, path: Path) -> str:
    import json
    import tomllib

    lines = toml.split("\n")
    at = next((i for i, line in enumerate(lines) if line.strip() == "[subject]"), None)
    entry = f"{lang} = {json.dumps(subject, ensure_ascii=False)}"
    if at is None:
        lines += ["", "[subject]", entry]
    else:
        lines.insert(at + 1, entry)
    text = "\n".join(lines)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateProblem(f"{path}: could not add the subject line for {lang!r}: {exc}") from None
    return text


def review_status(root: Path | None = None) -> dict[str, dict[str, str]]:
    """Language → {"status": "reviewed" | "unreviewed", "by": …, "how": …} from letters/REVIEW.toml
    (the overlay's, else plea's own). A language it does not name counts as unreviewed."""
    from plea.render.catalog import locate
    from plea.render.confine import read_toml

    found = locate(REVIEW_FILE, root)
    if found is None:
        return {}
    data = read_toml(*found)
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items() if isinstance(v, dict)}


def unreviewed(langs: tuple[str, ...] | list[str], root: Path | None = None) -> list[str]:
    status = review_status(root)
    return [lang for lang in langs if status.get(lang, {}).get("status") != "reviewed"]


def untranslated(spec: Any, lang: str) -> str:
    """Why the letter in `lang` is not ready to send ("" when it is): its template, its shared
    blocks or its subject line still hold MARK. Read through the confined reader, cached by file
    and modification time (a plan asks once per recipient)."""
    from plea.render.catalog import SUFFIX, locate

    if MARK in spec.subjects.get(lang, ""):
        return f"the subject line for {lang!r} in letter.toml is marked {MARK}"
    for rel in (f"{spec.name}/{lang}{SUFFIX}", f"_blocks/{lang}{SUFFIX}"):
        found = locate(rel)
        if found is None or not found[0].is_file():
            continue
        count = _marks(found[0], found[1], found[0].stat().st_mtime_ns)
        if count:
            return f"{found[0]} has {count} line(s) marked {MARK}"
    return ""


@lru_cache(maxsize=256)
def _marks(path: Path, root: Path, mtime_ns: int) -> int:
    from plea.render.confine import read_text

    return len(marked_lines(read_text(path, root)))
