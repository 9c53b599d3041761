"""Templates that add to the shipped set (issue 22): PLEA_TEMPLATES overlays plea's templates file by
file, `templates new` starts a language from English with every sentence marked, and `templates
check` says what is still missing or untranslated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plea.render.scaffold import MARK

REPO = Path(__file__).resolve().parent.parent.parent
ADDED = "This sentence comes from the overlay folder."


@pytest.fixture
def overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import plea.render.catalog
    import plea.render.letter

    root = tmp_path / "mine"
    (root / "letters").mkdir(parents=True)
    monkeypatch.setenv("PLEA_TEMPLATES", str(root))
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "20")
    plea.render.catalog.load_catalog.cache_clear()
    plea.render.letter._environment.cache_clear()
    yield root
    plea.render.catalog.load_catalog.cache_clear()
    plea.render.letter._environment.cache_clear()


def _previews(plea) -> dict[tuple[str, str], str]:
    return {(letter, lang): plea("templates", "preview", letter, lang).stdout
            for letter in ("humanitarian-visa", "follow-up", "thanks") for lang in ("en", "de")}


def test_an_overlay_with_one_changed_file_changes_only_that_letter(plea, overlay: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from plea.render.catalog import load_catalog

    monkeypatch.delenv("PLEA_TEMPLATES")
    load_catalog.cache_clear()
    before = _previews(plea)
    monkeypatch.setenv("PLEA_TEMPLATES", str(overlay))
    load_catalog.cache_clear()
    mine = overlay / "letters" / "thanks" / "en.md.j2"
    mine.parent.mkdir()
    shipped = (REPO / "templates" / "letters" / "thanks" / "en.md.j2").read_text(encoding="utf-8")
    mine.write_text(shipped.replace("{{ b.signature() }}", f"{ADDED}\n\n{{{{ b.signature() }}}}"), encoding="utf-8")
    after = _previews(plea)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {("thanks", "en")}
    assert ADDED in after[("thanks", "en")] and ADDED not in before[("thanks", "en")]
    assert after[("thanks", "en")].replace(f"{ADDED}\n\n", "") == before[("thanks", "en")]
    r = plea("templates", "list", "--json")
    assert "\"thanks\"" in r.stdout  # the letter.toml comes from plea: the overlay holds none
    assert plea("templates", "check").stdout == "ok\n"


def test_an_overlaid_file_still_renders_in_the_confined_child(plea, overlay: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    loop = "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}" \
           "{% endfor %}{% endfor %}"
    mine = overlay / "letters" / "_blocks" / "en.md.j2"
    mine.parent.mkdir()
    shipped = (REPO / "templates" / "letters" / "_blocks" / "en.md.j2").read_text(encoding="utf-8")
    mine.write_text(shipped.replace("{% macro salutation() %}", "{% macro salutation() %}" + loop), encoding="utf-8")
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "4")
    r = plea("templates", "preview", "thanks", "en", code=7)
    assert r.stderr.startswith("plea: error: the template took longer than 4 s to render and was stopped")
    assert plea("templates", "preview", "thanks", "de").stdout  # German does not use the English blocks


def test_new_scaffolds_a_language_marked_for_translation_and_check_reports_it(plea, overlay: Path) -> None:
    r = plea("templates", "new", "thanks", "--lang", "nl")
    letters = overlay / "letters"
    assert r.stdout.splitlines() == [str(letters / "_blocks" / "nl.md.j2"), str(letters / "thanks" / "letter.toml"),
                                     str(letters / "thanks" / "nl.md.j2")]
    assert f"translate every line marked {MARK}" in r.stderr
    text = (letters / "thanks" / "nl.md.j2").read_text(encoding="utf-8")
    assert '{% import "_blocks/nl.md.j2" as b with context %}' in text
    assert f"{MARK} Thank you for your reply of" in text and f"{MARK} I am grateful" in text
    blocks = (letters / "_blocks" / "nl.md.j2").read_text(encoding="utf-8")
    assert f"{MARK} Your Excellency," in blocks and f"{{# {MARK} the words in double quotes below #}}" in blocks
    assert f'nl = "{MARK} Thank you for your reply"' in (letters / "thanks" / "letter.toml").read_text(encoding="utf-8")
    # the scaffold renders (every marked sentence shows), but check stops it
    assert f"{MARK} Thank you for your reply of" in plea("templates", "preview", "thanks", "nl").stdout
    r = plea("templates", "check", code=7)
    problems = r.stderr.split("plea: error: ")[1].splitlines()
    assert problems[0] == "3 problem(s) in the templates:"
    blocks_marked = len(re.findall(re.escape(MARK), blocks))
    assert sorted(problems[1:]) == sorted([
        f"mine/letters/_blocks/nl.md.j2:{_first(blocks)}: not translated yet: {blocks_marked} line(s) marked {MARK}",
        f"mine/letters/thanks/nl.md.j2:{_first(text)}: not translated yet: {text.count(MARK)} line(s) marked {MARK}",
        f"mine/letters/thanks/letter.toml:1: not translated yet: the subject line for 'nl' is marked {MARK}",
    ])
    assert ("note: templates/letters/follow-up/letter.toml:1: letter 'follow-up' has no 'nl' template (other "
            "letters have one): this letter is written in another language\n") in r.stderr
    # translated (here: the marks taken out): check passes, the other letters are noted only
    for path in (letters / "_blocks" / "nl.md.j2", letters / "thanks" / "nl.md.j2", letters / "thanks" / "letter.toml"):
        body = path.read_text(encoding="utf-8")
        body = re.sub(r"{# \[TRANSLATE\][^#]*#}\n", "", body).replace(f"{MARK} ", "")
        path.write_text(body, encoding="utf-8")
    r = plea("templates", "check")
    assert r.stdout == "ok\n" and "letter 'humanitarian-visa' has no 'nl' template" in r.stderr


def _first(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if MARK in line)


def test_new_into_an_out_folder_and_its_errors(plea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEA_TEMPLATES", raising=False)
    r = plea("templates", "new", "thanks", "--lang", "nl", code=3)
    assert r.stderr == ("plea: error: no templates folder to write into\n"
                        "give --out DIR, or set PLEA_TEMPLATES to your templates folder (it overlays plea's)\n")
    out = tmp_path / "out"
    r = plea("templates", "new", "follow-up", "--lang", "uk", "--out", str(out))
    # Ukrainian has shipped blocks and a subject line: only the letter is written, the rest is kept
    assert r.stdout == f"{out / 'letters' / 'follow-up' / 'uk.md.j2'}\n"
    r = plea("templates", "new", "follow-up", "--lang", "uk", "--out", str(out), code=6)
    assert r.stderr == (f"plea: error: {out / 'letters' / 'follow-up' / 'uk.md.j2'}: already there\n"
                        "  edit it, or remove it to start again from English\n")
    r = plea("templates", "new", "follow-up", "--lang", "../x", "--out", str(out), code=3)
    assert r.stderr == "plea: error: --lang '../x': not a language code such as uk or sr-Latn\n"


def test_an_untranslated_language_is_never_chosen_for_a_letter(plea, overlay: Path, db_file) -> None:
    ref = plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "x",
               "--reply-to", "answers@example.org").stdout.strip()
    plea("templates", "new", "humanitarian-visa", "--lang", "nl")
    data = json.loads(plea("letters", "plan", ref, "--host", "US", "--to", "NL", "--json").stdout)
    assert [(r["lang"], r["why"]) for r in data["recipients"]] == [
        ("en", "no template in the mission's or the state's languages: English")]
    template = overlay / "letters" / "humanitarian-visa" / "nl.md.j2"
    r = plea("letters", "plan", ref, "--host", "US", "--to", "NL", "--lang", "nl", code=7)
    assert r.stderr == (
        "plea: error: the letter 'humanitarian-visa' in 'nl' is not translated yet: the subject line for 'nl' in "
        "letter.toml is marked [TRANSLATE]\n  translate the marked lines (`plea templates check` lists them)\n")
    for path in (overlay / "letters" / "_blocks" / "nl.md.j2", template,
                 overlay / "letters" / "humanitarian-visa" / "letter.toml"):
        body = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"{# \[TRANSLATE\][^#]*#}\n", "", body).replace(f"{MARK} ", ""), encoding="utf-8")
    from plea.render.catalog import load_catalog

    load_catalog.cache_clear()
    data = json.loads(plea("letters", "plan", ref, "--host", "US", "--to", "NL", "--json").stdout)
    assert [(r["lang"], r["why"]) for r in data["recipients"]] == [("nl", "official language of Netherlands")]
