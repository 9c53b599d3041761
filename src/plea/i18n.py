"""plea's own interface in the user's language: help, prompts, notices, table headings, errors.

The language is PLEA_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG: the first one set, as
POSIX reads them), else English. Catalogs are the compiled `locale/<lang>/LC_MESSAGES/plea.mo`,
read with the standard library's gettext (Babel is for extracting and compiling them at
development time: CONTRIBUTING.md "Translations"), and only when a message is first translated:
English reads no file at all.

What scripts read is never translated: --json keys and values, CSV headers, file names, exit codes.

- `_(text)`: a fixed message (help texts, headings); `ngettext(one, many, n)`.
- `translate(text)`: a message already formatted, such as an error built with an f-string. The
  catalog holds the f-string itself, as written at the raise site (`unknown case {ref!r}`,
  extracted by plea.i18n_extract); the message is matched against those templates and the
  translation is filled with the same values. A message that matches no template prints as it is.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

DOMAIN = "plea"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
#: the languages plea's interface is translated into, besides English
LANGUAGES = ("ru", "uk")


def language() -> str:
    """The interface language: a two- or three-letter code; "en" when nothing else applies."""
    for var in ("PLEA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


@cache
def _catalog(lang: str) -> Any:
    import gettext

    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def catalog() -> Any:
    """The gettext translations of the current language (NullTranslations for English)."""
    return _catalog(language())


def _(message: str) -> str:
    """A fixed message in the user's language."""
    if not message:
        return message
    lang = language()
    return message if lang == "en" else _catalog(lang).gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    lang = language()
    if lang == "en":
        return singular if n == 1 else plural
    return str(_catalog(lang).ngettext(singular, plural, n))


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for "mark only")
    """Mark a message for extraction, translated later where it is printed."""
    return message


def translate(text: str) -> str:
    """A formatted message in the user's language: the exact message if the catalog has it, else
    the translation of the template it was formatted from, with its values put back."""
    lang = language()
    if lang == "en" or not text:
        return text
    exact = _catalog(lang).gettext(text)
    if exact != text:
        return exact
    for pattern, names, translated in _templates(lang):
        found = pattern.fullmatch(text)
        if found:
            values = {name: _local_states(name, value, lang)
                      for name, value in zip(names, found.groups(), strict=True)}
            return _fill(translated, values) or text
    return text


def state_name(code: str) -> str:
    """A state's name in the interface language (CLDR, through plea.states); English without
    loading Babel."""
    from plea import states

    lang = language()
    return states.name(code) if lang == "en" else states.name(code, lang)


def _local_states(field: str, value: str, lang: str) -> str:
    """A value put back into a translated message, with the English state names plea's messages
    carry in the interface language: a `{states.name(…)}` field's value, and each "Name (CC)" in
    any value ("Russia (RU), Belarus (BY)" → "Россия (RU), Беларусь (BY)"); a plain variable's
    value that is itself a message of the catalog (marked with N_ where it is made) is translated."""
    import re

    from plea import states

    if field.startswith("states.name("):
        code = _english_codes().get(value)
        return states.name(code, lang) if code else value
    if value and field.isidentifier():  # a message kept in a variable ({purpose}): translated too
        translated = _catalog(lang).gettext(value)
        if translated != value:
            return translated

    def local(found: re.Match[str]) -> str:
        words, code = found.group(1).split(" "), found.group(2)
        english = states.name(code)
        for i in range(len(words)):  # "to France (FR)": the name is the longest tail that is one
            if " ".join(words[i:]) == english:
                return " ".join([*words[:i], f"{states.name(code, lang)} ({code})"])
        return found.group(0)

    return re.sub(_STATE_LABEL_RE, local, value)


@cache
def _english_codes() -> dict[str, str]:
    from plea import states

    return {name: code for code, name in states.territory_names("en").items()} | {
        name: code for code, name in states.un_members().items()}


def translate_lines(text: str) -> str:
    """`translate` line by line (an error with its problems and its indented hint)."""
    if language() == "en":
        return text
    lines = text.split("\n")
    return "\n".join(line[: len(line) - len(line.lstrip())] + translate(line.lstrip()) for line in lines)


#: a placeholder in a template: the f-string's expression, as written (`{ref}`, `{case.ref!r}`)
_FIELD = r"\{([^{}]+)\}"
#: a field that chooses between two literal words (`{'is' if n == 1 else 'are'}`): matched as one of them
_CHOICE = r"""^\s*(['"])(.*?)\1\s+if\s.+\selse\s+(['"])(.*?)\3\s*$"""
#: "Name (CC)" in a value: a state's name and its code, as plea's messages write them
_STATE_LABEL_RE = r"([^\s,;:()][^,;:()]*?) \(([A-Z]{2})\)"


@cache
def _templates(lang: str) -> list[tuple[Any, list[str], str]]:
    """The catalog's templates (messages with placeholders) as regular expressions, most specific
    (longest fixed text) first."""
    import re

    found = []
    for msgid, msgstr in getattr(_catalog(lang), "_catalog", {}).items():
        if not isinstance(msgid, str) or "{" not in msgid or not msgstr:
            continue
        parts = re.split(_FIELD, msgid)
        fixed, names = parts[0::2], parts[1::2]
        if "{" in "".join(fixed) or "}" in "".join(fixed) or len("".join(fixed).strip()) < 4:
            continue  # literal braces, or too little fixed text to tell one message from another
        regex = re.escape(fixed[0]) + "".join(_group(name) + re.escape(f) for name, f in zip(names, fixed[1:]))
        found.append((sum(map(len, fixed)), re.compile(regex, re.DOTALL), names, msgstr))
    found.sort(key=lambda t: -t[0])
    return [(p, n, s) for _len, p, n, s in found]


def _group(field: str) -> str:
    """The regular expression of one field: its two words for a choice between literals (so that
    "Russia (RU) is a threat state" splits after the name, not at its first space), else any text."""
    import re

    choice = re.match(_CHOICE, field, re.DOTALL)
    if choice:
        return "(" + re.escape(choice.group(2)) + "|" + re.escape(choice.group(4)) + ")"
    return "(.*?)"


def _fill(translated: str, values: dict[str, str]) -> str | None:
    import re

    missing = [name for name in re.findall(_FIELD, translated) if name not in values]
    if missing:
        return None
    return re.sub(_FIELD, lambda m: values[m.group(1)], translated)
