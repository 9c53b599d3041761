"""PDF: DOCX letters converted by LibreOffice, many per call, each process with its own profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from plea.errors import ExternalProblem

SOFFICE_PACKAGE = "libreoffice-writer"


def find_soffice() -> str:
    """The LibreOffice program (PLEA_SOFFICE, else soffice or libreoffice on PATH), or a clear error."""
    custom = os.environ.get("PLEA_SOFFICE")
    if custom:
        if Path(custom).is_file() and os.access(custom, os.X_OK):
            return custom
        raise ExternalProblem(
            f"PLEA_SOFFICE={custom}: no such program",
            hint=f"point it at LibreOffice's soffice, or install the package {SOFFICE_PACKAGE}",
        )
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ExternalProblem(
            "--format pdf needs LibreOffice, and its program soffice is not installed (not on PATH)",
            hint=f"install the package {SOFFICE_PACKAGE} (Debian/Ubuntu: sudo apt-get install "
            f"{SOFFICE_PACKAGE}; macOS: brew install --cask libreoffice), or set PLEA_SOFFICE to soffice's "
            "path; nothing was written",
        )
    return found


def to_pdf(docs: list[tuple[str, bytes]], workdir: Path, soffice: str, *, what: str = "letter(s)",
           again: str = "run the batch again; finished letters are kept") -> dict[str, bytes]:
    """Convert DOCX documents (name, bytes) to PDF with one LibreOffice call; name → PDF bytes.
    Each process uses its own LibreOffice profile, so concurrent calls never collide. `what` and
    `again` word the error: what was being converted, and what to do."""
    profile = workdir / f"lo-profile-{os.getpid()}"
    profile.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=workdir, prefix="pdf-"))
    try:
        inputs = []
        for name, data in docs:
            path = scratch / f"{name}.docx"
            path.write_bytes(data)
            inputs.append(str(path))
        out = scratch / "out"
        result = _convert(soffice, profile, out, inputs)
        pdfs = {}
        missing = []
        for name, _ in docs:
            pdf = out / f"{name}.pdf"
            if pdf.is_file() and pdf.stat().st_size > 0:
                pdfs[name] = pdf.read_bytes()
            else:
                missing.append(name)
        if missing:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [
                f"exit {result.returncode}"
            ]
            raise ExternalProblem(
                f"LibreOffice did not convert {len(missing)} {what} to PDF, e.g. {missing[0]}: "
                f"{detail[0]}",
                hint=again,
            )
        return pdfs
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _convert(soffice: str, profile: Path, out: Path, inputs: list[str]) -> subprocess.CompletedProcess[bytes]:
    """One LibreOffice call converting the DOCX files `inputs` to PDF in `out`, with its own profile."""
    env = {**os.environ, "HOME": str(profile)}
    try:
        return subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                "--nologo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *inputs,
            ],
            capture_output=True,
            env=env,
            timeout=120 + 10 * len(inputs),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ExternalProblem(
            "LibreOffice took too long converting letters to PDF and was stopped",
            hint="run the batch again: finished letters are kept",
        ) from None
    except OSError as exc:
        raise ExternalProblem(
            f"could not start LibreOffice ({soffice}): {exc.strerror}",
            hint=f"install the package {SOFFICE_PACKAGE}",
        ) from None
