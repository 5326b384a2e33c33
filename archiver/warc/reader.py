"""Reading records back out of the archive's WARC files, in the order they were written.

``iter_records`` parses the simple records most WARC files are made of itself (``archiver.warc.fast_reader``) and
hands warcio each record that is not (and the rest of a range where no gzip member can be read there);
``warcio_records`` reads with warcio alone.
"""

from __future__ import annotations

import zlib
from collections.abc import Container, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..exceptions import RecordRangeMismatch, WarcFormatError
from .fast_reader import simple_records
from .stored import StoredRecord

__all__ = ["StoredRecord", "iter_records", "read_record_at", "warc_files", "warcio_records"]


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
        raise _malformed(path, error) from error


def warcio_records(path: Path, with_bodies: bool | Container[str] = True, start: int = 0,
                   end: int | None = None) -> Iterator[StoredRecord]:
    """``iter_records`` read by warcio alone (what the fast path is held equal to)."""
    try:
        yield from _warcio_records(path, with_bodies, start, end)
    except MALFORMED as error:
        raise _malformed(path, error) from error


def _malformed(path: Path, error: Exception) -> WarcFormatError:
    return WarcFormatError(f"{Path(path).name}: not a well-formed WARC file ({type(error).__name__}: "
                           f"{str(error)[:200]})")


def _iter_records(path: Path, with_bodies: bool | Container[str], start: int,
                  end: int | None) -> Iterator[StoredRecord]:
    following = start
    with open(path, "rb") as handle:
        for record in simple_records(handle, Path(path).name, with_bodies, start, end):
            if isinstance(record, int):  # no gzip member to read there: warcio reads the rest of the range
                yield from _warcio_records(path, with_bodies, record, end)
                return
            if isinstance(record, tuple):  # a member outside the simple shape: warcio reads it
                offset, length = record
                done = 0
                try:
                    for found in _warcio_records(path, with_bodies, offset, offset + length):
                        done += 1
                        yield found
                except RecordRangeMismatch:  # warcio's records are not the gzip members: it reads the rest
                    yield from islice(_warcio_records(path, with_bodies, offset, end), done, None)
                    return
                following = offset + length
                continue
            following = record.offset + record.length
            yield record
    _check_range_end(path, end, following)


def _check_range_end(path: Path, end: int | None, following: int) -> None:
    """A range must end where its last record does: else ``end`` was no record boundary."""
    if end is not None and following != end:
        raise RecordRangeMismatch(f"{Path(path).name}: no record starts at {end} (the record before it ends at "
                                  f"{following})")


def _warcio_records(path: Path, with_bodies: bool | Container[str], start: int,
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
        _check_range_end(path, end, following)


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
