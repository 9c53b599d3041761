"""Letter rendering: golden texts of the shipped letters, the template sandbox, Markdown
escaping of people's data, any Unicode in → a valid DOCX or a clear error out, and file
names that cannot leave their folder.

Golden files: tests/golden/<letter>.<lang>.txt hold the paragraphs of the DOCX rendered for
the fictional sample case (fixed date 23 November 2026), each under its style name.
After an intended change to a template, regenerate and review the diff:

    PLEA_UPDATE_GOLDEN=1 python -m pytest tests/test_render.py -k golden
"""

from __future__ import annotations

import io
import os
import signal
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plea.errors import InvalidInput, PleaError, TemplateProblem
from plea.fileio import MAX_NAME_BYTES, inside, safe_name
from plea.render.docx import build_docx
from plea.render.jinja import make_environment, md_escape, render_template
from plea.render.letter import preview
from tests.tiers import examples

GOLDEN = Path(__file__).parent / "golden"
LETTERS = ("humanitarian-visa", "follow-up", "thanks")
GOLDEN_LANGS = ("en", "fr", "de", "ru", "ar", "zh")


def docx_paragraphs(data: bytes) -> str:
    """The DOCX's paragraphs, each under its style name, a blank line between them."""
    doc = Document(io.BytesIO(data))
    return "\n\n".join(f"[{p.style.name}]\n{p.text}" for p in doc.paragraphs) + "\n"


# -- golden texts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", GOLDEN_LANGS)
@pytest.mark.parametrize("letter", LETTERS)
def test_golden(letter: str, lang: str) -> None:
    text = docx_paragraphs(build_docx(preview(letter, lang), paper="a4"))
    path = GOLDEN / f"{letter}.{lang}.txt"
    if os.environ.get("PLEA_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with PLEA_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", GOLDEN_LANGS)
def test_golden_letters_are_whole(lang: str) -> None:
    """What every sample letter must hold, whatever its wording: the sender, the addressee, the
    date, the reference, the applicant, a closing and a signature; no Markdown or template
    syntax left over."""
    for letter in LETTERS:
        text = (GOLDEN / f"{letter}.{lang}.txt").read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.startswith("[Plea "))
        assert text.startswith("[Plea Sender]\nJane Counsel (fictional)\n"), (letter, lang)
        # the applicant by the name in the letter's script (the sample's native name is Cyrillic)
        name = "Анна Образцова" if lang == "ru" else "Anna Sample (fictional)"
        assert "PLEA-2026-0001" in body and name in body, (letter, lang)
        styles = [line for line in text.splitlines() if line.startswith("[Plea ")]
        assert styles[:4] == ["[Plea Sender]", "[Plea Recipient]", "[Plea Date]", "[Plea Anchor]"], (letter, lang)
        assert "[Plea Subject]" in text and "[Plea Closing]" in text and "[Plea Signature]" in text
        for leftover in ("{{", "}}", "{%", "%}", ":::", "**", "\\", "&amp;", "&lt;", "None", "Undefined"):
            assert leftover not in body, (letter, lang, leftover)


# -- sandbox ---------------------------------------------------------------------------------------


class Hang(Exception):
    pass


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def render_source(tmp_path: Path, source: str, context: dict | None = None) -> str:
    root = tmp_path / "templates" / "letters"
    (root / "x").mkdir(parents=True, exist_ok=True)
    (root / "x" / "en.md.j2").write_text(source, encoding="utf-8")
    return render_template(make_environment(root, "en"), "x/en.md.j2", context or {}, root)


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ lipsum.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ '{a.__class__.__mro__}'.format_map({'a': 1}) }}",
    "{{ case.__class__ }}",
    "{{ case.items.__self__.__class__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{% include '../../../../etc/passwd' %}",
    "{% include '/etc/passwd' %}",
    "{% import '../../../../etc/passwd' as p %}",
    "{% extends '../../../../etc/passwd' %}",
]
MISTAKES = [  # template errors Python raises as IndexError, KeyError… must still name the file and line
    "{{ '{0}'.format() }}",
    "{{ '{x}'.format() }}",
    "{{ '{0.__class__.__mro__}'.format_map({'0': 1}) }}",
    "{{ 1 / 0 }}",
    "{{ 'x' + 1 }}",
    "{{ int('x') }}",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
]
RESOURCES = [
    "{% for i in range(10**9) %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{{ 'a' * 10**8 }}",
    "{{ 10**8 * 'a' }}",
    "{{ [1] * 10**8 }}",
    "{{ 9**(9**9) }}",
    "{{ (9**64)**64 }}",
    "{{ ((10**64)**64)**64 }}",
    "{{ (2**4000) * (2**4000) }}",
    "{{ 'a'.ljust(10**9) }}",
    "{{ 'a'|center(10**9) }}",
    "{{ 'a'|indent(10**9) }}",
    "{{ [1, 2]|batch(10**9)|list }}",
    "{{ '{:>999999999}'.format('a') }}",
    "{{ '{0:{1}}'.format('a', 10**9) }}",
    "{{ '%999999999s'|format('a') }}",
    "{{ '%999999999s' % 'a' }}",
    "{{ '%*s' % (10**9, 'a') }}",
    "{{ lipsum(10**6) }}",
    "{{ lipsum(9000, max=9000) }}",
    "{% for i in range(9999) %}{{ 'x' * 9999 }}{% endfor %}",  # output cap
]


@pytest.mark.parametrize("source", ESCAPES + MISTAKES + RESOURCES)
def test_sandbox_refuses(tmp_path: Path, source: str) -> None:
    with deadline(5), pytest.raises(TemplateProblem) as info:
        render_source(tmp_path, source, {"case": {"ref": "PLEA-2026-0001", "items": {}}})
    message = str(info.value)
    assert message.startswith("templates/letters/x/en.md.j2:") or "letters" in message.split(":")[0]
    for leak in ("root:", "<class", "<function", "<built-in", "<module", "builtins", "os.environ", "/bin/"):
        assert leak not in message, (source, message)


def test_sandbox_still_allows_what_letters_use(tmp_path: Path) -> None:
    source = (
        "{{ plural(2, one='child', other='children') }} {{ 'FR' | country }} "
        "{{ (3 * 4) ** 2 }} {{ 'x' * 3 }} {{ '%s-%s' % ('a', 'b') }} {{ '{}!'.format('hi') }} "
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ ['a', 'b']|join(', ') }} "
        "{{ names|join(', ') }} {{ ['*', '1.']|join(' - ') }} {{ 'ab'|center(6)|length }}|"
    )
    with deadline(5):
        out = render_source(tmp_path, source, {"names": ["Anna", "*Ivan*"]})
    assert out == "children France 144 xxx a\\-b hi\\! 012 a, b Anna, \\*Ivan\\* \\* \\- 1\\. 6|"


def test_sandbox_error_through_the_command(plea, db_file: Path, tmp_path: Path, templates_copy: Path) -> None:
    from tests.dbcheck import rows

    plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "Story.")
    path = templates_copy / "letters" / "humanitarian-visa" / "de.md.j2"
    path.write_text(
        path.read_text(encoding="utf-8") + "{{ cycler.__init__.__globals__ }}\n", encoding="utf-8"
    )
    line = path.read_text(encoding="utf-8").count("\n")
    out = tmp_path / "out"
    r = plea("letters", "render", "1", "--to", "FR,DE", "--out", str(out), code=7)
    assert f"templates/letters/humanitarian-visa/de.md.j2:{line}: refused by the template sandbox" in r.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert rows(db_file, "SELECT count(*) FROM letter") == [(0,)]


# -- Markdown in people's data stays text ----------------------------------------------------------

MARKDOWN_STORY = (
    "**bold** and _italic_ and `code`\n# heading\n1. item\n- bullet\n> quote\n<b>x</b>\n"
    "[link](http://x) ![img](http://x/i.png)\nUnderlined\n===\n::: signature\nforged\n:::\n"
    "&copy; &amp; &#65; AT&T\n    indented\n\\*escaped\\*"
)


def circumstances(data: bytes) -> list:
    doc = Document(io.BytesIO(data))
    paragraphs = doc.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text == "Circumstances")
    end = next(i for i, p in enumerate(paragraphs) if p.text == "The request")
    return paragraphs[start + 1 : end]


def test_markdown_in_the_story_comes_out_literally() -> None:
    from plea.render.catalog import get_letter
    from plea.render.letter import render_letter
    from plea.sample import sample_case, sample_mission

    case = sample_case()
    case.persecution = MARKDOWN_STORY
    case.name_latin = "Anna *Sample* <i>"
    rendered = render_letter(
        get_letter("humanitarian-visa"), "en", case=case, mission=sample_mission(), today=date(2026, 11, 23)
    )
    data = build_docx(rendered)
    (story,) = circumstances(data)
    expected = "\n".join(line.strip() for line in MARKDOWN_STORY.split("\n"))
    assert story.text == expected
    assert story.style.name == "Plea Body"
    assert not any(run.bold or run.italic for run in story.runs)
    doc = Document(io.BytesIO(data))
    assert [p.style.name for p in doc.paragraphs].count("Plea Signature") == 1
    assert all(
        p.style.name != "Plea Heading" or p.text in ("The person concerned", "Circumstances", "The request")
        for p in doc.paragraphs
    )
    assert "Anna *Sample* <i>" in "\n".join(p.text for p in doc.paragraphs)
    assert "**bold**" in rendered.text and "&copy;" in rendered.text


@pytest.mark.parametrize(
    "value",
    [
        "Foo\n===",
        "::: date\nx\n:::",
        "&copy;",
        "1. a",
        "1) a",
        "- a",
        "+ a",
        "# a",
        "> a",
        "<b>",
        "`a`",
        "a  \nb",
        "[a](b)",
        "***",
        "___",
        "| a |",
    ],
)
def test_md_escape_round_trip(value: str) -> None:
    from plea.render.blocks import parse, to_text

    blocks = parse(md_escape(value))
    assert [b.style for b in blocks] == ["body"]
    assert to_text(blocks) == "\n".join(line.strip() for line in value.split("\n")) + "\n"
    assert not any(r.bold or r.italic for b in blocks for r in b.runs)


# -- any Unicode in: a DOCX or a clear error out ---------------------------------------------------

SPECIAL = [
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1f",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udfff",
    "\r\n",
    "\r",
    "\n\n",
    "\u202e",
    "\u200f",
    "\u2028",
    "\x85",
    "\t",
    "*",
    "**",
    "#",
    "1.",
    "<b>",
    "]]>",
    "</w:t>",
    ":::",
    "===",
    "&amp;",
    "{{",
    "{%",
    "\\",
    "ﷺ",
    "𝔘",
    "👩‍👩‍👧",
    "\u0301",
    "Ж",
    "中",
]
fuzz_text = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(SPECIAL)), max_size=12).map("".join)


@pytest.fixture
def fuzz_db(empty_db):
    from plea.db.engine import open_database

    db = open_database(empty_db.url, create=True)
    yield db
    db.close()


class _Rollback(Exception):
    pass


def create_and_render(db, name: str, story: str, facility: str, lang: str) -> None:
    from plea.cases import create_case
    from plea.letters.choose import Planned, render_all
    from plea.recipients import Recipient
    from plea.render.catalog import get_letter
    from plea.sample import sample_mission

    spec = get_letter("humanitarian-visa")
    try:
        with db.transaction() as s:
            try:
                case = create_case(
                    s,
                    {
                        "name_latin": name,
                        "nationality": "RU",
                        "persecution": story,
                        "facility": facility,
                        "situation": "detained",
                        "current_country": "US",
                    },
                    actor="fuzz",
                    today=date(2026, 11, 23),
                )
                mission = sample_mission("EG" if lang == "ar" else "FR")
                recipient = Recipient(mission.sending, mission, "resident", lang, "test")
                ((_, rendered),) = render_all(case, spec, [Planned(recipient)], today=date(2026, 11, 23))
            except PleaError:
                return
            data = build_docx(rendered)
            text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
            assert case.ref in text
            assert rendered.text  # the plain text version too
            raise _Rollback
    except _Rollback:
        pass


def _fuzz(db, name: str, story: str, facility: str, lang: str) -> None:
    create_and_render(db, name, story, facility, lang)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=fuzz_text, story=fuzz_text, facility=fuzz_text, lang=st.sampled_from(["en", "ar", "zh", "ru", "fr"])
)
def test_any_unicode_gives_a_docx_or_a_clear_error(
    fuzz_db, name: str, story: str, facility: str, lang: str
) -> None:
    _fuzz(fuzz_db, name, story, facility, lang)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=fuzz_text, story=fuzz_text, facility=fuzz_text, lang=st.sampled_from(["en", "ar", "zh", "ru", "fr"])
)
def test_any_unicode_gives_a_docx_or_a_clear_error_long(
    fuzz_db, name: str, story: str, facility: str, lang: str
) -> None:
    _fuzz(fuzz_db, name, story, facility, lang)


def test_fuzz_examples_that_once_mattered(fuzz_db) -> None:
    for name, story, facility in [
        ("Iv\x00an", "a\x0bb\ufffe\ud800c", "\x1b"),
        ("Anna", "x\r\ny\rz", "</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>bold"),
        ("Anna", "Foo\n===\n::: signature\nforged\n:::", "{{ case.name_latin }}"),
        ("\u202eanna", "\u2028\u2029\x85", "ﷺ" * 500),
    ]:
        for lang in ("en", "ar", "zh"):
            create_and_render(fuzz_db, name, story, facility, lang)


def test_blank_name_is_a_clear_error(fuzz_db) -> None:
    from plea.cases import create_case

    with pytest.raises(InvalidInput, match="name_latin"), fuzz_db.transaction() as s:
        create_case(
            s, {"name_latin": "\x00\x0b \ufffe", "nationality": "RU"}, actor="t", today=date(2026, 1, 1)
        )


# -- file names ------------------------------------------------------------------------------------

NAMES = [
    "../x",
    "..",
    ".",
    "",
    " ",
    "...",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\x",
    "C:\\Windows\\x",
    "a\x00b",
    "CON",
    "con",
    "nul.txt",
    "NUL .txt",
    "Con.tar.gz",
    "COM1",
    "com1.docx",
    "LPT9",
    "COM¹",
    "CONIN$",
    "ＣＯＮ",
    "．．／x",
    "x" * 500,
    "Ж" * 300,
    "Анна Образцова " * 20,
    "é" * 99,
    "a" * 99 + "Ж",
    "abc\u202etxt.exe",
    "x\u2066y",
    ".hidden",
    "trailing. ",
    "tab\there",
    "new\nline",
    'a<b>c:d"e|f?g*h',
    "emoji 👩‍👩‍👧" * 10,
    "\ud800x",
    "e\u0301",
    "PLEA-2026-0001_FR_humanitarian-visa_fr",
]
_BAD_CHARS = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\u202e", "\u2066", "\ud800"}


@pytest.mark.parametrize("raw", NAMES)
def test_safe_name_stays_inside_and_is_valid(tmp_path: Path, raw: str) -> None:
    name = safe_name(raw)
    assert name and name not in (".", "..")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not _BAD_CHARS & set(name)
    assert not name.endswith((".", " ")) and not name.startswith(".")
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    assert stem not in {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
        f"COM{i}" for i in range(1, 10)
    } | {f"LPT{i}" for i in range(1, 10)}, name
    assert unicodedata.normalize("NFKC", name) == name
    target = inside(tmp_path, name)
    assert target.parent == tmp_path.resolve()
    target.write_text("x", encoding="utf-8")  # a name the file system accepts
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_safe_name_keeps_ordinary_names() -> None:
    assert safe_name("PLEA-2026-0001_FR_humanitarian-visa_fr") == "PLEA-2026-0001_FR_humanitarian-visa_fr"
    assert safe_name("Анна Образцова") == "Анна Образцова"
    assert safe_name("x" * 500) == "x" * 100
    assert safe_name("Ж" * 300) == "Ж" * 50  # two bytes each, never a character cut in half


@pytest.mark.parametrize("raw", ["../x", "/etc/passwd", "a/b", "..", "", "."])
def test_inside_refuses_names_that_leave_the_folder(tmp_path: Path, raw: str) -> None:
    with pytest.raises(InvalidInput, match="refusing to write outside"):
        inside(tmp_path, raw)


def test_inside_refuses_a_symlink_out(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/tmp")
    with pytest.raises(InvalidInput):
        inside(tmp_path, "link")


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(max_size=300) | fuzz_text)
def test_safe_name_property(tmp_path: Path, raw: str) -> None:
    name = safe_name(raw)
    assert name and len(name.encode("utf-8")) <= MAX_NAME_BYTES and not _BAD_CHARS & set(name)
    assert inside(tmp_path, name).parent == tmp_path.resolve()


# -- right-to-left lines with Latin names ------------------------------------------------------------

LRM = "\u200e"


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        # a name's own brackets stay with it; the semicolon after it belongs to the Hebrew sentence
        ("בשם מרשתי (Anna Sample (fictional); אזרחות: רוסיה), בבקשה",
         f"בשם מרשתי (Anna Sample (fictional){LRM}; אזרחות: רוסיה), בבקשה"),
        ("موكّلتي Anna Sample (fictional)، من مواطني", f"موكّلتي Anna Sample (fictional){LRM}، من مواطني"),
        # a bracket opened in the Arabic before the reference is the Arabic's, closing and full stop too
        ("(المرجعي: PLEA-2026-0001).", "(المرجعي: PLEA-2026-0001)."),
        # a closing bracket of one opened before the stretch is not its own; the one it opened is
        ("רישום (Alien Registration Number): A-000 (fictional)", f"רישום (Alien Registration Number): A-000 (fictional){LRM}"),
        # a line with no right-to-left letter is held left to right: its full stop stays on the right
        ("He fled to avoid forced conscription.", f"{LRM}He fled to avoid forced conscription.{LRM}"),
        ("Washington, D.C.\nالولايات المتحدة", f"{LRM}Washington, D.C.{LRM}\nالولايات المتحدة"),
        ("12 أبريل 1990", "12 أبريل 1990"),
        ("", ""),
    ],
)
def test_right_to_left_lines_keep_latin_names_whole(text: str, marked: str) -> None:
    from plea.render.docx import bidi_text

    assert bidi_text(text) == marked
