"""Where a letter's parts sit on the page: the paper's margins, the window of the envelope the
letter is posted in (the addressee block sits in it), the sender block, where the text begins,
and the words of the continuation pages' header ("Ref. … · page 2 of 3") per language.

Every measure is in millimetres from the page's top-left corner; docx.py turns them into frames
(w:framePr) and paragraph spacing, and tests/test_layout_pdf.py reads the PDF's text positions
back against them.
"""

from __future__ import annotations

from dataclasses import dataclass

INCH = 25.4


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Layout:
    page: tuple[float, float]  # width, height
    margins: tuple[float, float, float, float]  # top, right, bottom, left
    window: Box  # the envelope's address window, on the unfolded first page
    address: Box  # the frame the addressee block is written in (inside the window)
    sender: Box  # the frame of the sender block (height: at least)
    date: Box  # the frame of the date line (right-aligned in it)
    text_top: float  # where the text after the blocks (the subject line) begins on the first page
    header_distance: float  # from the top edge to the continuation pages' header
    address_size: float = 10.0  # points: the addressee block's type size (six lines fit the window)


#: A4, DIN 5008 form B (tiefgestelltes Anschriftfeld), for a DL or C5/6 window envelope: the
#: address field is 85 × 45 mm, 20 mm from the left edge and 45 mm from the top; its first
#: 17.7 mm hold the return line and postal notes, the address proper the 27.3 mm below; text
#: starts 25 mm from the left; the information block (here: the sender) begins 125 mm from the
#: left edge, 50 mm from the top (the date at its foot). Sources (retrieved 2026-12-04):
#: https://sapwickler.de/docs/formulare/allgemein/din_5008/ (form A and B measures),
#: http://www.korrespondenz-din-5008.de/briefe-schreiben/din-5008-adressfeld/ (the field's zones).
A4 = Layout(
    page=(210.0, 297.0),
    margins=(20.0, 20.0, 16.0, 25.0),
    window=Box(20.0, 45.0, 85.0, 45.0),
    address=Box(25.0, 49.0, 76.0, 39.0),
    sender=Box(125.0, 50.0, 65.0, 30.0),
    date=Box(125.0, 83.0, 65.0, 5.0),
    text_top=93.0,
    header_distance=10.0,
)

#: US Letter tri-folded into a standard #10 double-window envelope (4 1/8 × 9 1/2 in). The
#: recipient window is 1 × 4 in, 0.625 in from the envelope's left edge and 1 in from its
#: bottom; the return-address window is 0.875 × 3.25 in, 0.625 in from the left and 2.375 in
#: from the bottom. Source (retrieved 2026-12-04): Lob, "Letter envelopes", Standard #10 outer
#: envelope (double-windowed), https://help.lob.com/print-and-mail/designing-mail/mail-piece-design-specs/letter-envelopes
#: With the letter folded in thirds (panels of 11/3 in) and its first panel resting on the
#: envelope's bottom fold, the recipient window shows the page from 11/3 − 2 = 1.667 in to
#: 2.667 in from the top, 0.625 in to 4.625 in from the left; the return window 0.417 in to
#: 1.292 in from the top. The sender block sits in the return window, the date to the right
#: of the recipient window.
LETTER = Layout(
    page=(215.9, 279.4),
    margins=(19.05, 19.05, 19.05, 25.4),
    window=Box(0.625 * INCH, (11 / 3 - 2) * INCH, 4 * INCH, 1 * INCH),
    address=Box(0.625 * INCH + 4.0, (11 / 3 - 2) * INCH + 2.0, 4 * INCH - 8.0, 1 * INCH - 4.0),
    sender=Box(0.625 * INCH + 4.0, (11 / 3 - 2.375 - 0.875) * INCH + 1.0, 3.25 * INCH - 8.0,
               0.875 * INCH - 2.0),
    date=Box(130.0, (11 / 3 - 2) * INCH + 2.0, 215.9 - 19.05 - 130.0, 5.0),
    text_top=(11 / 3 - 1) * INCH + 4.0,
    header_distance=10.0,
    address_size=9.0,  # the window is one inch high: six lines of 9 pt fit it
)

LAYOUTS = {"a4": A4, "letter": LETTER}

#: the continuation pages' header: the reference's label, and "page N of M" with {page} and
#: {pages} where the PAGE and NUMPAGES fields go. The labels are those of each language's
#: subject line (templates/letters/_blocks/<lang>.md.j2).
CONTINUATION: dict[str, tuple[str, str]] = {
    "ar": ("المرجع:", "الصفحة {page} من {pages}"),
    "de": ("Zeichen:", "Seite {page} von {pages}"),
    "en": ("Ref.", "page {page} of {pages}"),
    "es": ("Ref.", "página {page} de {pages}"),
    "fr": ("Réf.", "page {page} sur {pages}"),
    "it": ("Rif.", "pagina {page} di {pages}"),
    "ja": ("整理番号：", "{page}／{pages}ページ"),
    "pl": ("Znak:", "strona {page} z {pages}"),
    "pt": ("Ref.", "página {page} de {pages}"),
    "ru": ("№", "страница {page} из {pages}"),
    "tr": ("Referans:", "sayfa {page} / {pages}"),
    "zh": ("编号：", "第{page}页，共{pages}页"),
    "et": ("Viide:", "lk {page} / {pages}"),
    "he": ("מס׳", "עמוד {page} מתוך {pages}"),
    "hy": ("№", "էջ {page} / {pages}"),
    "ka": ("№", "გვერდი {page} / {pages}"),
    "kk": ("№", "бет {page} / {pages}"),
    "lt": ("Nr.", "puslapis {page} iš {pages}"),
    "lv": ("Nr.", "{page}. lappuse no {pages}"),
    "ro": ("Nr.", "pagina {page} din {pages}"),
    "sr": ("Број:", "страна {page} од {pages}"),
    "sr-Latn": ("Broj:", "strana {page} od {pages}"),
    "uk": ("№", "сторінка {page} з {pages}"),
}


def continuation(lang: str) -> tuple[str, str]:
    """The header's words for a language (English where plea has none)."""
    return CONTINUATION.get(lang) or CONTINUATION.get(lang.split("-")[0], CONTINUATION["en"])
