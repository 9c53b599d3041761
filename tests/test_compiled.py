"""The compiled-template cache (plea.render.compiled): a second run reads back what the first
kept and writes the very same letters; a change to a template, a corrupt entry or a folder that
others can write to is never trusted."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from plea.letters.fast import FastRenderer, case_key
from plea.letters.fast_stages import Staged
from plea.render import compiled
from plea.render.catalog import get_letter
from plea.render.context import case_context
from plea.render.letter import render_markdown_for
from plea.resources import shipped_templates_dir
from plea.sample import sample_case, sample_mission

DAY = date(2026, 11, 23)
LANGS = ("en", "ru", "ar", "zh", "ka")


def fresh() -> FastRenderer:
    """A renderer as a new process makes it (the folder looked up again)."""
    compiled._folder.cache_clear()
    return FastRenderer(get_letter("humanitarian-visa"))


def letters(renderer: FastRenderer) -> list[str]:
    case = sample_case()
    key = case_key(case_context(case))
    return [
        renderer.markdown(lang, case=case, case_key=key, mission=sample_mission(state, "US"), today=DAY)
        for lang in LANGS
        for state in ("FR", "JP")
    ]


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/staged-*"))


def test_a_second_run_reads_the_cache_and_writes_the_same_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Path(os.environ["PLEA_CACHE_DIR"])
    first = fresh()
    made = letters(first)
    assert len(entries(cache)) == len(LANGS)
    assert first.fallbacks == 0

    analysed = []
    monkeypatch.setattr(Staged, "_build", lambda self: analysed.append(self.name))
    second = fresh()
    assert letters(second) == made
    assert analysed == [] and second.fallbacks == 0  # every language read back, none analysed
    spec = get_letter("humanitarian-visa")
    case = sample_case()
    whole = render_markdown_for(spec, "ka", case=case, mission=sample_mission("JP", "US"), today=DAY)
    assert made[LANGS.index("ka") * 2 + 1] == whole
    # the imported blocks come from Jinja's bytecode cache in the same folder
    assert list(cache.glob("*/jinja-*.cache"))


def test_a_corrupt_entry_is_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Path(os.environ["PLEA_CACHE_DIR"])
    made = letters(fresh())
    for entry in entries(cache):
        entry.write_bytes(entry.read_bytes()[:40])
    assert letters(fresh()) == made


def test_changed_templates_make_a_new_folder_and_the_old_one_goes(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Path(os.environ["PLEA_CACHE_DIR"])
    letters(fresh())
    (old,) = [p for p in cache.iterdir() if p.is_dir()]
    # another version's fingerprint stands for a change to any template file
    compiled._fingerprint.cache_clear()
    monkeypatch.setattr(compiled, "_FORMAT", b"plea-compiled-test\n")
    letters(fresh())
    (new,) = [p for p in cache.iterdir() if p.is_dir()]
    assert new != old and not old.exists()
    compiled._fingerprint.cache_clear()


def test_the_fingerprint_covers_every_template_file(tmp_path: Path) -> None:
    letters_dir = tmp_path / "letters"
    (letters_dir / "x").mkdir(parents=True)
    (letters_dir / "x" / "en.md.j2").write_text("one", encoding="utf-8")
    before = compiled._fingerprint(letters_dir)
    compiled._fingerprint.cache_clear()
    (letters_dir / "x" / "en.md.j2").write_text("two", encoding="utf-8")
    assert compiled._fingerprint(letters_dir) != before
    compiled._fingerprint.cache_clear()


def test_a_folder_others_can_write_to_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Path(os.environ["PLEA_CACHE_DIR"])
    letters(fresh())
    cache.chmod(0o777)
    compiled._folder.cache_clear()
    assert compiled.folder_for(shipped_templates_dir() / "letters") is None
    analysed = []
    real = Staged._build
    monkeypatch.setattr(Staged, "_build", lambda self: (analysed.append(self.name), real(self)))
    letters(fresh())
    assert len(analysed) == len(LANGS)


def test_templates_from_elsewhere_and_off_are_never_cached(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert compiled.folder_for(tmp_path) is None
    monkeypatch.setenv("PLEA_CACHE_DIR", "off")
    assert compiled.folder_for(shipped_templates_dir() / "letters") is None


def test_skeletons_are_kept_and_read_back_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from plea.render import docx

    cache = Path(os.environ["PLEA_CACHE_DIR"])
    compiled._folder.cache_clear()
    docx._kept_skeleton.cache_clear()
    built = {(paper, lang): docx.skeleton_for(lang, paper=paper)
             for paper in ("a4", "letter") for lang in LANGS}
    assert sorted(p.name for p in cache.glob("*/skeleton-*")) == sorted(
        f"skeleton-{paper}-{script}" for paper in ("a4", "letter") for script in ("latin", "zh", "ka"))

    docx._kept_skeleton.cache_clear()
    compiled._folder.cache_clear()
    monkeypatch.setattr(docx, "_skeleton", lambda *a: pytest.fail("built again instead of read back"))
    for (paper, lang), skeleton in built.items():
        again = docx.skeleton_for(lang, paper=paper)
        assert again == skeleton and again is not skeleton
    docx._kept_skeleton.cache_clear()


def test_a_missing_package_version_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    compiled._folder.cache_clear()
    compiled._fingerprint.cache_clear()
    monkeypatch.setattr(metadata, "version", missing)
    assert compiled.shipped_folder() is None
    compiled._folder.cache_clear()
    compiled._fingerprint.cache_clear()
