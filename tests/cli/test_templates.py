"""`plea templates list|check|preview`: the shipped letters in every language, and the
linter naming each problem in a broken copy with file:line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

LETTERS = {"humanitarian-visa", "follow-up", "thanks"}
REQUIRED = {"en", "fr", "de", "es", "pt", "it", "ru", "ar", "zh", "ja", "tr", "pl"}
NEW = ("uk", "ka", "hy", "he", "sr", "lt", "lv", "et", "ro", "kk")  # added December 2026, unreviewed
REPO = Path(__file__).resolve().parent.parent.parent


def test_list_json(plea) -> None:
    data = json.loads(plea("templates", "list", "--json").stdout)
    assert {d["letter"] for d in data} == LETTERS
    for d in data:
        assert REQUIRED <= set(d["languages"]) and len(d["languages"]) >= 12, d["letter"]
        assert d["title"] and "name_latin" in d["requires"]
    visa = next(d for d in data if d["letter"] == "humanitarian-visa")
    assert {"name_latin", "nationality", "persecution"} <= set(visa["requires"])


def test_list_json_names_the_unreviewed_languages(plea) -> None:
    import tomllib

    review = tomllib.loads((REPO / "templates" / "letters" / "REVIEW.toml").read_text(encoding="utf-8"))
    data = json.loads(plea("templates", "list", "--json").stdout)
    for d in data:
        assert set(d["unreviewed"]) <= set(d["languages"])
        assert d["unreviewed"] == [lang for lang in d["languages"] if review.get(lang, {}).get("status") != "reviewed"]
    assert set(NEW) <= set(data[0]["unreviewed"])  # no fluent reader has checked the ten added in December 2026


def test_list_table_fits_80_columns(plea, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = plea("templates", "list").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["language", "follow-up", "humanitarian-visa", "thanks", "review"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert REQUIRED | set(NEW) <= set(rows)
    assert "…" not in out and "·" not in out  # every letter in every language
    assert all(rows[lang][-1] == "unreviewed" for lang in NEW)
    assert max(len(line) for line in lines) <= 80


def test_check_passes_on_the_shipped_templates(plea) -> None:
    r = plea("templates", "check")
    assert r.stdout.strip() == "ok" and "all templates are fine" in r.stderr


def test_every_language_has_its_own_subject_line() -> None:
    from plea.render.catalog import load_catalog

    for spec in load_catalog().values():
        for lang in REQUIRED - {"en"}:
            assert spec.subjects.get(lang), (spec.name, lang)
            assert spec.subject(lang) != spec.subject("en"), (spec.name, lang)


def test_check_names_each_problem_with_file_and_line(plea, templates_copy: Path) -> None:
    letters = templates_copy / "letters"

    def insert(rel: str, line: int, text: str) -> None:
        path = letters / rel
        lines = path.read_text(encoding="utf-8").splitlines()
        lines.insert(line - 1, text)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    insert("humanitarian-visa/de.md.j2", 4, "{% if case.gender == “female” %}Frau{% endif %}")  # smart quotes
    insert("follow-up/ru.md.j2", 5, "Уважаемый {{ case.nmae }}!")  # unknown field
    insert(
        "thanks/tr.md.j2", 3, "{% for m in case.family %}{{ m.nmae }}{% endfor %}"
    )  # unknown field of a list
    insert("follow-up/ja.md.j2", 2, "{{ case.representative.nmae }}")  # unknown nested field
    insert("thanks/en.md.j2", 6, "{% if case.name_latin %}never closed")  # syntax error
    (letters / "humanitarian-visa" / "pl.md.j2").unlink()  # the shipped one shows through: not missing
    r = plea("templates", "check", code=7)
    err = r.stderr
    assert err.startswith("plea: error: ") and "problem(s) in the templates:" in err
    assert (
        "templates/letters/humanitarian-visa/de.md.j2:4: typographic quote inside a Jinja tag: "
        "'{% if case.gender == “female” %}' (use ' or \")"
    ) in err
    assert "templates/letters/humanitarian-visa/de.md.j2:4: syntax error: unexpected char '“'" in err
    assert "templates/letters/follow-up/ru.md.j2:5: unknown field case.nmae" in err
    assert "templates/letters/thanks/tr.md.j2:3: unknown field family[].nmae" in err
    assert "templates/letters/follow-up/ja.md.j2:2: unknown field case.representative.nmae" in err
    end = len((letters / "thanks" / "en.md.j2").read_text(encoding="utf-8").splitlines())
    assert re.search(
        rf"templates/letters/thanks/en\.md\.j2:{end}: syntax error: Unexpected end of template", err
    )
    assert "'pl'" not in err


def test_check_renders_the_sample_case(plea, templates_copy: Path) -> None:
    path = templates_copy / "letters" / "thanks" / "de.md.j2"
    path.write_text(path.read_text(encoding="utf-8") + "{{ plural(1, few='x') }}\n", encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines())
    r = plea("templates", "check", code=7)
    assert (
        "templates/letters/thanks/de.md.j2:1: fails to render: templates/letters/thanks/de.md.j2:"
        f"{line}: template error: plural(): no form for category 'one' (give other=…)"
    ) in r.stderr


def test_check_missing_letter_toml_and_bad_toml(plea, templates_copy: Path) -> None:
    meta = templates_copy / "letters" / "thanks" / "letter.toml"
    meta.write_text("title = 'unterminated\n", encoding="utf-8")
    r = plea("templates", "check", code=7)
    assert "thanks/letter.toml" in r.stderr
    meta.unlink()  # the shipped letter.toml shows through
    from plea.render.catalog import load_catalog

    load_catalog.cache_clear()
    assert plea("templates", "check").stdout == "ok\n"
    (templates_copy / "letters" / "appeal").mkdir()  # a letter of the user's own, without its letter.toml
    (templates_copy / "letters" / "appeal" / "en.md.j2").write_text("x\n", encoding="utf-8")
    load_catalog.cache_clear()
    r = plea("templates", "check", code=7)
    assert "appeal/letter.toml: missing (every letter needs its letter.toml)" in r.stderr


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_preview(plea, lang: str) -> None:
    out = plea("templates", "preview", "humanitarian-visa", lang, "--sending", "de").stdout
    assert "Anna Sample (fictional)" in out and "PLEA-2026-0001" in out
    md = plea("templates", "preview", "humanitarian-visa", lang, "--markdown").stdout
    assert "::: date" in md and "::: signature" in md


@pytest.mark.soffice
@pytest.mark.heavy
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) or pdftoppm (poppler-utils) is not on PATH")
def test_preview_draws_the_pages_as_png(plea, tmp_path: Path) -> None:
    from PIL import Image

    out = plea("templates", "preview", "humanitarian-visa", "ar", "--format", "png", "--paper", "letter",
               "--dpi", "50", "--out", str(tmp_path / "pages")).stdout
    pages = [Path(line) for line in out.splitlines()]
    assert [p.name for p in pages] == ["humanitarian-visa-ar-letter-1.png"]  # the sample letter: one page
    with Image.open(pages[0]) as image:
        assert image.format == "PNG" and image.size == (round(8.5 * 50), round(11 * 50))
        # not a blank page: the letter's text darkens it
        assert image.convert("L").getextrema()[0] < 100


def test_preview_png_names_the_package_of_a_missing_program(plea, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEA_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # neither soffice nor pdftoppm
    r = plea("templates", "preview", "humanitarian-visa", "en", "--format", "png", "--out", str(tmp_path / "p"),
             code=8)
    assert r.stderr == (
        "plea: error: --format png needs LibreOffice, and its program soffice is not installed (not on PATH)\n"
        "  install the package libreoffice-writer (Debian/Ubuntu: sudo apt-get install libreoffice-writer; "
        "macOS: brew install --cask libreoffice), or set PLEA_SOFFICE to soffice's path; nothing was written\n")
    (tmp_path / "soffice").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "soffice").chmod(0o755)
    r = plea("templates", "preview", "humanitarian-visa", "en", "--format", "png", "--out", str(tmp_path / "p"),
             code=8)
    assert r.stderr == (
        "plea: error: --format png needs pdftoppm, which is not installed (not on PATH)\n"
        "  install the package poppler-utils (Debian/Ubuntu: sudo apt-get install poppler-utils; macOS: brew "
        "install poppler); nothing was written\n")
    assert not any((tmp_path / "p").glob("*.png"))
