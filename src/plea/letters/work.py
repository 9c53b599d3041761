"""The work of a batch, one chunk of letters at a time: render, then write every file of the
chunk safely. Runs in worker processes (spawned, or forked before any database is open: no
database connection crosses a fork) or, with --jobs 1, in the command's own process. Touches
no database.

Writing a chunk: each file goes to a temp file beside its final name (0600); then one sync of
the filesystem (syncfs, or fsync of each file where that is missing) makes the data durable;
only then are the files renamed to their final names, and their folders synced. A crash at
any moment leaves whole files under final names, and temp files (`.NAME.XXXX.tmp`) that the
next run removes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from plea.errors import ExternalProblem, PleaError
from plea.fileio import fsync_path

CHUNK = 96
PDF_CHUNK = 24


@dataclass
class Task:
    letter: str
    templates_root: str | None  # None: the shipped templates; else render in a confined child
    today: date
    letterhead: str | None
    formats: list[str]
    cases: dict[int, dict[str, Any]]  # case id → plain case fields
    items: list[
        dict[str, Any]
    ]  # case_id, mission (plain), lang, paper, first_letter, response, paths {fmt: path}
    workdir: str  # the run's private temp folder (PDF conversion, LibreOffice profile)
    soffice: str | None = None


@dataclass
class Built:
    """A file rendered in memory, not yet written."""

    case_id: int
    mission_id: str
    fmt: str
    path: str
    data: bytes


@dataclass
class Done:
    case_id: int
    mission_id: str
    fmt: str
    path: str
    sha256: str


class _Worker:
    """What a process keeps between chunks: parsed templates, styled skeletons, caches."""

    def __init__(self) -> None:
        from plea.letters.fast import SegmentParser, _Cache

        self.renderers: dict[tuple[str, str | None], Any] = {}
        self.parser = SegmentParser()
        self.xml: dict[int, tuple[Any, Any]] = {}
        self._cache = _Cache

    def renderer(self, letter: str, root: str | None) -> Any:
        key = (letter, root)
        if key not in self.renderers:
            from plea.letters.fast import FastRenderer
            from plea.render.catalog import get_letter

            self.renderers[key] = FastRenderer(get_letter(letter))
        return self.renderers[key]

    def pieces(self, segments: list[tuple[str, list[Any]]], skeleton: Any, rtl: bool) -> list[tuple[bytes, bytes]]:
        """The paragraphs' XML a segment at a time, each segment's XML made and compressed once
        (plea.render.docx.deflate_piece)."""
        from plea.render.docx import body_xml, deflate_piece

        holder = self.xml.get(id(skeleton))
        if holder is None or holder[0] is not skeleton:
            holder = self.xml[id(skeleton)] = (skeleton, self._cache(4096))
        cache = holder[1]
        out = []
        number = 0
        for text, blocks in segments:
            out.append(
                cache.get_or(
                    (text, rtl, number),
                    lambda b=blocks, n=number: deflate_piece(body_xml(b, skeleton, rtl=rtl, number=n)),
                )
            )
            for block in blocks:
                number = number + 1 if block.style == "number" else 0
        return out


_WORKER: _Worker | None = None


def _worker() -> _Worker:
    global _WORKER
    if _WORKER is None:
        _WORKER = _Worker()
    return _WORKER


def warm_up(
    letter: str | None = None,
    root: str | None = None,
    shapes: list[tuple[str, str]] | None = None,
    letterhead: str | None = None,
    docx: bool = True,
) -> None:
    """Pool initializer: prepare what rendering needs (templates split, styled skeletons)
    before the first chunk arrives. Failures are left for the chunk to report."""
    import plea.letters.fast  # noqa: F401
    import plea.render.docx  # noqa: F401

    _die_with_parent()
    w = _worker()
    if letter is None:
        _worker_collections()
        return
    try:
        _worker_collections()
        from plea.render.docx import skeleton_for

        for lang, paper in shapes or []:
            if root is None:
                w.renderer(letter, None)._staged(lang)
            if docx:
                skeleton_for(lang, paper=paper, letterhead=Path(letterhead) if letterhead else None)
    except Exception:  # noqa: S110 - reported by the chunk that meets it
        pass


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Rendering thousands of letters allocates millions of short-lived objects, and CPython's
    cycle collector would run every 700 of them, each time scanning everything loaded so far:
    what exists now (modules, templates, the plan) is frozen out of its scans, and it runs
    after 20,000 allocations instead (what letters leave behind is still collected). Measured
    with bench/batch.py: a tenth less time. Restored afterwards."""
    import gc

    before = gc.get_threshold()
    _worker_collections()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _worker_collections() -> None:
    """The collector settings of fewer_collections, for good (a worker renders until the batch
    ends)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _die_with_parent() -> None:
    """Linux: a worker is killed when the command's process dies (kill -9 included), so no
    orphan goes on writing into the folder while the batch is run again."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _markdowns(task: Task) -> list[str]:
    if task.templates_root is not None:
        from plea.render.isolate import render_many

        jobs = [
            {
                "lang": it["lang"],
                "case": task.cases[it["case_id"]],
                "mission": it["mission"],
                "today": task.today,
                "first_letter": it["first_letter"],
                "response": it["response"],
            }
            for it in task.items
        ]
        return render_many(task.letter, Path(task.templates_root), jobs)
    from plea.letters.fast import case_key
    from plea.render.context import case_context

    renderer = _worker().renderer(task.letter, None)
    cases = {cid: SimpleNamespace(**fields) for cid, fields in task.cases.items()}
    keys = {cid: case_key(case_context(case)) for cid, case in cases.items()}  # from the data, never stale
    out = []
    for it in task.items:
        case, ck = cases[it["case_id"]], keys[it["case_id"]]
        out.append(
            renderer.markdown(
                it["lang"],
                case=case,
                case_key=ck,
                mission=SimpleNamespace(**it["mission"]),
                today=task.today,
                first_letter=it["first_letter"],
                response=it["response"],
            )
        )
    return out


def check_chunk(task: Task) -> tuple[str, str, str | None] | None:
    """Render a chunk's letters in memory only (the check before anything is written); the
    error, if any."""
    try:
        _markdowns(task)
        return None
    except PleaError as exc:
        return (exc.__class__.__name__, exc.message, exc.hint)


def render_chunk(task: Task) -> tuple[list[Done], tuple[str, str, str | None] | None]:
    """Render and write one chunk. (files written, None), or ([], (error class, message, hint)):
    a failed chunk writes nothing."""
    built, error = build_chunk(task)
    if error is not None:
        return [], error
    return write_chunk(built)


def build_chunk(task: Task) -> tuple[list[Built], tuple[str, str, str | None] | None]:
    """Render one chunk's files in memory (nothing written): (files, None) or ([], error)."""
    try:
        return _build_chunk(task), None
    except PleaError as exc:
        return [], (exc.__class__.__name__, exc.message, exc.hint)
    except OSError as exc:
        return [], ("OSError", _os_message(exc), str(exc.errno or ""))


def write_chunk(built: list[Built]) -> tuple[list[Done], tuple[str, str, str | None] | None]:
    """Write a rendered chunk's files safely (see write_files): (files written, None) or
    ([], error), nothing then standing under a final name."""
    try:
        shas = write_files([(b.path, b.data) for b in built])
    except OSError as exc:
        return [], ("OSError", _os_message(exc), str(exc.errno or ""))
    return [Done(b.case_id, b.mission_id, b.fmt, b.path, sha) for b, sha in zip(built, shas, strict=True)], None


def _os_message(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full (writing{where})"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write{where}: {exc.strerror}"
    return f"cannot write{where}: {exc.strerror or exc}"


def _build_chunk(task: Task) -> list[Built]:
    from plea.render.blocks import to_text
    from plea.render.catalog import get_letter
    from plea.render.docx import docx_bytes, is_rtl, skeleton_for

    w = _worker()
    spec = get_letter(task.letter)
    letterhead = Path(task.letterhead) if task.letterhead else None
    files: list[tuple[dict[str, Any], str, str, bytes]] = []
    pdf_sources: list[tuple[dict[str, Any], str, bytes]] = []
    for it, md in zip(task.items, _markdowns(task), strict=True):
        lang = it["lang"]
        segments = w.parser.blocks(md)
        wanted = it["paths"]
        docx = None
        if "docx" in wanted or "pdf" in wanted:
            skeleton = skeleton_for(lang, paper=it["paper"], letterhead=letterhead)
            blocks = [b for _, bs in segments for b in bs]
            docx = docx_bytes(
                blocks,
                subject=spec.subject(lang),
                lang=lang,
                skeleton=skeleton,
                pieces=w.pieces(segments, skeleton, is_rtl(lang)),
            )
        for fmt, path in wanted.items():
            if fmt == "docx":
                files.append((it, fmt, path, docx))  # type: ignore[arg-type]
            elif fmt == "pdf":
                pdf_sources.append((it, path, docx))  # type: ignore[arg-type]
            elif fmt == "md":
                files.append((it, fmt, path, md.encode("utf-8")))
            else:
                text = to_text([b for _, bs in segments for b in bs])
                files.append((it, fmt, path, text.encode("utf-8")))
    if pdf_sources:
        pdfs = to_pdf(
            [(_stem(p), data) for _, p, data in pdf_sources], Path(task.workdir), task.soffice or "soffice"
        )
        files += [(it, "pdf", p, pdfs[_stem(p)]) for it, p, _ in pdf_sources]
    return [Built(it["case_id"], it["mission"]["id"], fmt, str(p), data) for it, fmt, p, data in files]


# -- writing ----------------------------------------------------------------------------------------


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _write_temp(path: str, data: bytes) -> str:
    """Write data to a new temp file beside path (0600, created exclusively); its name."""
    folder, name = os.path.split(path)
    while True:
        tmp = os.path.join(folder, f".{name[:40]}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            break
        except FileExistsError:
            continue
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


_SYNCFS: Any = None


def _syncfs(folder: Path) -> bool:
    """Flush the whole filesystem holding folder (Linux syncfs); False where unavailable."""
    global _SYNCFS
    if _SYNCFS is None:
        try:
            import ctypes

            _SYNCFS = ctypes.CDLL(None, use_errno=True).syncfs
        except (OSError, AttributeError):
            _SYNCFS = False
    if _SYNCFS is False:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        return _SYNCFS(fd) == 0
    finally:
        os.close(fd)


def write_files(files: list[tuple[str, bytes]]) -> list[str]:
    """Write every file to a temp file, make them durable, then rename them to their final
    names; their sha256. Nothing stands under a final name unless it is whole."""
    temps: list[tuple[str, str]] = []
    folders = sorted({os.path.dirname(path) for path, _ in files})
    try:
        for path, data in files:
            temps.append((_write_temp(path, data), path))
        if folders and not _syncfs(Path(folders[0])):
            for tmp, _ in temps:
                fsync_path(tmp)
        elif len({os.stat(f).st_dev for f in folders}) > 1:
            for folder in folders[1:]:
                _syncfs(Path(folder))
        for i, (tmp, path) in enumerate(temps):
            os.replace(tmp, path)
            temps[i] = ("", path)
    except BaseException:
        for tmp, _ in temps:
            if tmp:
                _unlink(tmp)
        raise
    for folder in folders:
        fsync_path(folder)
    return [hashlib.sha256(data).hexdigest() for _, data in files]


def clean_stale(folder: Path) -> int:
    """Remove temp files a killed run left in folder (`.NAME.XXXX.tmp`); how many."""
    n = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if (
            entry.name.startswith(".")
            and entry.name.endswith(".tmp")
            and entry.is_file(follow_symlinks=False)
        ):
            _unlink(entry.path)
            n += 1
    return n


# -- PDF ----------------------------------------------------------------------------------------------

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


def to_pdf(docs: list[tuple[str, bytes]], workdir: Path, soffice: str) -> dict[str, bytes]:
    """Convert DOCX documents (name, bytes) to PDF with one LibreOffice call; name → PDF bytes.
    Each process uses its own LibreOffice profile, so concurrent calls never collide."""
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
        env = {**os.environ, "HOME": str(profile)}
        try:
            result = subprocess.run(
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
                f"LibreOffice did not convert {len(missing)} letter(s) to PDF, e.g. {missing[0]}: "
                f"{detail[0]}",
                hint="run the batch again; finished letters are kept",
            )
        return pdfs
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
