"""The batch's fast paths give exactly what the ordinary ones give: staged template rendering
(case-level pieces once, recipient pieces per letter) against whole-letter rendering; the
Markdown parsed a segment at a time against parse(); the DOCX filled by hand against what
python-docx reads back, with every value escaped."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from docx import Document
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from plea.letters import fast_analysis, fast_stages
from plea.letters.fast import FastRenderer, case_key
from plea.letters.segments import SegmentParser, segments
from plea.render.blocks import Block, Run, parse
from plea.render.catalog import get_letter
from plea.render.context import case_context
from plea.render.docx import body_xml, docx_bytes, skeleton_for
from plea.render.letter import render_markdown_for
from plea.sample import SAMPLE_CASE, sample_case, sample_mission
from tests.tiers import examples

DAY = date(2026, 11, 23)
FIRST = {"date": date(2026, 10, 1), "ref": "PLEA-2026-0001", "subject": "Request"}
RESPONSE = {"date": date(2026, 11, 2), "outcome": "positive"}
STATES = ("FR", "DE", "EG", "CN", "JP", "BR", "UA", "IT")


def variants() -> list[SimpleNamespace]:
    """The sample case and variations that take the templates' other branches."""
    out = [sample_case()]
    for change in (
        {"rep_name": "", "rep_organisation": "", "gender": "female"},
        {"family": [], "authority_ids": [], "situation": "in-transit", "gender": "male", "title": ""},
        {
            "situation": "at-liberty",
            "facility": "",
            "birth_date": None,
            "name_native": "",
            "protection": "asylum",
            "reply_to": "",
        },
        {"situation": "", "current_country": "", "gender": "other", "protection": "safe-passage"},
    ):
        out.append(SimpleNamespace(**{**SAMPLE_CASE, "ref": "PLEA-2026-0002", **change}))
    return out


@pytest.mark.parametrize("letter", ["humanitarian-visa", "follow-up", "thanks"])
def test_staged_rendering_equals_whole_letters(letter: str) -> None:
    spec = get_letter(letter)
    renderer = FastRenderer(spec)
    for case in variants():
        key = case_key(case_context(case))
        for lang in spec.langs:
            for state in STATES:
                mission = sample_mission(state, "US" if state != "DE" else "CA")
                if state == "JP":
                    mission.kind, mission.street_address, mission.postcode = (
                        "consulate-general",
                        "1 Rue X",
                        "75001",
                    )
                fast = renderer.markdown(
                    lang,
                    case=case,
                    case_key=key,
                    mission=mission,
                    today=DAY,
                    first_letter=FIRST,
                    response=RESPONSE,
                )
                whole = render_markdown_for(
                    spec, lang, case=case, mission=mission, today=DAY, first_letter=FIRST, response=RESPONSE
                )
                assert fast == whole, (letter, lang, state)
    assert renderer.fallbacks == 0
    assert all(renderer.staged[lang] is not None and renderer.staged[lang].pieces >= 1 for lang in spec.langs)


def test_a_missed_dependency_falls_back_to_whole_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the analysis wrongly took a recipient piece for a case-level one, the poisoned
    recipient variables catch it: the letter is rendered whole, and right."""
    monkeypatch.setattr(fast_analysis.Scope, "tainted", lambda self, node, exclude=None: False)
    spec = get_letter("humanitarian-visa")
    renderer = FastRenderer(spec)
    case = sample_case()
    key = case_key(case_context(case))
    for state in ("FR", "DE"):
        mission = sample_mission(state, "US")
        fast = renderer.markdown("en", case=case, case_key=key, mission=mission, today=DAY)
        assert fast == render_markdown_for(spec, "en", case=case, mission=mission, today=DAY)
    assert renderer.staged["en"] is None  # then whole letters, for good, each counted with the reason
    assert renderer.reasons == {"the accelerator's analysis missed what its template reads (caught)": 2}


def test_a_value_cannot_forge_a_marker() -> None:
    spec = get_letter("humanitarian-visa")
    renderer = FastRenderer(spec)
    st_en = renderer._staged("en")
    case = SimpleNamespace(
        **{**SAMPLE_CASE, "ref": "PLEA-2026-0001", "persecution": "x " + st_en.marker(0) + " y"}
    )
    mission = sample_mission("FR", "US")
    fast = renderer.markdown(
        "en", case=case, case_key=case_key(case_context(case)), mission=mission, today=DAY
    )
    assert fast == render_markdown_for(spec, "en", case=case, mission=mission, today=DAY)
    assert renderer.fallbacks == 1


def test_unfollowed_templates_render_whole(tmp_path) -> None:
    from plea.render.jinja import make_environment

    root = tmp_path / "letters"
    (root / "x").mkdir(parents=True)
    for name, source in {
        "ns": "{% set ns = namespace(a=1) %}{% set ns.a = mission.id %}{{ ns.a }} {{ case.ref }}",
        "inc": "{% include 'x/part.j2' %}",
        "ok": "{{ case.ref }} {{ mission.id }}",
    }.items():
        (root / "x" / f"{name}.md.j2").write_text(source)
    (root / "x" / "part.j2").write_text("{{ mission.id }}")
    env = make_environment(root, "en")
    assert not fast_stages.Staged(env, "x/ns.md.j2").ok
    assert not fast_stages.Staged(env, "x/inc.md.j2").ok
    ok = fast_stages.Staged(env, "x/ok.md.j2")
    assert ok.ok and ok.pieces == 1
    # a letter of a template the accelerator cannot stage is rendered whole, and counted with why
    (root / "x" / "letter.toml").write_text('title = "X"\n[subject]\nen = "Plea"\n', encoding="utf-8")
    (root / "x" / "en.md.j2").write_text("{% include 'x/part.j2' %} {{ case.ref }}\n", encoding="utf-8")
    spec = get_letter("x", root=tmp_path)
    renderer = FastRenderer(spec, root=tmp_path)
    case = sample_case()
    for state in ("FR", "DE"):
        mission = sample_mission(state, "US")
        fast = renderer.markdown("en", case=case, case_key=case_key(case_context(case)), mission=mission, today=DAY)
        assert fast == render_markdown_for(spec, "en", case=case, mission=mission, today=DAY, root=tmp_path)
    assert renderer.reasons == {"its template uses what the accelerator does not follow": 2}


# -- the three stages on templates written for the purpose ---------------------------------------

BLOCKS_EN = """\
{% macro kind(k) -%}{{ {"embassy": "Embassy"}.get(k, "Mission") }}{%- endmacro %}
{% macro _helper() %}[{{ mission.city }}]{% endmacro %}
{% macro head() %}
To the {{ kind(mission.kind) }} of {{ mission.sending | country }}, {{ mission.city }}
{% if case.representative.name %}Counsel for {{ case.ref }}{% elif case.family %}Family \
{{ case.family | length }}{% else %}Alone{% endif %}

Subject: {{ subject }} ({{ case.ref }})
{% endmacro %}
{% macro loops() %}{% for f in case.family %}{{ f.name }} to {{ mission.city }}\
{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro setter() %}{% set c = mission.city %}{{ c }}/{{ case.ref }}{% endmacro %}
{% macro nested() %}<{{ head() }}>{% endmacro %}
{% macro private() %}{{ _helper() }} {{ case.ref }}{% endmacro %}
{% macro reads_subject() %}{{ subject }} at {{ mission.city }}{% endmacro %}
{% macro caseonly() %}{{ case.name_latin }}{% endmacro %}
"""

FRAGMENTS = [
    "{{ b.head() }}",
    "{{ b.nested() }}",
    "{{ b.loops() }}",
    "{{ b.setter() }}",
    "{{ b.private() }}",
    "{{ b.reads_subject() }}",
    "{{ b.caseonly() }} and {{ b.kind(mission.kind) }}",
    "{% if case.representative.name %}A {{ mission.city }} {{ case.ref }}"
    "{% elif case.ref.endswith('2') %}B {{ mission.kind }}"
    "{% if case.family %} with family, {{ b.head() }}{% endif %}"
    "{% else %}C {{ first_letter.ref }}{% endif %}",
    "{% if mission.city %}{{ case.ref }} in {{ mission.city }}{% endif %}",
    "{% for f in case.family %}{{ f.name }} {{ mission.host | country }}{% endfor %}",
    "Dear {{ case.name_latin }}, writing on {{ today | date }} to {{ mission.sending | country }}.",
    "{{ first_letter.ref }} / {{ mission.city }} / {{ response.outcome }}",
    "{{ s }} and {{ n }}",
    "Plain text, no values.",
]
SETS = "{% set s = mission.sending | country %}{% set n = case.ref ~ '!' %}"


def _letters_root(tmp: Path, body: str) -> Path:
    """A templates folder with one letter `x` (English) and its own blocks."""
    root = Path(tempfile.mkdtemp(dir=tmp))
    (root / "letters" / "x").mkdir(parents=True)
    (root / "letters" / "_blocks").mkdir()
    (root / "letters" / "_blocks" / "en.md.j2").write_text(BLOCKS_EN, encoding="utf-8")
    (root / "letters" / "x" / "letter.toml").write_text(
        'title = "X"\n[subject]\nen = "Plea"\n', encoding="utf-8"
    )
    (root / "letters" / "x" / "en.md.j2").write_text(
        '{% import "_blocks/en.md.j2" as b with context %}\n' + body, encoding="utf-8"
    )
    return root


def _missions() -> list[SimpleNamespace]:
    out = []
    for state, city, kind in (
        ("FR", "Paris", "embassy"),
        ("DE", "", "consulate"),
        ("EG", "Cairo", "embassy"),
    ):
        mission = sample_mission(state, "US")
        mission.city, mission.kind = city, kind
        out.append(mission)
    return out


def _compare(root: Path) -> FastRenderer:
    """Every case variant to every mission, fast and whole: the same text."""
    spec = get_letter("x", root=root)
    renderer = FastRenderer(spec, root=root)
    for case in variants():
        key = case_key(case_context(case))
        for mission in _missions():
            kw = {"case": case, "mission": mission, "today": DAY, "first_letter": FIRST, "response": RESPONSE}
            whole = render_markdown_for(spec, "en", root=root, **kw)
            assert renderer.markdown("en", case_key=key, **kw) == whole
    return renderer


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5), st.booleans())
def test_three_stages_equal_whole_letters(tmp_path_factory, fragments: list[str], sets: bool) -> None:
    body = (SETS if sets or "{{ s }}" in "".join(fragments) else "") + "\n\n".join(fragments) + "\n"
    renderer = _compare(_letters_root(tmp_path_factory.getbasetemp(), body))
    assert renderer.fallbacks == 0
    assert renderer.staged["en"] is not None


def test_mission_pieces_are_rendered_once_per_mission(tmp_path) -> None:
    """A macro without arguments is inlined and its mission-only parts shared by every client;
    an `if` on case data keeps its branches' mission pieces shared too."""
    root = _letters_root(tmp_path, FRAGMENTS[0] + "\n\n" + FRAGMENTS[7] + "\n")
    renderer = _compare(root)
    staged_en = renderer.staged["en"]
    assert renderer.fallbacks == 0 and staged_en is not None
    assert staged_en.mission_template is not None
    # only `first_letter.ref` (in the else branch) depends on both case and mission
    assert [per_letter for _, per_letter in staged_en.found].count(True) == 1
    assert len(renderer.mission_texts) == len(_missions())


def test_what_inlining_would_change_is_not_inlined(tmp_path) -> None:
    """A macro that sets a name, reads an unexported helper, reads a name the template sets
    afterwards, or calls itself is rendered as a call, never inlined."""
    for body in (
        "{{ b.setter() }}",
        "{{ b.private() }}",
        "{% set subject = 'Changed' %}{{ b.reads_subject() }}",
    ):
        root = _letters_root(tmp_path, body + "\n")
        renderer = _compare(root)
        staged_en = renderer.staged["en"]
        assert renderer.fallbacks == 0 and staged_en is not None
        assert [type(s.nodes[0]).__name__ for s, _ in staged_en.found] == ["Call"], body
    (tmp_path / "loop").mkdir()
    root = _letters_root(tmp_path / "loop", "{{ b.nested() }}\n")
    with open(root / "letters" / "_blocks" / "en.md.j2", "a", encoding="utf-8") as f:
        f.write("{% macro again() %}{{ mission.city }}{{ again() if false else '' }}{% endmacro %}\n")
    (root / "letters" / "x" / "en.md.j2").write_text(
        '{% import "_blocks/en.md.j2" as b with context %}\n{{ b.again() }}\n', encoding="utf-8"
    )
    renderer = _compare(root)
    assert renderer.fallbacks == 0


def test_rebound_names_are_not_inlined(tmp_path) -> None:
    """An alias bound again, a macro defined twice, a module-level name a macro reads: the
    letter is what Jinja makes of the whole template, the call never inlined."""
    extra = (
        "{% set greeting = 'Hello' %}"
        "{% macro hello() %}{{ greeting }}, {{ mission.city }}{% endmacro %}"
        "{% set greeting = 'Goodbye' %}"
        "{% macro twice() %}first {{ mission.city }}{% endmacro %}"
        "{% macro twice() %}second {{ mission.kind }}{% endmacro %}"
        "{% macro loopy() %}{% for hello in case.family %}{{ hello.name }} {{ mission.city }}{% endfor %}"
        "{% endmacro %}\n"
    )
    other = "{% macro head() %}Other head for {{ mission.city }}{% endmacro %}\n"
    for body in (
        '{% import "_blocks/other.md.j2" as o with context %}{% set b = o %}{{ b.head() }}',
        "{{ b.hello() }}",
        "{{ b.twice() }}",
        "{{ b.loopy() }}",
    ):
        root = _letters_root(tmp_path, body + "\n")
        with open(root / "letters" / "_blocks" / "en.md.j2", "a", encoding="utf-8") as f:
            f.write(extra)
        (root / "letters" / "_blocks" / "other.md.j2").write_text(other, encoding="utf-8")
        renderer = _compare(root)
        staged_en = renderer.staged["en"]
        assert renderer.fallbacks == 0 and staged_en is not None, body
        assert [type(s.nodes[0]).__name__ for s, _ in staged_en.found] == ["Call"], body


def test_a_missed_case_dependency_falls_back_to_whole_letters(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """If the analysis wrongly took a piece reading the case for one reading only the mission,
    the poisoned case catches it: whole letters, and right."""
    real = fast_analysis.Scope.tainted

    def blind(self, node, exclude=None):  # type: ignore[no-untyped-def]
        return False if self.analysis.roots == fast_analysis.LETTER else real(self, node, exclude)

    monkeypatch.setattr(fast_analysis.Scope, "tainted", blind)
    root = _letters_root(tmp_path, "{% if mission.city %}{{ case.ref }} in {{ mission.city }}{% endif %}\n")
    renderer = _compare(root)
    assert renderer.staged["en"] is None
    assert set(renderer.reasons) == {"the accelerator's analysis missed what its template reads (caught)"}


# -- Markdown a segment at a time -------------------------------------------------------------------

LINES = [
    "::: date",
    "::: recipient",
    "::: signature",
    ":::",
    "::::",
    ":::: date",
    "::: unknown",
    "  ::: date",
    "\t::: signature",
    "text ::: date",
    "- item",
    "* item",
    "1. one",
    "2. two",
    "  continued",
    "    indented",
    "# Heading",
    "## Sub",
    "Text",
    "**bold** and *it*",
    "> quote",
    "---",
    "===",
    "Setext",
    "",
    "",
    "   ",
    "\t",
    "a\\",
    "`code`",
    "| t |",
    "&copy;",
    "\\:::",
    "x  ",
    "10) ten",
    "+ plus",
]


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=30))
def test_segments_parse_as_the_whole(lines: list[str]) -> None:
    markdown = "\n".join(lines)
    parts = segments(markdown)
    assert "".join(parts) == markdown
    assert [b for part in parts for b in parse(part)] == parse(markdown)
    assert SegmentParser().parse(markdown) == parse(markdown)


def test_shipped_letters_are_cut_into_many_segments() -> None:
    spec = get_letter("humanitarian-visa")
    for lang in ("en", "ar", "zh"):
        md = render_markdown_for(
            spec, lang, case=sample_case(), mission=sample_mission("FR", "US"), today=DAY
        )
        assert len(segments(md)) >= 8
        assert SegmentParser().parse(md) == parse(md)


# -- the DOCX filled by hand ------------------------------------------------------------------------

HOSTILE = [
    "</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>bold",
    "a & b < c > d \" ' ]]>",
    "\x00\x0b\x1f\ufffe",
    "tab\there",
    "line\nbreak",
    " spaced ",
    "\ud800lone",
    "ﷺ 𝔘 👩‍👩‍👧 中 Ж",
]


def test_values_are_escaped_never_markup() -> None:
    blocks = [Block("body", [Run(text)]) for text in HOSTILE] + [
        Block("number", [Run("first")]),
        Block("number", [Run("second", bold=True)]),
    ]
    data = docx_bytes(blocks, subject="Subject <x> & y", lang="en", skeleton=skeleton_for("en"))
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == HOSTILE[0] and not any(r.bold for r in doc.paragraphs[0].runs)
    assert texts[1] == HOSTILE[1]
    assert texts[2] == ""  # characters XML cannot hold are dropped
    assert texts[3] == "tab\there" and texts[4] == "line\nbreak" and texts[5] == " spaced "
    assert texts[6] == "lone" and texts[7] == HOSTILE[7]
    assert texts[8:] == ["1. first", "2. second"] and doc.paragraphs[9].runs[1].bold
    assert doc.core_properties.title == "Subject <x> & y"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None and z.namelist()[0] == "[Content_Types].xml"


def test_segment_cached_body_equals_the_whole_body() -> None:
    """Paragraph XML made and compressed a segment at a time (and from the cache) gives the same
    document.xml as the whole letter at once, in a zip whose checksums hold."""
    from plea.letters.work import _Worker

    worker = _Worker()
    spec = get_letter("humanitarian-visa")
    for lang in ("en", "ar"):
        skeleton = skeleton_for(lang)
        rtl = lang == "ar"
        for state in ("FR", "DE"):
            md = render_markdown_for(
                spec, lang, case=sample_case(), mission=sample_mission(state, "US"), today=DAY
            )
            md += "\n\n1. one\n\n2. two\n\ntext\n\n1. again\n"
            segs = worker.parser.blocks(md)
            blocks = parse(md)
            whole = body_xml(blocks, skeleton, rtl=rtl)
            once = docx_bytes(blocks, subject="s", lang=lang, skeleton=skeleton)
            for _ in range(2):  # the second time from the cache
                pieces = worker.pieces(segs, skeleton, rtl)
                assert len(pieces) == len(segs) > 10
                assert b"".join(raw for raw, _ in pieces).decode() == whole
                joined = docx_bytes(blocks, subject="s", lang=lang, skeleton=skeleton, pieces=pieces)
                with zipfile.ZipFile(io.BytesIO(joined)) as a, zipfile.ZipFile(io.BytesIO(once)) as b:
                    assert a.testzip() is None  # every CRC holds
                    assert a.namelist() == b.namelist()
                    for name in a.namelist():
                        assert a.read(name) == b.read(name), name


def test_right_to_left_runs_in_order() -> None:
    blocks = [Block("body", [Run("نص", bold=True), Run("سطر", italic=True, br=True)])]
    doc = Document(io.BytesIO(docx_bytes(blocks, subject="s", lang="ar", skeleton=skeleton_for("ar"))))
    p = doc.paragraphs[0]
    assert [c.tag for c in p._p.pPr] == [qn("w:pStyle"), qn("w:bidi")]
    order = [qn("w:b"), qn("w:bCs"), qn("w:i"), qn("w:iCs"), qn("w:rtl")]
    for run in p.runs:
        tags = [c.tag for c in run._r.rPr]
        order = [qn("w:b"), qn("w:bCs"), qn("w:i"), qn("w:iCs"), qn("w:rtl")]
        assert tags[-1] == qn("w:rtl") and tags == sorted(tags, key=order.index)
    # complex script (right to left) is bold and italic by w:bCs and w:iCs
    assert [[c.tag for c in run._r.rPr] for run in p.runs] == [[qn("w:b"), qn("w:bCs"), qn("w:rtl")],
                                                              [qn("w:rtl")],  # the line break's run
                                                              [qn("w:i"), qn("w:iCs"), qn("w:rtl")]]
    assert p.text == "نص\nسطر"
