"""Templates from elsewhere (PLEA_TEMPLATES) reach no file outside their folder, by any path, and
every command that renders them (`letters render`, `templates preview`, `templates check`,
`doctor`) does so in the confined child, with its time and memory limits (issue 24, class 5/6)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-LINE-FROM-OUTSIDE"
LOOP = "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}{% endfor %}" \
       "{% endfor %}"
DOUBLING = ("{% set ns = namespace(s='abcdefgh') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{{ ns.s|length }}")


@pytest.fixture
def theirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import plea.render.catalog
    import plea.render.letter

    root = tmp_path / "their-templates"
    shutil.copytree(REPO / "templates", root)
    monkeypatch.setenv("PLEA_TEMPLATES", str(root))
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "4")
    (tmp_path / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    plea.render.catalog.load_catalog.cache_clear()
    plea.render.letter._environment.cache_clear()
    yield root
    plea.render.catalog.load_catalog.cache_clear()
    plea.render.letter._environment.cache_clear()


def _fresh() -> None:
    """Forget the parsed catalog, as a new plea process would (the tests change files between runs)."""
    import plea.render.catalog
    import plea.render.letter

    plea.render.catalog.load_catalog.cache_clear()
    plea.render.letter._environment.cache_clear()


def _letter(root: Path) -> Path:
    return root / "letters" / "humanitarian-visa" / "en.md.j2"


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Template Victim", "--nationality", "RU", "--persecution", "x").stdout.strip()


def test_an_include_through_a_symlink_to_outside_is_refused_everywhere(
    plea, theirs: Path, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "60")  # `templates check` renders every letter in 23 languages
    link = theirs / "letters" / "_blocks" / "note.md.j2"
    link.symlink_to(tmp_path / "secret.txt")
    _append(_letter(theirs), "{% include '_blocks/note.md.j2' %}")
    expected = (f"plea: error: {link}: leads outside the template folder {(theirs / 'letters').resolve()} (a link or "
                "a path that leaves it); templates may only use files inside their folder\n")
    r = plea("letters", "render", case, "--to", "GB", "--format", "txt", "--out", str(tmp_path / "out"), code=7)
    assert r.stderr == expected + "  nothing was written\n"  # the letters path says so
    r = plea("templates", "preview", "humanitarian-visa", "en", code=7)
    assert r.stderr == expected and SECRET not in r.stdout
    r = plea("templates", "check", code=7)
    assert SECRET not in r.stderr and "leads outside the template folder" in r.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_template_or_letter_toml_that_is_itself_a_link_to_outside_is_refused(
    plea, theirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "60")  # `templates check` renders every letter in 23 languages
    letter = _letter(theirs)
    letter.unlink()
    letter.symlink_to(tmp_path / "secret.txt")
    r = plea("templates", "preview", "humanitarian-visa", "en", code=7)
    assert SECRET not in r.stdout + r.stderr and "leads outside the template folder" in r.stderr
    r = plea("templates", "check", code=7)
    assert SECRET not in r.stdout + r.stderr
    assert "templates/letters/humanitarian-visa/en.md.j2:1: " in r.stderr or f"{letter}:1: " in r.stderr
    toml = letter.parent / "letter.toml"
    (tmp_path / "meta.toml").write_text(toml.read_text(encoding="utf-8"), encoding="utf-8")
    toml.unlink()
    toml.symlink_to(tmp_path / "meta.toml")
    _fresh()
    r = plea("templates", "list", code=7)
    assert r.stderr.startswith(f"plea: error: {toml}: leads outside the template folder")


@pytest.mark.parametrize("include", ["{% include '/etc/passwd' %}", "{% include '../../../../../../etc/passwd' %}",
                                     "{% include 'SECRET_ABS' %}"])
def test_absolute_and_dotdot_includes_read_nothing(plea, theirs: Path, tmp_path: Path, include: str) -> None:
    _append(_letter(theirs), include.replace("SECRET_ABS", str(tmp_path / "secret.txt")))
    r = plea("templates", "preview", "humanitarian-visa", "en", code=7)
    assert SECRET not in r.stdout + r.stderr and "root:" not in r.stdout + r.stderr


@pytest.mark.parametrize("command", [("templates", "preview", "humanitarian-visa", "en"), ("templates", "check")])
def test_a_loop_template_is_stopped_in_preview_and_check(plea, theirs: Path, command: tuple[str, ...]) -> None:
    _append(_letter(theirs), LOOP)
    started = time.monotonic()
    r = plea(*command, code=7)
    assert time.monotonic() - started < 30
    assert r.stderr.startswith("plea: error: the template took longer than 4 s to render and was stopped")


def test_a_string_doubling_template_is_stopped_with_bounded_memory(plea, theirs: Path) -> None:
    _append(_letter(theirs), DOUBLING)
    started = time.monotonic()
    r = plea("templates", "preview", "humanitarian-visa", "en", code=7)
    assert time.monotonic() - started < 30
    assert r.stderr.startswith("plea: error: ") and "Traceback" not in r.stderr
    assert "memory" in r.stderr or "was stopped" in r.stderr


def test_doctor_reports_a_hostile_template_without_running_it_unbounded(plea, theirs: Path, db_file: Path) -> None:
    _append(_letter(theirs), LOOP)
    started = time.monotonic()
    r = plea("doctor", code=1)  # doctor exits 1 when any check fails
    assert time.monotonic() - started < 30
    assert "templates: the template took longer than 4 s to render and was stopped" in r.stdout + r.stderr


@pytest.mark.parametrize(("body", "message"), [
    ("x = " + "[" * 20_000 + "]" * 20_000 + "\n", "nested more than 8 levels deep"),  # RecursionError in tomllib
    ("x = " + "[" * 20 + "]" * 20 + "\n", "nested more than 8 levels deep"),
    ('title = "' + "a" * 70_000 + '"\n', "larger than 65,536 bytes"),
])
def test_a_nested_or_huge_letter_toml_is_refused(plea, theirs: Path, body: str, message: str) -> None:
    toml = _letter(theirs).parent / "letter.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + body, encoding="utf-8") if "title" not in body \
        else toml.write_text(body, encoding="utf-8")
    r = plea("templates", "list", code=7)
    assert r.stderr.startswith(f"plea: error: {toml}: {message}")


def test_batch_reads_no_template_through_a_link(plea, theirs: Path, case: str, tmp_path: Path) -> None:
    blocks = theirs / "letters" / "_blocks" / "fr.md.j2"
    blocks.unlink()
    blocks.symlink_to("/dev/zero" if Path("/dev/zero").exists() else tmp_path / "secret.txt")
    started = time.monotonic()
    r = plea("batch", "--cases", "all", "--to", "FR", "--host", "US", "--out", str(tmp_path / "out"), code=7)
    assert time.monotonic() - started < 30
    assert r.stderr.splitlines()[-1].startswith(f"plea: error: {blocks}: leads outside the template folder")
    assert not list((tmp_path / "out").rglob("*.docx"))
