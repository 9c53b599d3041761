"""The zip a DOCX is, written directly: entries deflated once (a batch deflates each paragraph once
however many letters share it), fixed dates so that the same letter gives the same bytes."""

from __future__ import annotations

import struct
import zlib


def _deflate(data: bytes, level: int = 6) -> bytes:
    """A zip entry's header fields and deflated data (see _zip)."""
    packed = zlib.compress(data, level, wbits=-15)
    return struct.pack("<III", zlib.crc32(data), len(packed), len(data)) + packed


_ZIP_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: the same bytes for the same letter


def _local_record(name: str, entry: bytes) -> bytes:
    raw = name.encode("ascii")
    crc, csize, usize = struct.unpack_from("<III", entry)
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _ZIP_DATE, crc, csize, usize, len(raw), 0) \
        + raw + entry[12:]


def _central_record(name: str, entry: bytes, offset: int) -> bytes:
    raw = name.encode("ascii")
    crc, csize, usize = struct.unpack_from("<III", entry)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, _ZIP_DATE, crc, csize, usize,
                       len(raw), 0, 0, 0, 0, 0, offset) + raw


def _zip(entries: list[tuple[str, bytes]], *, local: bytes = b"", central: bytes = b"",
         count: int = 0) -> bytes:
    """A zip file from entries already deflated by _deflate, written directly (nothing is
    compressed again), after `count` entries already laid out in `local` and `central`."""
    out = [local]
    records = [central]
    offset = len(local)
    for name, entry in entries:
        record = _local_record(name, entry)
        records.append(_central_record(name, entry, offset))
        out.append(record)
        offset += len(record)
    directory = b"".join(records)
    n = count + len(entries)
    out.append(directory)
    out.append(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(directory), offset, 0))
    return b"".join(out)


_FINAL = zlib.compressobj(1, zlib.DEFLATED, -15).flush()  # an empty last block: ends a deflate stream


def deflate_piece(xml: str) -> tuple[bytes, bytes]:
    """A piece of document.xml as (its bytes, the bytes deflated on their own at level 1 and
    flushed to a byte boundary). Such pieces joined end to end, then an empty last block, are
    one valid deflate stream (each starts afresh, referring to nothing before it): a batch
    compresses each paragraph once however many letters share it."""
    raw = xml.encode("utf-8")
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    return raw, z.compress(raw) + z.flush(zlib.Z_SYNC_FLUSH)


def _joined(pieces: list[tuple[bytes, bytes]]) -> bytes:
    """A zip entry (as _deflate gives) for the concatenation of pieces from deflate_piece."""
    crc = size = 0
    for raw, _ in pieces:
        crc = zlib.crc32(raw, crc)
        size += len(raw)
    packed = b"".join([z for _, z in pieces] + [_FINAL])
    return struct.pack("<III", crc, len(packed), size) + packed
