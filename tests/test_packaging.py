"""The wheel carries templates/ and data/, and the installed `plea` finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # builds a wheel and a venv: left out of the fast tier

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, text=True)
    (whl,) = out.glob("plea-*.whl")
    return whl


def test_wheel_contains_templates_data_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "plea/data/embassies.csv" in names
    assert "plea/data/un_member_states.csv" in names
    assert "plea/templates/letters/humanitarian-visa/letter.toml" in names
    assert "plea/templates/letters/_blocks/ar.md.j2" in names
    for lang in ("en", "fr", "de", "ru", "ar", "zh"):
        assert f"plea/templates/letters/humanitarian-visa/{lang}.md.j2" in names
    assert "plea/db/migrations/env.py" in names
    assert any(n.startswith("plea/db/migrations/versions/0001") for n in names)
    from plea.schemas import names as schema_names

    assert {f"plea/schemas/{n}.schema.json" for n in schema_names()} <= names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    for lang in ("ru", "uk"):  # the interface's catalogs, compiled; their sources stay in the sdist
        assert f"plea/locale/{lang}/LC_MESSAGES/plea.mo" in names
    assert not any(n.endswith((".po", ".pot")) for n in names)


def sees_these_packages(env_dir: Path) -> Path:
    """A new virtualenv that sees the packages of the Python running the tests, wherever they are.
    `system_site_packages` alone shows the base interpreter's, which inside a virtualenv (where
    contributors install plea's dependencies) lacks them; a .pth file in the new environment lists
    this interpreter's site-packages folders too. Its own site-packages still comes first, so the
    wheel installed there is the plea it runs."""
    import site

    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    outer = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    (Path(purelib) / "outer-site-packages.pth").write_text("".join(f"{d}\n" for d in outer))
    return py


def test_installed_plea_finds_its_files(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    py = sees_these_packages(env_dir)
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True)
    env = {**os.environ, "PLEA_HOME": str(tmp_path / "home"), "PLEA_ACTOR": "test"}
    env.pop("PLEA_DATABASE_URL", None)
    env.pop("PYTHONPATH", None)  # the venv's own plea, not a source tree on the path
    where = subprocess.run([str(py), "-c", "import plea, plea.resources as r; print(plea.__file__); print(r.data_dir())"],
                           check=True, capture_output=True, text=True, env=env, cwd=tmp_path).stdout.split()
    assert str(env_dir) in where[0] and str(env_dir) in where[1], where
    plea = env_dir / "bin" / "plea"
    letters = json.loads(subprocess.run([str(plea), "templates", "list", "--json"], check=True, capture_output=True,
                                        text=True, env=env, cwd=tmp_path).stdout)
    assert {x["letter"] for x in letters} >= {"humanitarian-visa", "follow-up", "thanks"}
    subprocess.run([str(plea), "init"], check=True, capture_output=True, env=env, cwd=tmp_path)
    cov = json.loads(subprocess.run([str(plea), "embassies", "coverage", "--host", "US", "--json"], check=True,
                                    capture_output=True, text=True, env=env, cwd=tmp_path).stdout)
    assert cov["totals"]["resident"] >= 168
    schema = json.loads(subprocess.run([str(plea), "schema", "show", "embassies-coverage"], check=True,
                                       capture_output=True, text=True, env=env, cwd=tmp_path).stdout)
    assert set(schema["required"]) <= set(cov)  # read from the installed wheel, not the source tree
    version = subprocess.run([str(py), "-m", "plea", "--version"], check=True, capture_output=True, text=True,
                             env=env, cwd=tmp_path).stdout
    assert version.startswith("plea ")
    russian = subprocess.run([str(plea), "--help"], check=True, capture_output=True, text=True,
                             env={**env, "PLEA_LANG": "ru"}, cwd=tmp_path).stdout
    assert russian.startswith("Использование: plea ") and "Команды:" in russian
