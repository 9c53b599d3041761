"""The sizes plea prints on: envelopes and label sheets, in millimetres, each with its source.

Envelopes (width × height, landscape, as fed to a printer):
- DL 220 × 110 mm and C5 229 × 162 mm: ISO 269 / DIN 678, the envelopes for A4 letters folded in
  three (DL) or in half (C5). Source (retrieved 2026-12-04): ISO 269 sizes as listed at
  https://is.wikipedia.org/wiki/ISO_269 (DL 110 × 220, C5 162 × 229 mm)
- US #10, 9 1/2 × 4 1/8 in: the commercial envelope for Letter folded in three. Source (retrieved
  2026-12-04): https://help.lob.com/print-and-mail/designing-mail/mail-piece-design-specs/letter-envelopes

Label sheets:
- Avery 5160 (US Letter): 3 × 10 labels of 2 5/8 × 1 in, 0.5 in top margin, 0.1875 in side margins
  and 0.125 in between columns (so 2.75 in apart). Source (retrieved 2026-12-04): a table of Avery
  sheet sizes, https://gist.github.com/armadsen/5084458 (row "Avery 5160"); gLabels' template agrees
  on the label size and rows, https://github.com/GNOME/glabels/blob/master/templates/avery-us-templates.xml
- Avery L7163 (A4): 2 × 7 labels of 99.1 × 38.1 mm, two across an A4 sheet. Source (retrieved
  2026-12-04): Deltek's label settings ("Avery L7163 (two labels across on a standard ... A4 page)"),
  https://help.deltek.com/Product/Vision/7.6/rept_Vendor_Mailing_Labels_General_Tab.html, and label
  tools' presets (99.1 × 38.1 mm, 14 per sheet). The margins are the centred grid's: 4.65 mm at the
  sides and a 2.5 mm gap (4.65 + 99.1 + 2.5 + 99.1 + 4.65 = 210), 15.15 mm at top and bottom
  (15.15 + 7 × 38.1 + 15.15 = 297).
"""

from __future__ import annotations

from dataclasses import dataclass

INCH = 25.4


@dataclass(frozen=True)
class Envelope:
    name: str
    width: float
    height: float


@dataclass(frozen=True)
class LabelSheet:
    name: str
    page: tuple[float, float]
    cols: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float

    @property
    def per_sheet(self) -> int:
        return self.cols * self.rows


ENVELOPES = {
    "dl": Envelope("DL", 220.0, 110.0),
    "c5": Envelope("C5", 229.0, 162.0),
    "us10": Envelope("US #10", 9.5 * INCH, 4.125 * INCH),
}
LABELS = {
    "a4": LabelSheet("Avery L7163", (210.0, 297.0), 2, 7, 99.1, 38.1, 4.65, 15.15, 101.6, 38.1),
    "letter": LabelSheet(
        "Avery 5160",
        (8.5 * INCH, 11 * INCH),
        3,
        10,
        2.625 * INCH,
        1 * INCH,
        0.1875 * INCH,
        0.5 * INCH,
        2.75 * INCH,
        1 * INCH,
    ),
}
PAGES = {"a4": (210.0, 297.0), "letter": (8.5 * INCH, 11 * INCH)}


def envelope_for(paper: str, choice: str | None) -> Envelope:
    """--envelope dl|c5|us10, or the paper's own: DL for A4 (folded in three), US #10 for Letter."""
    from plea.errors import InvalidInput

    if choice is None:
        return ENVELOPES["us10" if paper == "letter" else "dl"]
    key = choice.lower().replace("#", "").replace(" ", "")
    key = {"10": "us10", "no10": "us10"}.get(key, key)
    if key not in ENVELOPES:
        raise InvalidInput(f"--envelope: {choice!r} is not one of {', '.join(ENVELOPES)}")
    return ENVELOPES[key]
