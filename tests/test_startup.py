"""Start-up stays light: the CLI module and `plea --help` load no heavy library.
(The timings themselves are measured by bench/startup.py, not by tests.)"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "docx", "jinja2", "babel", "alembic", "markdown_it", "email_validator")


def loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert loaded_after("import plea.cli") == []


def test_help_loads_no_heavy_module() -> None:
    code = ("import sys\nfrom plea.cli import app\nsys.argv = ['plea', '--help']\n"
            "try:\n    app()\nexcept SystemExit:\n    pass")
    assert loaded_after(code) == []


def test_subcommand_help_loads_no_heavy_module() -> None:
    for sub in ("letters", "embassies", "cases", "responses"):
        code = (f"import sys\nfrom plea.cli import app\nsys.argv = ['plea', '{sub}', 'render' if '{sub}' == 'letters' else 'list', '--help']\n"
                "try:\n    app()\nexcept SystemExit:\n    pass")
        assert loaded_after(code) == [], sub


def test_version_fast_path_prints_version() -> None:
    from plea import __version__

    out = subprocess.run([sys.executable, "-m", "plea", "--version"], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == f"plea {__version__}"
