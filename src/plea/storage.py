"""Files plea keeps beside the database (proofs of sending, reply attachments): copied
into the data folder under their sha256, private (0600 in a 0700 folder)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from plea.db.location import ensure_home
from plea.errors import InvalidInput, NotFound
from plea.fileio import atomic_write_bytes, private_folder, safe_name

MAGIC = b"PLEA-AESGCM-1\n"


def encrypt(data: bytes, key: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, data, MAGIC)


def decrypt(blob: bytes, key: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC):
        raise InvalidInput("not a file encrypted by plea")
    nonce, body = blob[len(MAGIC):len(MAGIC) + 12], blob[len(MAGIC) + 12:]
    try:
        return AESGCM(key).decrypt(nonce, body, MAGIC)
    except InvalidTag:
        raise InvalidInput("a stored file was changed or the key is wrong (authentication failed)") from None


def read_stored(path: Path, key: bytes | None) -> bytes:
    data = Path(path).read_bytes()
    return decrypt(data, key) if key is not None and data.startswith(MAGIC) else data


def store_file(source: Path, kind: str, key: bytes | None = None) -> tuple[Path, str]:
    """Copy source into the data folder; (stored path, sha256 of the original). Same content:
    same file. With a key (an encrypted database) the copy is encrypted with AES-GCM."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise NotFound(f"{source}: no such file")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot be read ({exc.strerror})") from None
    return store_bytes(data, kind, source.suffix.lstrip("."), key)


def store_bytes(data: bytes, kind: str, suffix: str, key: bytes | None = None) -> tuple[Path, str]:
    """Keep data (held in memory) in the data folder: (stored path, sha256 of data). With a key
    the data is encrypted before it touches the disk: nothing goes through a temporary file in
    clear (received mail is written this way)."""
    digest = hashlib.sha256(data).hexdigest()
    folder = private_folder(ensure_home() / "files" / kind)
    suffix = safe_name(suffix, fallback="bin")[:16]
    target = folder / (f"{digest}.{suffix}" + (".enc" if key else ""))
    if not target.exists():
        atomic_write_bytes(target, encrypt(data, key) if key else data)
    return target, digest
