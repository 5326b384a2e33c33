"""Record-aligned byte ranges of a WARC file, so that several processes can read one big file side by side.

A ``.warc.gz`` file is a chain of gzip members, one record each; a range starts where a member starts. Where the
members are is only known by reading the file from its start, so the split points are found by looking: the first
gzip header at or after each target position whose member inflates to ``WARC/``. A record's payload can hold such
bytes too (an archived ``.warc.gz`` stored uncompressed inside its record's member), so a split point is only
trusted once the range before it ends on it exactly: ``iter_records(path, start=, end=)`` raises
``RecordRangeMismatch`` when its last record runs over ``end``, and the file is then read as one range.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b\x08"
WINDOW = 1 << 16  # bytes read at a time while looking for the next member after a target position
RANGES_PER_WORKER = 16


@dataclass(frozen=True)
class RecordRange:
    """The records of ``path`` whose gzip members start in ``[start, end)``; ``end`` None: to the end of the file."""

    path: Path
    start: int = 0
    end: int | None = None


def _starts_a_record(data: bytes) -> bool:
    try:
        return zlib.decompressobj(wbits=31).decompress(data, 5) == b"WARC/"
    except zlib.error:
        return False


def member_start_at_or_after(path: Path, position: int, limit: int) -> int | None:
    """The offset of the first gzip member at or after ``position`` that begins a WARC record, looking no further
    than ``limit``; None when there is none."""
    with open(path, "rb") as handle:
        offset = position
        while offset < limit:
            handle.seek(offset)
            data = handle.read(WINDOW + 4096)  # the overlap lets a header that straddles windows be decompressed
            if not data:
                return None
            found = data.find(GZIP_MAGIC)
            while found != -1 and found < WINDOW and offset + found < limit:
                if _starts_a_record(data[found:]):
                    return offset + found
                found = data.find(GZIP_MAGIC, found + 1)
            offset += WINDOW
    return None


def split(path: Path, chunk_bytes: int) -> list[RecordRange]:
    """``path`` cut into ranges of about ``chunk_bytes`` each, every one starting at a record."""
    size = path.stat().st_size
    starts = [0]
    target = chunk_bytes
    while target < size:
        start = member_start_at_or_after(path, target, size)
        if start is None:
            break
        if start > starts[-1]:
            starts.append(start)
        target = start + chunk_bytes
    ends: list[int | None] = [*starts[1:], None]
    return [RecordRange(path, start, end) for start, end in zip(starts, ends, strict=True)]


def plan(files: list[Path], workers: int, smallest: int = 256 << 10, largest: int = 8 << 20) -> list[RecordRange]:
    """Every file's records as ranges, in writing order: about sixteen ranges per worker over the whole set (so
    that at the end no worker waits long for the last one, and a slow range does not hold the rest up), each
    between ``smallest`` and ``largest`` bytes; one range per file for one worker."""
    if workers <= 1:
        return [RecordRange(path) for path in files]
    total = sum(path.stat().st_size for path in files)
    chunk = min(largest, max(smallest, total // (RANGES_PER_WORKER * workers)))
    return [piece for path in files for piece in split(path, chunk)]
