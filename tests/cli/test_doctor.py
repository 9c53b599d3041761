"""`plea doctor` finds what is wrong and says what to fix."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dbcheck import PleaDB, execute


def levels(out: str) -> dict[str, str]:
    return {c["what"]: c["level"] for c in json.loads(out)}


def test_doctor_on_a_healthy_plain_database_warns_about_encryption(plea, db_file: PleaDB) -> None:
    r = plea("doctor", "--json")
    checks = json.loads(r.stdout)
    assert not [c for c in checks if c["level"] == "fail"]
    warn = [c for c in checks if c["level"] == "warn"]
    # a SQLite file can be encrypted (SQLCipher); PostgreSQL encrypts at its own level
    assert any("not encrypted" in c["what"] and "--encrypt" in c["fix"] for c in warn) == db_file.is_sqlite
    assert any(c["what"].startswith("history chain intact") for c in checks)


def test_doctor_finds_loose_permissions_and_a_tampered_history(
    plea, db_file: PleaDB, plea_home: Path
) -> None:
    plea("cases", "add", "--name", "Doctor Test", "--nationality", "RU", "--persecution", "x")
    if db_file.path is not None:
        db_file.path.chmod(0o644)
    plea_home.chmod(0o755)
    execute(db_file, "UPDATE event SET actor = 'someone else' WHERE kind = 'case.created'")
    r = plea("doctor", code=1)
    assert "FAIL  " in r.stdout
    assert f"chmod 700 '{plea_home}'" in r.stdout
    assert (f"chmod 600 '{db_file.path}'" in r.stdout) == db_file.is_sqlite
    assert "was changed after it was written" in r.stdout


def test_doctor_without_database_says_run_init(plea) -> None:
    r = plea("doctor", code=1)
    assert "plea init" in r.stdout


def _path_with(tmp_path: Path, monkeypatch, fc_list: str | None) -> None:
    """PATH holding only a fake fc-list printing these families (no soffice, no real fonts)."""
    import stat
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if fc_list is not None:
        script = bin_dir / "fc-list"
        script.write_text(f"#!{sys.executable}\nprint({fc_list!r}, end='')\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("PLEA_SOFFICE", raising=False)


def test_doctor_reports_a_missing_soffice_and_missing_fonts(plea, db_file: PleaDB, tmp_path: Path,
                                                            monkeypatch) -> None:
    _path_with(tmp_path, monkeypatch, "Noto Sans,Noto Sans Regular\nDejaVu Sans\nNoto Sans Arabic\n")
    checks = {c["what"]: c for c in json.loads(plea("doctor", "--json").stdout)}
    soffice = checks["LibreOffice (soffice) not found: --format pdf will not work"]
    assert soffice["level"] == "warn"
    assert soffice["fix"] == ("sudo apt-get install libreoffice-writer fonts-noto-core fonts-noto-cjk "
                              "(macOS: brew install --cask libreoffice), or set PLEA_SOFFICE to soffice's path")
    assert checks["fonts for Latin, Cyrillic and Greek letters: Noto Sans"]["level"] == "ok"
    assert checks["fonts for Arabic letters: Noto Sans Arabic"]["level"] == "ok"
    cjk = checks["no font for Chinese and Japanese letters (looked for Noto Sans CJK, Noto Serif CJK): "
                 "PDF letters would show empty boxes"]
    assert (cjk["level"], cjk["fix"]) == ("warn", "sudo apt-get install fonts-noto-cjk")
    text = plea("doctor").stdout
    assert ("WARN  LibreOffice (soffice) not found: --format pdf will not work\n"
            "      → sudo apt-get install libreoffice-writer fonts-noto-core fonts-noto-cjk") in text


def test_doctor_finds_fonts_by_family_and_says_when_it_cannot_look(plea, db_file: PleaDB, tmp_path: Path,
                                                                   monkeypatch) -> None:
    _path_with(tmp_path, monkeypatch, "Noto Serif\nNoto Sans CJK JP,Noto Sans CJK JP Regular\n")
    checks = {c["what"]: c["level"] for c in json.loads(plea("doctor", "--json").stdout)}
    assert checks["fonts for Latin, Cyrillic and Greek letters: Noto Serif"] == "ok"
    assert checks["fonts for Chinese and Japanese letters: Noto Sans CJK JP, Noto Sans CJK JP Regular"] == "ok"
    assert checks["no font for Arabic letters (looked for Noto Sans Arabic, Noto Naskh Arabic, Noto Kufi Arabic): "
                  "PDF letters would show empty boxes"] == "warn"
    (tmp_path / "bin" / "fc-list").unlink()
    checks = {c["what"]: c for c in json.loads(plea("doctor", "--json").stdout)}
    assert checks["fonts not checked: fc-list (fontconfig) is not installed"]["level"] == "warn"


def test_doctor_names_the_authorities_without_a_name(plea, db_file: PleaDB, tmp_path: Path) -> None:
    checks = levels(plea("doctor", "--json").stdout)
    assert not [w for w in checks if "authority" in w]  # the shipped directory has none: nothing said
    sheet = tmp_path / "authorities.csv"
    sheet.write_text("id,sending,host,city,kind,name\n"
                     "DE-BAMF,DE,DE,Nuremberg,migration-authority,\n"
                     "FR-MI,FR,FR,Paris,interior-ministry,Ministère de l'Intérieur\n", encoding="utf-8")
    plea("embassies", "import", str(sheet))
    checks = json.loads(plea("doctor", "--json").stdout)
    [found] = [c for c in checks if "authority(ies)" in c["what"]]
    assert found["level"] == "warn"
    assert found["what"] == "1 authority(ies) in the directory without a name of their own: DE-BAMF"
    assert "plea embassies edit ID --name" in found["fix"]
    plea("embassies", "edit", "DE-BAMF", "--name", "Bundesamt für Migration und Flüchtlinge")
    checks = levels(plea("doctor", "--json").stdout)
    assert checks["every authority in the directory has its own name (2)"] == "ok"
