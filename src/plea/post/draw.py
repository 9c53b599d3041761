"""Envelopes, label sheets and the posting list as PDF, drawn with reportlab.

Each function returns the PDF's bytes; the same input gives the same bytes (reportlab's
`invariant` mode: no creation date, no random document id), so a mailing written again into the
same folder changes nothing. Text is set in DejaVu Sans where the system has it (most Latin,
Cyrillic and Greek addresses), else in reportlab's own Vera.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from plea.post.sheets import INCH, PAGES, Envelope, LabelSheet

MM = 72 / 25.4  # points per millimetre
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class Row:
    """One letter of the mailing, as the envelopes, labels and the posting list show it."""

    case: str
    state: str
    mission: str
    recipient: str  # "Embassy of France"
    address: tuple[str, ...]  # plea.postal.address_lines
    sender: tuple[str, ...]  # the return address: name, organisation, address lines
    letter: str  # the PDF's file name
    language: str
    pages: int

    @property
    def block(self) -> list[str]:
        return [self.recipient, *self.address]


@cache
def font() -> str:
    """The name of the font registered for plea's drawings."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = next((p for p in FONT_FILES if Path(p).exists()), None)
    path = path or str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")
    pdfmetrics.registerFont(TTFont("PleaSans", path))
    return "PleaSans"


def _canvas(size: tuple[float, float]) -> tuple[io.BytesIO, object]:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(size[0] * MM, size[1] * MM), invariant=1, pageCompression=0)
    c.setTitle("plea")
    c.setAuthor("")
    c.setCreator("plea")
    return buf, c


def _lines(c: object, lines: Sequence[str], x: float, top: float, size: float, *, width: float) -> None:
    """Text lines from (x, top) in mm from the page's top-left; long lines are shrunk to fit `width`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    height = c._pagesize[1]  # type: ignore[attr-defined]
    y = height - top * MM - size
    for line in lines:
        fit = size
        while fit > 5 and stringWidth(line, font(), fit) > width * MM:
            fit -= 0.25
        c.setFont(font(), fit)  # type: ignore[attr-defined]
        c.drawString(x * MM, y, line)  # type: ignore[attr-defined]
        y -= size * 1.2


def envelopes(rows: Sequence[Row], envelope: Envelope) -> bytes:
    """One envelope a page: the sender's return address at the top left, small; the recipient's
    address in the right half, below the middle (where post offices' readers look for it)."""
    buf, c = _canvas((envelope.width, envelope.height))
    for row in rows:
        _lines(c, row.sender, 10, 8, 8, width=envelope.width / 2 - 15)
        x = envelope.width * 0.45
        top = envelope.height * 0.45
        _lines(c, row.block, x, top, 11, width=envelope.width - x - 10)
        c.showPage()  # type: ignore[attr-defined]
    c.save()  # type: ignore[attr-defined]
    return buf.getvalue()


def labels(rows: Sequence[Row], sheet: LabelSheet) -> bytes:
    """The recipients' addresses on a sheet of labels, left to right, top to bottom."""
    buf, c = _canvas(sheet.page)
    for start in range(0, max(len(rows), 1), sheet.per_sheet):
        for i, row in enumerate(rows[start : start + sheet.per_sheet]):
            col, line = i % sheet.cols, i // sheet.cols
            x = sheet.left + col * sheet.pitch_x + 4
            top = sheet.top + line * sheet.pitch_y + 3
            size = 9 if sheet.height > INCH * 1.2 else 7.5
            _lines(c, row.block[:7], x, top, size, width=sheet.width - 8)
        c.showPage()  # type: ignore[attr-defined]
    c.save()  # type: ignore[attr-defined]
    return buf.getvalue()


FIRM_BOOK_COLUMNS = (
    "No.",
    "Article number",
    "Addressee (name, street, city, postcode)",
    "Letter",
    "Lang.",
    "Pages",
    "Postage",
    "Fee",
)


def posting_list(rows: Sequence[Row], *, paper: str, title: str) -> bytes:
    """The posting list in the form of a firm mailing book for accountable mail (as USPS Form 3877):
    the sender's name and address, one numbered line per piece with an empty article-number column
    to fill in, then the totals the post office certifies, and a box for its postmark."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    page = PAGES.get(paper, PAGES["a4"])
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=(page[1] * MM, page[0] * MM),
        leftMargin=12 * MM,
        rightMargin=12 * MM,
        topMargin=12 * MM,
        bottomMargin=12 * MM,
        title="plea posting list",
        author="",
        creator="plea",
        invariant=1,
    )
    body = ParagraphStyle("body", fontName=font(), fontSize=8, leading=10)
    head = ParagraphStyle("head", fontName=font(), fontSize=12, leading=15)
    story: list[object] = []
    for sender, group in _by_sender(rows):
        story.append(Paragraph(title, head))
        story.append(Paragraph("Name and address of sender: " + ", ".join(sender or ("—",)), body))
        story.append(Spacer(1, 4 * MM))
        data: list[list[object]] = [[Paragraph(h, body) for h in FIRM_BOOK_COLUMNS]]
        for n, row in enumerate(group, 1):
            data.append(
                [
                    str(n),
                    "",
                    Paragraph("<br/>".join(_escape(x) for x in row.block), body),
                    Paragraph(_escape(row.letter), body),
                    row.language,
                    str(row.pages),
                    "",
                    "",
                ]
            )
        widths = [8, 40, 85, 62, 13, 13, 16, 16]  # 253 mm: fits landscape Letter and A4
        table = Table(data, colWidths=[w * MM for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font(), 8),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 5 * MM))
        totals = Table(
            [
                [
                    f"Total number of pieces listed by sender: {len(group)}",
                    "Total number of pieces received at post office: ______",
                    "Postmark and date of receipt",
                ],
                ["", "Postmaster, per (name of receiving employee): ______", ""],
            ],
            colWidths=[80 * MM, 105 * MM, 68 * MM],
            rowHeights=[10 * MM, 22 * MM],
        )
        totals.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font(), 8),
                    ("BOX", (2, 0), (2, 1), 0.5, colors.black),
                    ("SPAN", (2, 0), (2, 1)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(totals)
        from reportlab.platypus import PageBreak

        story.append(PageBreak())
    if story:
        story.pop()  # no blank page at the end
    doc.build(story)
    return buf.getvalue()


def _by_sender(rows: Sequence[Row]) -> list[tuple[tuple[str, ...], list[Row]]]:
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(row.sender, []).append(row)
    return list(groups.items())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
