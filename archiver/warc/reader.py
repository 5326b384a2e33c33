"""Reading records back out of the archive's WARC files (warcio), in the order they were written."""

from __future__ import annotations

import zlib
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..exceptions import RecordRangeMismatch, WarcFormatError


@dataclass
class StoredRecord:
    warc_file: str
    offset: int
    length: int
    record_type: str
    record_id: str
    target_uri: str
    date: datetime
    payload_digest: str | None
    concurrent_to: str | None
    refers_to: str | None
    status: int | None
    content_type: str | None
    body: bytes | None  # decoded HTTP entity (transfer- and content-decoding undone) of responses
    location: str | None = None  # a response's Location header, as sent (a redirect's target)


def warc_files(directory: str | Path) -> list[Path]:
    """Closed WARC files in writing order (names start with prefix and UTC timestamp)."""
    return sorted(Path(directory).glob("*.warc.gz"))


# What warcio and zlib raise on bytes that are not a well-formed WARC file (found by tests/test_fuzz.py).
MALFORMED = (ArchiveLoadFailed, ValueError, zlib.error, EOFError, IndexError, KeyError, AttributeError, TypeError)


def iter_records(path: Path, with_bodies: bool | Container[str] = True, start: int = 0,
                 end: int | None = None) -> Iterator[StoredRecord]:
    """Every record of a WARC file, or those whose gzip member starts in ``[start, end)`` (``start`` must be where
    a record starts: ``archiver.warc.ranges``); ``with_bodies`` may name the record IDs whose bodies are read.
    A malformed file raises WarcFormatError naming the file; a range whose last record runs over ``end``
    raises RecordRangeMismatch (``end`` was no record boundary)."""
    try:
        yield from _iter_records(path, with_bodies, start, end)
    except MALFORMED as error:
        raise WarcFormatError(f"{Path(path).name}: not a well-formed WARC file ({type(error).__name__}: "
                              f"{str(error)[:200]})") from error


def _iter_records(path: Path, with_bodies: bool | Container[str], start: int,
                  end: int | None) -> Iterator[StoredRecord]:
    with open(path, "rb") as handle:
        handle.seek(start)
        iterator = ArchiveIterator(handle)
        following = start  # where the next record starts: each gzip member ends where the next one begins
        for record in iterator:
            if end is not None and following >= end:
                break
            headers = record.rec_headers
            if not record.rec_type or not headers.get_header("WARC-Record-ID"):
                raise WarcFormatError(f"{Path(path).name}: a record without WARC-Type or WARC-Record-ID "
                                      f"at offset {iterator.get_record_offset()} (cut or corrupted)")
            status = content_type = location = None
            if record.http_headers is not None and record.rec_type in ("response", "revisit"):
                code = record.http_headers.get_statuscode()
                status = int(code) if code and code.isdigit() else None
                content_type = record.http_headers.get_header("Content-Type")
                location = record.http_headers.get_header("Location")
            record_id = headers.get_header("WARC-Record-ID") or ""
            wanted = with_bodies if isinstance(with_bodies, bool) else record_id in with_bodies
            body = record.content_stream().read() if wanted and record.rec_type == "response" else None
            if body is None:
                record.raw_stream.read()
            following = iterator.get_record_offset() + iterator.get_record_length()
            yield StoredRecord(
                warc_file=path.name, offset=iterator.get_record_offset(), length=iterator.get_record_length(),
                record_type=record.rec_type, record_id=record_id,
                target_uri=headers.get_header("WARC-Target-URI") or "",
                date=datetime.fromisoformat((headers.get_header("WARC-Date") or "").replace("Z", "+00:00")),
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                concurrent_to=headers.get_header("WARC-Concurrent-To"), refers_to=headers.get_header("WARC-Refers-To"),
                status=status, content_type=content_type, body=body, location=location,
            )
        if end is not None and following != end:
            raise RecordRangeMismatch(f"{Path(path).name}: no record starts at {end} (the record before it ends at "
                                      f"{following})")


def read_record_at(path: Path, offset: int) -> StoredRecord:
    """The record whose gzip member starts at ``offset`` (what a capture pointer names)."""
    try:
        return _read_record_at(path, offset)
    except MALFORMED as error:
        raise WarcFormatError(f"{Path(path).name} at {offset}: no well-formed record ({type(error).__name__}: "
                              f"{str(error)[:200]})") from error


def _read_record_at(path: Path, offset: int) -> StoredRecord:
    with open(path, "rb") as handle:
        handle.seek(offset)
        for record in ArchiveIterator(handle):
            headers = record.rec_headers
            body = record.content_stream().read() if record.rec_type == "response" else None
            return StoredRecord(
                warc_file=path.name, offset=offset, length=0, record_type=record.rec_type,
                record_id=headers.get_header("WARC-Record-ID") or "",
                target_uri=headers.get_header("WARC-Target-URI") or "",
                date=datetime.fromisoformat((headers.get_header("WARC-Date") or "").replace("Z", "+00:00")),
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                concurrent_to=headers.get_header("WARC-Concurrent-To"),
                refers_to=headers.get_header("WARC-Refers-To"), status=None, content_type=None, body=body)
    raise ValueError(f"no record at offset {offset} of {path}")
