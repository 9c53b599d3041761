"""plea.post.draw: envelopes and label sheets at their standard sizes, the text where the sheet's
labels are (positions read back with pdfplumber), the same bytes for the same input."""

from __future__ import annotations

import io

import pytest

from plea.post.draw import Row, envelopes, labels, posting_list
from plea.post.sheets import ENVELOPES, LABELS, envelope_for

MM = 72 / 25.4


def row(n: int) -> Row:
    return Row(
        case="PLEA-2026-0001",
        state="FR",
        mission=f"Q{n}",
        recipient=f"Embassy of State {n}",
        address=(f"{n} Clayallee", "14191 BERLIN"),
        sender=("Jane Counsel", "Legal Aid", "1 Main Street"),
        letter=f"PLEA-2026-0001_S{n}.pdf",
        language="de",
        pages=1,
    )


def pages(data: bytes) -> list:
    import pdfplumber

    pdf = pdfplumber.open(io.BytesIO(data))
    return pdf.pages


@pytest.mark.parametrize(
    ("key", "size_mm"), [("dl", (220, 110)), ("c5", (229, 162)), ("us10", (241.3, 104.775))]
)
def test_envelopes_are_their_standard_size_one_a_page(key: str, size_mm: tuple[float, float]) -> None:
    data = envelopes([row(1), row(2)], ENVELOPES[key])
    got = pages(data)
    assert len(got) == 2
    assert (round(got[0].width / MM, 1), round(got[0].height / MM, 1)) == (
        round(size_mm[0], 1),
        round(size_mm[1], 1),
    )
    text = got[1].extract_text()
    assert "Embassy of State 2" in text and "14191 BERLIN" in text and "Jane Counsel" in text
    assert data == envelopes([row(1), row(2)], ENVELOPES[key])  # deterministic: a re-run writes nothing


def test_the_paper_chooses_the_envelope_unless_told() -> None:
    assert envelope_for("a4", None).name == "DL" and envelope_for("letter", None).name == "US #10"
    assert envelope_for("a4", "C5").name == "C5" and envelope_for("letter", "#10").name == "US #10"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_labels_fill_the_sheet_left_to_right_and_each_address_sits_on_its_label(paper: str) -> None:
    sheet = LABELS[paper]
    rows = [row(n) for n in range(sheet.per_sheet + 1)]  # one more than a sheet: two pages
    got = pages(labels(rows, sheet))
    assert len(got) == 2
    words = got[0].extract_words()
    for n in (0, 1, sheet.cols, sheet.per_sheet - 1):
        col, line = n % sheet.cols, n // sheet.cols
        x0, top = (sheet.left + col * sheet.pitch_x) * MM, (sheet.top + line * sheet.pitch_y) * MM
        x1, bottom = x0 + sheet.width * MM, top + sheet.height * MM
        name = [w for w in words if w["text"] == str(n) and w["x0"] >= x0 and w["x1"] <= x1]
        assert name and all(top <= w["top"] and w["bottom"] <= bottom for w in name), (paper, n)
    assert "Embassy of State " + str(sheet.per_sheet) in got[1].extract_text()


def test_the_posting_list_is_a_firm_mailing_book() -> None:
    data = posting_list([row(1), row(2), row(3)], paper="a4", title="Firm mailing book for accountable mail")
    text = "\n".join(p.extract_text() for p in pages(data))
    assert "Name and address of sender: Jane Counsel, Legal Aid, 1 Main Street" in text
    assert "Article number" in text and "Total number of pieces listed by sender: 3" in text
    assert "Postmaster, per (name of receiving employee)" in text
