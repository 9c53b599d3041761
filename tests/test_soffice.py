"""The DOCX letters open in LibreOffice: one `soffice --convert-to pdf` call for a case's
letters in four languages and scripts, then the PDF text (pdftotext) holds the reference,
the applicant's name, and the Arabic and Chinese wording."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.soffice,
    pytest.mark.heavy,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not on PATH"),
]

_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")
    # pdftotext marks right-to-left runs with bidi controls and breaks lines: keep only the words
    return re.sub(r"\s+", " ", _BIDI_CONTROLS.sub("", out))


def test_letters_convert_to_pdf_with_their_text(plea, db_file: Path, tmp_path: Path) -> None:
    ref = plea(
        "cases",
        "add",
        "--name",
        "Ivan Petrov",
        "--nationality",
        "RU",
        "--born",
        "1985-02-03",
        "--situation",
        "detained",
        "--country",
        "US",
        "--persecution",
        "He was arrested twice for posts against the war.",
        "--email",
        "ivan@example.org",
    ).stdout.strip()  # the reference carries the year the case is made in
    out = tmp_path / "letters"
    plea("letters", "render", ref, "--to", "FR,DE,EG,CN", "--format", "docx", "--out", str(out))
    docs = sorted(out.glob("*.docx"))
    assert [d.name.split("_")[1] for d in docs] == ["CN-US", "DE-US", "EG-US", "FR-US"]

    pdf_dir = tmp_path / "pdf"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(pdf_dir),
            *map(str, docs),
        ],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    pdfs = {p.name.split("_")[1].split("-")[0]: p for p in pdf_dir.glob("*.pdf")}
    assert sorted(pdfs) == ["CN", "DE", "EG", "FR"], result.stdout.decode(errors="replace")

    texts = {state: pdf_text(pdf) for state, pdf in pdfs.items()}
    for state, text in texts.items():
        assert ref in text, (state, text[:300])
        assert "Ivan Petrov" in text, (state, text[:300])
    # words without the lam-alef ligature, which pdftotext splits apart
    assert "سفارة مصر" in texts["EG"] and "تأشيرة إنسانية" in texts["EG"]
    assert "人道主义签证" in texts["CN"] and "中国驻美国大使馆" in texts["CN"]
    assert "Botschaft" in texts["DE"] and "Ambassade" in texts["FR"]
