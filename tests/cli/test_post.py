"""`plea post`: a mailing for window envelopes (issue 21). Letters as PDFs with the address in the
envelope's window (text positions read back with pdfplumber), envelopes or labels, the posting list,
the missions without a postal address listed and left out, and `letters sent --via post` refusing them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.dbcheck import rows as q

# Real addresses of three embassies in Washington (the shipped directory has none):
# France, 4101 Reservoir Road NW (https://en.wikipedia.org/wiki/Embassy_of_France,_Washington,_D.C.),
# Germany, 4645 Reservoir Road NW (https://en.wikipedia.org/wiki/Embassy_of_Germany,_Washington,_D.C.),
# Italy, 3000 Whitehaven Street NW (https://en.wikipedia.org/wiki/Embassy_of_Italy,_Washington,_D.C.).
ADDRESSES = {
    "FR": ("Q2841718", "4101 Reservoir Road NW", "20007"),
    "DE": ("Q324833", "4645 Reservoir Road NW", "20007"),
    "IT": ("Q5369749", "3000 Whitehaven Street NW", "20008"),
}
INCH = 72.0  # PDF points
#: US Letter folded in three in a #10 double-window envelope: the recipient window on the unfolded
#: first page, 0.625 in to 4.625 in from the left and 1.667 in to 2.667 in from the top (4 × 1 in)
US10_WINDOW = (0.625 * INCH, (11 / 3 - 2) * INCH, 4.625 * INCH, (11 / 3 - 1) * INCH)


def add_case(plea, *extra: str) -> str:
    return plea(
        "cases",
        "add",
        "--name",
        "Ivan Petrov",
        "--nationality",
        "RU",
        "--country",
        "US",
        "--situation",
        "detained",
        "--persecution",
        "Arrested for posts against the war.",
        "--rep-name",
        "Jane Counsel",
        "--rep-org",
        "Legal Aid",
        "--rep-address",
        "1 Main Street\nSpringfield, IL 62701",
        *extra,
    ).stdout.strip()


def give_addresses(plea) -> None:
    for mission, street, postcode in ADDRESSES.values():
        plea("embassies", "edit", mission, "--address", street, "--postcode", postcode, "--verified")


def words(path: Path, page: int = 0) -> list[dict]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return pdf.pages[page].extract_words(keep_blank_chars=False)


def page_texts(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def address_block(page: list[dict], first_word: str, window: tuple = US10_WINDOW) -> list[dict]:
    """The words of the addressee block: the lines that run on, without a gap and from the same left
    edge, above and below the street line (found by its first word); a word of those lines beyond the
    window's right edge (the date beside the window) is another block's."""
    street = next((w for w in page if w["text"] == first_word), None)
    assert street is not None, f"no {first_word!r} on the first page"
    left, height = street["x0"], street["bottom"] - street["top"]
    column = [w for w in page if left - 1 <= w["x0"] < window[2]]  # not the sender's or the date's
    tops = sorted({round(w["top"], 1) for w in column})

    def line(top: float) -> list[dict]:
        return [w for w in column if abs(w["top"] - top) < 2]

    block_tops = [street["top"]]
    for direction in (-1, 1):
        current = street["top"]
        for top in sorted(tops, reverse=direction < 0):
            if (top - current) * direction <= 1:
                continue
            words_of = line(top)
            if (
                (top - current) * direction > 1.8 * height
                or not words_of
                or abs(words_of[0]["x0"] - left) > 2
            ):
                break
            block_tops.append(top)
            current = top
    return [w for top in block_tops for w in line(top)]


def inside(word: dict, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    return word["x0"] >= x0 and word["x1"] <= x1 and word["top"] >= top and word["bottom"] <= bottom


LEFT_OUT = (
    "left out, no postal address (2): add it with `plea embassies edit ID --address … --postcode …`\n"
    "  {ref}: Spain (ES), mission Q3817624: no street, postcode\n"
    "  {ref}: Japan (JP), mission Q1683269: no street, postcode\n"
)


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_mailing_for_three_addressed_missions_and_two_without(plea, db_file: Path, tmp_path: Path) -> None:
    """The issue's done-when: 3 letter PDFs with the address in the window, envelopes and labels with
    3 addresses, a posting list of 3 rows, the 2 left out named; a re-run changes nothing; tracking
    numbers written into the posting list go back through `letters sent --tracking-file`."""
    ref = add_case(plea)
    give_addresses(plea)
    out = tmp_path / "mailing"
    r = plea("post", ref, "--host", "US", "--to", "FR,DE,IT,ES,JP", "--out", str(out))
    assert r.stderr.startswith(LEFT_OUT.format(ref=ref))
    order = ("FR", "DE", "IT")  # as --to names them
    pdfs = [out / f"{ref}_{s}-US_humanitarian-visa_{s.lower()}.pdf" for s in order]
    assert sorted(out.glob(f"{ref}_*.pdf")) == sorted(pdfs)
    assert r.stdout.splitlines() == [str(p) for p in pdfs] + [
        str(out / "envelopes.pdf"),
        str(out / "posting-list.csv"),
        str(out / "posting-list.pdf"),
    ]
    for pdf in pdfs:
        state = pdf.name.split("_")[1][:2]
        _, street, postcode = ADDRESSES[state]
        block = address_block(words(pdf), street.split()[0])
        assert len({round(w["top"]) for w in block}) >= 3, f"{pdf.name}: no name, street and city lines"
        assert postcode in {w["text"] for w in block}
        outside = [w["text"] for w in block if not inside(w, US10_WINDOW)]
        assert not outside, f"{pdf.name}: outside the #10 envelope's window: {outside}"

    envelopes = page_texts(out / "envelopes.pdf")
    assert len(envelopes) == 3
    for text, state in zip(envelopes, order, strict=True):
        assert ADDRESSES[state][1] in text and "WASHINGTON, DC" in text
        assert "Jane Counsel" in text and "Springfield, IL 62701" in text  # the return address
    with open(out / "posting-list.csv", encoding="utf-8-sig", newline="") as fh:
        posting = list(csv.DictReader(fh))
    assert [(p["state"], p["recipient"], p["letter"], p["tracking"]) for p in posting] == [
        ("FR", "Embassy of France", pdfs[0].name, ""),
        ("DE", "Embassy of Germany", pdfs[1].name, ""),
        ("IT", "Embassy of Italy", pdfs[2].name, ""),
    ]
    assert posting[0]["address"] == "4101 Reservoir Road NW, WASHINGTON, DC 20007"  # domestic: no country
    from pypdf import PdfReader

    assert [int(p["pages"]) for p in posting] == [len(PdfReader(p).pages) for p in pdfs]
    book = "\n".join(page_texts(out / "posting-list.pdf"))
    assert (
        "Firm mailing book for accountable mail" in book
        and "Total number of pieces listed by sender: 3" in book
    )
    assert "Postmark and date of receipt" in book

    # again into the same folder: nothing changes, nothing is recorded
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    events = q(db_file, "SELECT count(*) FROM event")
    again = plea("post", ref, "--host", "US", "--to", "FR,DE,IT,ES,JP", "--out", str(out), "--json")
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    assert q(db_file, "SELECT count(*) FROM event") == events
    data = json.loads(again.stdout)
    assert data["letters_written"] == 0 and not any(f["written"] for f in data["files"])
    assert [x["state"] for x in data["left_out"]] == ["ES", "JP"]

    # labels instead of envelopes: 3 addresses on one Avery 5160 sheet (Letter)
    plea("post", ref, "--host", "US", "--to", "FR,DE,IT,ES,JP", "--out", str(out), "--labels")
    sheet = page_texts(out / "labels.pdf")
    assert len(sheet) == 1 and all(ADDRESSES[s][1] in sheet[0] for s in ADDRESSES)

    # the posting list, its tracking column filled in, records the sendings
    for n, p in enumerate(posting, 1):
        p["tracking"] = f"RR00000000{n}US"
    filled = tmp_path / "posted.csv"
    with open(filled, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(posting[0]))
        w.writeheader()
        w.writerows(posting)
    sent = plea("letters", "sent", ref, "--via", "post", "--tracking-file", str(filled))
    assert sorted(sent.stdout.split()) == ["DE", "FR", "IT"]
    status = json.loads(plea("status", ref, "--json").stdout)
    assert {s["state"]: s["tracking"] for s in status["states"] if s["tracking"]} == {
        "FR": "RR000000001US",
        "DE": "RR000000002US",
        "IT": "RR000000003US",
    }
    plea("export", str(tmp_path / "export"), "--format", "csv")
    exported = list(
        csv.DictReader(io.StringIO((tmp_path / "export" / "letter_event.csv").read_text("utf-8")))
    )
    assert sorted(e["tracking"] for e in exported if e["tracking"]) == [
        "RR000000001US",
        "RR000000002US",
        "RR000000003US",
    ]


def test_letters_sent_via_post_needs_a_postal_address_or_force(plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    plea(
        "letters",
        "render",
        ref,
        "--host",
        "US",
        "--to",
        "FR,DE",
        "--format",
        "md",
        "--out",
        str(tmp_path / "l"),
    )
    before = q(db_file, "SELECT count(*) FROM letter_event")
    r = plea("letters", "sent", ref, "--to", "FR,DE", "--via", "post", code=3)
    assert r.stderr.splitlines()[1:3] == [
        "France (FR), mission Q2841718: no street, postcode",
        "Germany (DE), mission Q324833: no street, postcode",
    ]
    assert q(db_file, "SELECT count(*) FROM letter_event") == before  # nothing recorded
    plea("embassies", "edit", "Q2841718", "--address", "4101 Reservoir Road NW, Washington, DC 20007")
    assert plea("letters", "sent", ref, "--to", "FR", "--via", "post").stdout.split() == ["FR"]
    assert plea("letters", "sent", ref, "--to", "DE", "--via", "post", "--force").stdout.split() == ["DE"]
    assert plea("letters", "sent", ref, "--to", "DE", "--via", "email").stdout.split() == ["DE"]


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (("--to", "Narnia"), 4, None),
        (
            ("--to", "ES,JP"),
            3,
            "plea: error: nothing to post: no recipient has a postal address\n"
            "{ref}: Spain (ES), mission Q3817624: no street, postcode\n"
            "{ref}: Japan (JP), mission Q1683269: no street, postcode\n"
            "add addresses with `plea embassies edit ID --address … --postcode …` "
            "(`plea embassies gaps --need address` lists them)\n",
        ),
        (("--host", "Atlantis"), 4, None),
        (("--envelope", "b4"), 3, "plea: error: --envelope: 'b4' is not one of dl, c5, us10\n"),
    ],
)
def test_bad_input_gives_one_clear_error_and_writes_nothing(
    plea, db_file: Path, tmp_path: Path, args, code, stderr
) -> None:
    ref = add_case(plea)
    out = tmp_path / "mailing"
    events = q(db_file, "SELECT count(*) FROM event")
    r = plea("post", ref, "--out", str(out), *args, code=code)
    assert r.stderr.startswith("plea: error: ")
    if stderr is not None:
        assert r.stderr.endswith(stderr.format(ref=ref))
    assert not out.exists() or not any(out.iterdir())
    assert q(db_file, "SELECT count(*) FROM event") == events


def test_an_unwritable_out_or_a_foreign_file_is_refused(plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    give_addresses(plea)
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    r = plea("post", ref, "--to", "FR", "--out", str(a_file), code=3)
    assert r.stderr.startswith(f"plea: error: --out: {a_file} is a file, not a folder\n")
    out = tmp_path / "mailing"
    out.mkdir()
    (out / "posting-list.csv").write_text("my own notes\n")
    r = plea("post", ref, "--to", "FR", "--out", str(out), code=6)
    assert r.stderr == (
        f"plea: error: 1 file(s) in {out} have the names of a mailing's files but were not "
        f"written by plea, e.g. {out / 'posting-list.csv'}\n"
        "  choose another --out folder, or pass --force to replace them\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["posting-list.csv"]
    assert (out / "posting-list.csv").read_text() == "my own notes\n"


def test_one_case_or_cases_not_both(plea, db_file: Path, tmp_path: Path) -> None:
    ref = add_case(plea)
    r = plea("post", ref, "--cases", "all", "--out", str(tmp_path / "m"), code=3)
    assert r.stderr == "plea: error: give one CASE or --cases all|REF,…\n"
    r = plea("post", "--cases", "NOPE-1", "--out", str(tmp_path / "m"), code=4)
    assert r.stderr == "plea: error: 1 unknown case(s): no case 'NOPE-1'; list cases with `plea cases list`\n"


def test_tracking_numbers_show_in_status_history_report_export_and_the_audit_log(
    plea, db_file: Path, tmp_path: Path
) -> None:
    ref = add_case(plea)
    give_addresses(plea)
    plea(
        "letters",
        "render",
        ref,
        "--host",
        "US",
        "--to",
        "FR,DE",
        "--format",
        "md",
        "--out",
        str(tmp_path / "l"),
    )
    sheet = tmp_path / "tracking.csv"
    sheet.write_text(
        "mission,tracking\nQ2841718,RR 123 456 785 FR\nQ324833,RR000000001DE\n", encoding="utf-8"
    )
    plea("letters", "sent", ref, "--via", "post", "--tracking-file", str(sheet))
    status = json.loads(plea("status", ref, "--json").stdout)
    assert {s["state"]: s["tracking"] for s in status["states"]} == {
        "FR": "RR123456785FR",
        "DE": "RR000000001DE",
    }
    assert "RR123456785FR" in plea("status", ref).stdout
    history = plea("history", ref).stdout
    assert (
        "humanitarian-visa sent: France (FR), Germany (DE) via post, tracking RR123456785FR, RR000000001DE"
        in (" ".join(history.split()))
    )
    report = json.loads(plea("report", "--case", ref, "--format", "json").stdout)
    assert {r["state"]: r["tracking"] for r in report["never_answered"]} == {
        "FR": ["RR123456785FR"],
        "DE": ["RR000000001DE"],
    }
    table = plea("report", "--case", ref, "--table", "never_answered").stdout
    assert "RR123456785FR" in table and "RR000000001DE" in table
    audit = plea("audit", "log", "--case", ref).stdout
    assert "sent on" in audit and "via post, tracking RR123456785FR" in audit
    plea("export", str(tmp_path / "export"), "--format", "csv")
    exported = (tmp_path / "export" / "letter_event.csv").read_text("utf-8")
    assert "RR123456785FR" in exported and "RR000000001DE" in exported


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_mailing_for_several_cases(plea, db_file: Path, tmp_path: Path) -> None:
    first, second = add_case(plea), add_case(plea, "--name", "Olga Ivanova")
    give_addresses(plea)
    out = tmp_path / "mailing"
    r = plea(
        "post", "--cases", f"{first},{second}", "--host", "US", "--to", "FR", "--out", str(out), "--labels"
    )
    letters = [out / f"{ref}_FR-US_humanitarian-visa_fr.pdf" for ref in (first, second)]
    assert r.stdout.splitlines()[:2] == [str(p) for p in letters] and all(p.exists() for p in letters)
    with open(out / "posting-list.csv", encoding="utf-8-sig", newline="") as fh:
        assert [(row["case"], row["state"]) for row in csv.DictReader(fh)] == [(first, "FR"), (second, "FR")]
    assert page_texts(out / "labels.pdf")[0].count("4101 Reservoir Road NW") == 2
    assert not (out / "envelopes.pdf").exists()
    ids = [i for (i,) in q(db_file, 'SELECT id FROM "case" ORDER BY id')]
    assert q(db_file, "SELECT case_id, subject FROM event WHERE kind = 'mailing.prepared' ORDER BY id") == [
        (ids[0], "host:US"),
        (ids[1], "host:US"),
    ]


#: A4 folded for a DL or C5/6 window envelope, DIN 5008 form B: the address field 20 mm from the left,
#: 45 mm from the top, 85 × 45 mm
MM = 72 / 25.4
DIN_WINDOW = (20 * MM, 45 * MM, 105 * MM, 90 * MM)


@pytest.mark.soffice
@pytest.mark.heavy
def test_a_mailing_in_an_a4_country_uses_the_din_window_and_dl_envelopes(
    plea, db_file: Path, tmp_path: Path
) -> None:
    ref = add_case(plea)
    # https://en.wikipedia.org/wiki/Embassy_of_France,_Berlin (Pariser Platz 5, 10117 Berlin)
    plea("embassies", "edit", "Q554046", "--address", "Pariser Platz 5", "--postcode", "10117")
    out = tmp_path / "mailing"
    r = plea("post", ref, "--host", "DE", "--to", "FR", "--out", str(out), "--posted-in", "DE")
    pdf = out / f"{ref}_FR-DE_humanitarian-visa_fr.pdf"
    assert r.stdout.splitlines()[0] == str(pdf)
    block = address_block(words(pdf), "Pariser", window=DIN_WINDOW)
    assert "10117" in {w["text"] for w in block} and len({round(w["top"]) for w in block}) >= 3
    outside = [w["text"] for w in block if not inside(w, DIN_WINDOW)]
    assert not outside, f"outside the DIN 5008 window: {outside}"
    import pdfplumber

    with pdfplumber.open(out / "envelopes.pdf") as env:
        page = env.pages[0]
        assert (round(page.width / MM), round(page.height / MM)) == (220, 110)  # DL
        assert "Pariser Platz 5\n10117 BERLIN" in page.extract_text()  # posted in Germany: no country line
