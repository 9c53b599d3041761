"""Templates someone sent you (PLEA_TEMPLATES): sandboxed, rendered in a confined child
process with a time limit; hostile ones are refused with a clear error and nothing is written."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

HOSTILE = {
    "attribute escape": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals escape": "{{ cycler.__init__.__globals__.os.system('id') }}",
    "format string": "{{ '{0.__class__.__base__}'.format(case) }}",
    "attr filter": "{{ case|attr('__class__') }}",
    "huge range": "{% for i in range(10**9) %}x{% endfor %}",
    "huge string": "{{ 'a' * 10**8 }}",
    "huge power": "{{ (9**(9**9)) % 10 }}",
    "read a file": "{% include '../../../../../../etc/passwd' %}",
    "endless loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
}


@pytest.fixture
def own_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "their-templates"
    shutil.copytree(REPO / "templates", root)
    monkeypatch.setenv("PLEA_TEMPLATES", str(root))
    monkeypatch.setenv("PLEA_RENDER_TIMEOUT", "4")
    return root


@pytest.fixture
def case(plea, db_file: Path) -> str:
    return plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Template Victim", "--nationality", "RU", "--persecution", "x").stdout.strip()


def test_templates_from_elsewhere_render_in_a_child(plea, own_templates: Path, case: str, tmp_path: Path) -> None:
    blocks = own_templates / "letters" / "_blocks" / "en.md.j2"
    blocks.write_text(blocks.read_text().replace("Your Excellency,\n", "Dear Ambassador (custom),\n"), encoding="utf-8")
    plea("letters", "render", case, "--to", "GB", "--format", "txt", "--out", str(tmp_path / "out"))
    (written,) = (tmp_path / "out").iterdir()
    assert "Dear Ambassador (custom)," in written.read_text()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_template_is_refused(plea, own_templates: Path, case: str, tmp_path: Path, name: str) -> None:
    letter = own_templates / "letters" / "humanitarian-visa" / "en.md.j2"
    letter.write_text(letter.read_text() + "\n" + HOSTILE[name] + "\n", encoding="utf-8")
    started = time.monotonic()
    r = plea("letters", "render", case, "--to", "GB", "--format", "txt", "--out", str(tmp_path / "out"), code=7)
    assert time.monotonic() - started < 30
    assert r.stderr.startswith("plea: error: ")
    assert "Traceback" not in r.stderr and "root:" not in r.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_templates_folder_is_named(plea, db_file: Path, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLEA_TEMPLATES", str(tmp_path / "nowhere"))
    r = plea("templates", "list", code=4)
    assert "PLEA_TEMPLATES" in r.stderr and "letters/" in r.stderr
