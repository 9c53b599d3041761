"""`plea post --annex` (issue 23: "letters render/batch/post --annex"): each posted letter's PDF is the
packet, the letter followed by its annexes in the letter's language where a translation exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_annexes import pdf_pages, summons_and_translation
from tests.cli.test_post import give_addresses


def _case(plea) -> str:  # type: ignore[no-untyped-def]
    return plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--country", "US",
                "--situation", "detained", "--persecution", "Arrested for posts against the war.",
                "--rep-name", "Jane Counsel", "--rep-address", "1 Main Street\nSpringfield, IL 62701",
                "--rep-email", "counsel@example.org").stdout.strip()


@pytest.mark.soffice
@pytest.mark.heavy
def test_each_posted_letter_is_its_packet(plea, db_file: Path, tmp_path: Path) -> None:
    ref = _case(plea)
    give_addresses(plea)
    original, _ = summons_and_translation(plea, ref, tmp_path)
    out = tmp_path / "mailing"
    plea("post", ref, "--host", "US", "--to", "FR,DE", "--out", str(out), "--annex", original)
    fr_pages = pdf_pages(out / f"{ref}_FR-US_humanitarian-visa_fr.pdf")
    de_pages = pdf_pages(out / f"{ref}_DE-US_humanitarian-visa_de.pdf")
    # France gets the certified French translation, Germany the Russian original, numbered across
    assert sum("CITATION traduction certifiee" in p for p in fr_pages) == 2
    assert not any("POVESTKA" in p for p in fr_pages)
    assert sum("POVESTKA original summons" in p for p in de_pages) == 2
    assert fr_pages[-1].strip().endswith(f"{len(fr_pages)} / {len(fr_pages)}")
    # the posting list counts the packet's pages
    listing = (out / "posting-list.csv").read_text(encoding="utf-8-sig").splitlines()
    fr_row = next(line for line in listing if line.startswith(f"{ref},FR,"))
    assert fr_row.split(",")[-2] == str(len(fr_pages))


def test_document_numbers_need_one_case(plea, db_file: Path, tmp_path: Path) -> None:
    _case(plea)
    r = plea("post", "--cases", "all", "--host", "US", "--out", str(tmp_path / "m"), "--annex", "1", code=3)
    assert r.stderr == ("plea: error: --annex: document numbers belong to one case: give one CASE, "
                        "or --annex all with --cases\n")
    assert not (tmp_path / "m").exists()
