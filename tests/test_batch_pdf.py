"""`plea batch --format pdf`: LibreOffice converts many letters per call (not one process per
letter); the PDFs' text (pdftotext) holds each letter, Arabic and Chinese included; the
manifest lists them with their sha256."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.test_soffice import pdf_text

pytestmark = [
    pytest.mark.soffice,
    pytest.mark.heavy,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not on PATH"),
]

YEAR = date.today().year


def test_pdf_batch_one_soffice_call_and_the_text_is_there(
    plea, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a wrapper that counts LibreOffice's calls, then runs it
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "soffice-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{shutil.which("soffice")}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PLEA_SOFFICE", str(wrapper))
    refs = []
    for name in ("Ivan Petrov", "Olga Ivanova"):
        refs.append(
            plea(
                "cases",
                "add",
                "--reply-to",
                "answers@example.org",
                "--name",
                name,
                "--nationality",
                "RU",
                "--persecution",
                "Arrested twice for posts against the war.",
            ).stdout.strip()
        )
    out = tmp_path / "out"
    r = plea("batch", "--out", str(out), "--to", "FR,EG,CN", "--host", "US", "--format", "docx,pdf")
    assert "2 clients × 3 missions = 6 letters; 0 already done" in r.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 1 and calls[0].count(".docx") == 6, calls  # one call for all six letters
    assert "-env:UserInstallation=file://" in calls[0]
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pdfs = [r for r in rows if r["file"].endswith(".pdf")]
    assert len(pdfs) == 6 and len(rows) == 12
    for row in pdfs:
        data = (out / row["file"]).read_bytes()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == row["sha256"]
    for ref, name in zip(refs, ("Ivan Petrov", "Olga Ivanova"), strict=True):
        texts = {
            state: pdf_text(out / ref / f"{ref}_{state}-US_humanitarian-visa_{lang}.pdf")
            for state, lang in (("FR", "fr"), ("EG", "ar"), ("CN", "zh"))
        }
        for state, text in texts.items():
            assert ref in text and name in text, (state, text[:300])
        assert "Ambassade" in texts["FR"]
        assert "سفارة مصر" in texts["EG"] and "تأشيرة إنسانية" in texts["EG"]
        assert "人道主义签证" in texts["CN"]
    assert not list(out.rglob("*.tmp"))
    # done: a second run calls LibreOffice no more
    r = plea("batch", "--out", str(out), "--to", "FR,EG,CN", "--host", "US", "--format", "docx,pdf")
    assert "6 already done" in r.stderr and len(log.read_text().splitlines()) == 1


def test_concurrent_conversions_do_not_collide(
    plea, db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 2: two LibreOffice processes at once, each with its own profile."""
    import plea.letters.work as work

    monkeypatch.setattr(work, "PDF_CHUNK", 3)
    monkeypatch.setattr(work, "CHUNK", 3)
    ref = plea(
        "cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU", "--persecution", "Story."
    ).stdout.strip()
    out = tmp_path / "out"
    r = plea(
        "batch",
        "--out",
        str(out),
        "--to",
        "FR,DE,IT,ES,PL,EG",
        "--host",
        "US",
        "--format",
        "pdf",
        "--jobs",
        "2",
    )
    assert "6 rendered" in r.stderr
    pdfs = sorted((out / ref).glob("*.pdf"))
    assert len(pdfs) == 6 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert not list((out / ref).glob("*.docx"))  # docx only as a step: not asked for, not kept
    assert os.listdir(out / ".plea-batch") == ["lock"]


def test_letters_render_pdf_comes_from_the_batch_path(plea, db_file: Path, tmp_path: Path) -> None:
    """`letters render --format pdf`: a batch of one case, so PDFs too, straight into --out and
    recorded; no work folder left behind."""
    ref = plea("cases", "add", "--reply-to", "answers@example.org", "--name", "Ivan Petrov", "--nationality", "RU",
               "--persecution", "Arrested twice for posts against the war.").stdout.strip()
    out = tmp_path / "one"
    r = plea("letters", "render", ref, "--to", "FR,EG", "--host", "US", "--format", "pdf", "--out", str(out))
    assert f"2 letter(s) for {ref}: 2 file(s) written, 0 already up to date" in r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{ref}_EG-US_humanitarian-visa_ar.pdf", f"{ref}_FR-US_humanitarian-visa_fr.pdf"]
    assert "Ambassade" in pdf_text(out / names[1]) and ref in pdf_text(out / names[0])
    r = plea("letters", "render", ref, "--to", "FR,EG", "--host", "US", "--format", "pdf", "--out", str(out))
    assert "0 file(s) written, 2 already up to date" in r.stderr
