"""A letter's pages as PNG images, to look at before sending it to 175 missions: the DOCX plea
writes, converted by LibreOffice (plea.letters.pdf, the path batch's PDFs take), each page
drawn by poppler's pdftoppm. Used by `plea templates preview LETTER LANG --format png`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from plea.errors import ExternalProblem

PDFTOPPM_PACKAGE = "poppler-utils"


def _programs() -> tuple[str, str]:
    """soffice and pdftoppm, or a clear error naming the package that holds the missing one."""
    from plea.letters.pdf import SOFFICE_PACKAGE

    soffice = os.environ.get("PLEA_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not Path(soffice).is_file():
        raise ExternalProblem(
            "--format png needs LibreOffice, and its program soffice is not installed (not on PATH)",
            hint=f"install the package {SOFFICE_PACKAGE} (Debian/Ubuntu: sudo apt-get install "
            f"{SOFFICE_PACKAGE}; macOS: brew install --cask libreoffice), or set PLEA_SOFFICE to soffice's "
            "path; nothing was written",
        )
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        raise ExternalProblem(
            "--format png needs pdftoppm, which is not installed (not on PATH)",
            hint=f"install the package {PDFTOPPM_PACKAGE} (Debian/Ubuntu: sudo apt-get install "
            f"{PDFTOPPM_PACKAGE}; macOS: brew install poppler); nothing was written",
        )
    return soffice, pdftoppm


def docx_pages(docx: bytes, out_dir: Path, stem: str, *, dpi: int = 100) -> list[Path]:
    """Write the document's pages as out_dir/STEM-1.png, STEM-2.png, …; the paths in order.
    Each file is written whole (temp file, then renamed); out_dir must exist."""
    from plea.fileio import atomic_write_bytes
    from plea.letters.pdf import to_pdf

    soffice, pdftoppm = _programs()
    work = Path(tempfile.mkdtemp(prefix="plea-pages-"))
    try:
        pdf = to_pdf([(stem, docx)], work, soffice)[stem]
        (work / "letter.pdf").write_bytes(pdf)
        try:
            subprocess.run([pdftoppm, "-png", "-r", str(dpi), str(work / "letter.pdf"), str(work / "page")],
                           check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise ExternalProblem(f"pdftoppm could not draw the letter's pages ({exc.__class__.__name__})",
                                  hint="nothing was written") from None
        # pdftoppm numbers pages page-1.png or page-01.png by the page count: sort by number
        drawn = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        out = []
        for number, page in enumerate(drawn, 1):
            target = out_dir / f"{stem}-{number}.png"
            atomic_write_bytes(target, page.read_bytes(), mode=0o644)
            out.append(target)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
