"""Issue 20: "domestic post omits the country line". A representative's address that ends in a state's
name says where the letters are posted from; a letter to a mission in that state leaves the country
line out of the addressee block, and keeps it when posted from abroad."""

from __future__ import annotations

import re
from pathlib import Path


def recipient_block(md: str) -> list[str]:
    block = re.search(r"::: recipient\n(.*?)\n:::", md, re.S)
    assert block, md
    return block.group(1).splitlines()


def render(plea, tmp_path: Path, address: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The addressee block of the letter to France's embassy in Washington (its real street: see
    tests/cli/test_post.py) from a case whose representative writes from `address`."""
    ref = plea("cases", "add", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "S.",
               "--rep-name", "Jane Counsel", "--rep-address", address).stdout.strip()
    out = tmp_path / name
    plea("letters", "render", ref, "--host", "US", "--to", "FR", "--lang", "en", "--format", "md",
         "--out", str(out))
    return recipient_block(next(out.glob("*.md")).read_text(encoding="utf-8"))


def give_address(plea) -> None:  # type: ignore[no-untyped-def]
    plea("embassies", "edit", "Q2841718", "--address", "4101 Reservoir Road NW", "--postcode", "20007")


def test_a_letter_posted_inside_the_host_has_no_country_line(plea, db_file: Path, tmp_path: Path) -> None:
    give_address(plea)
    lines = render(plea, tmp_path, "1 Main Street\nSpringfield, IL 62701\nUSA", "home")
    assert lines == ["Embassy of France", "4101 Reservoir Road NW", "WASHINGTON, DC 20007"]


def test_a_letter_posted_from_abroad_keeps_it(plea, db_file: Path, tmp_path: Path) -> None:
    give_address(plea)
    lines = render(plea, tmp_path, "5 rue de l'Exemple\n75011 Paris\nFrance", "abroad")
    assert lines[-1] == "UNITED STATES"
    # an address without a country line: where it is posted is unknown, so the line stays
    lines = render(plea, tmp_path, "1 Main Street\nSpringfield, IL 62701", "unknown")
    assert lines[-1] == "UNITED STATES"
