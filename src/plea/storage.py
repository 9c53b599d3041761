"""Files plea keeps beside the database (proofs of sending, reply attachments): copied
into the data folder under their sha256, private (0600 in a 0700 folder)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from plea.db.location import ensure_home
from plea.errors import InvalidInput, NotFound
from plea.fileio import atomic_write_bytes, safe_name


def store_file(source: Path, kind: str) -> tuple[Path, str]:
    """Copy source into the data folder; (stored path, sha256). Same content: same file."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise NotFound(f"{source}: no such file")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    folder = ensure_home() / "files" / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    suffix = safe_name(source.suffix.lstrip("."), fallback="bin")[:16]
    target = folder / f"{digest}.{suffix}"
    if not target.exists():
        atomic_write_bytes(target, data)
    return target, digest
