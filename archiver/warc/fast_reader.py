"""The WARC records of a file as ``archiver.warc.reader`` gives them, parsed without warcio where a record is simple.

``archiver reparse`` reads every record of the archive twice, and warcio parses each header line in Python,
line by line through its buffered readers: reading took longer than extracting the articles. Each gzip member is
inflated here in one go and its header blocks split as bytes. Only the shape the archiver's own writer produces
(and most crawlers with it) is parsed here: one record per gzip member, ``WARC/1.0`` or ``WARC/1.1``, ASCII
header blocks with CRLF line ends and no continuation lines, a ``Content-Length`` the member holds exactly, an
``http(s)`` target without angle brackets or spaces. warcio reads a record outside that shape (and the
rest of the range where a gzip member cannot be read, or holds more than one record), so what comes out is what
warcio gives in every case; the HTTP entity's transfer- and content-decoding is warcio's own in every case.
``tests/test_warc_fast_reader.py`` holds the two equal.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Container, Iterator
from datetime import datetime
from typing import BinaryIO

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

from .stored import StoredRecord

GZIP_MAGIC = b"\x1f\x8b\x08"
STEP = 1 << 16  # compressed bytes inflated at a time
READ = 1 << 20  # bytes read from the file at a time
HEAD = 1 << 16  # inflated bytes kept of a record whose body is not wanted: its header blocks must fit
# A bigger member is left to warcio, which streams it (a file gzipped whole, a long video).
LARGEST = 256 << 20
WARC_STATUS_LINES = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
HTTP_RECORDS = ("response", "revisit")
HTTP_EXCHANGES = ("request", *HTTP_RECORDS)  # warcio reads their HTTP headers (and fails without a target)
# The header lines read of each block (after its first line): warcio splits a line at its first colon and compares
# names lower-cased, without the blanks before the colon; a line without a colon it drops or, blank, ends the block at.
_WARC_HEADERS = re.compile(r"\r\n(content-length|warc-type|warc-record-id|warc-target-uri|warc-date|"
                           r"warc-payload-digest|warc-concurrent-to|warc-refers-to)[ \t]*:([^\r\n]*)", re.I | re.A)
_HTTP_HEADERS = re.compile(r"\r\n(content-type|location|content-encoding|transfer-encoding)[ \t]*:([^\r\n]*)",
                           re.I | re.A)
_COLONLESS_LINE = re.compile(r"\r\n[^:\r\n]*(?:\r\n|$)")


class Unusual(Exception):
    """A record outside the shape parsed here (or no gzip member where one should start): warcio reads on."""


class _Members:
    """The gzip members of a file from a position on, one record each."""

    def __init__(self, handle: BinaryIO, position: int) -> None:
        handle.seek(position)
        self.handle, self.position = handle, position  # the file offset of the next member
        self.buffer, self.at = b"", 0  # buffer[at:] holds the file's bytes from position on

    def _fill(self) -> bool:
        if len(self.buffer) - self.at < STEP:
            self.buffer = self.buffer[self.at:] + self.handle.read(READ)
            self.at = 0
        return len(self.buffer) > self.at

    def at_end(self) -> bool:
        return not self._fill()

    def next(self, keep_all: bool) -> tuple[int, int, bytes, int, bytes]:
        """The member at the position: its offset, compressed length, inflated bytes (the first ``HEAD`` of them
        unless ``keep_all``), inflated length and last four inflated bytes."""
        if self.buffer[self.at:self.at + 3] != GZIP_MAGIC:
            raise Unusual
        offset = self.position
        inflater = zlib.decompressobj(wbits=31)
        kept: list[bytes] = []
        kept_length = total = 0
        tail = b""
        while True:
            piece = self.buffer[self.at:self.at + STEP]
            try:
                out = inflater.decompress(piece)
            except zlib.error:
                raise Unusual from None  # warcio reads what does not inflate (and says what is wrong with it)
            total += len(out)
            tail = (tail + out)[-4:]
            if keep_all or kept_length < HEAD:
                kept.append(out)
                kept_length += len(out)
                if kept_length > LARGEST:
                    raise Unusual
            used = len(piece) - len(inflater.unused_data) if inflater.eof else len(piece)
            self.at += used
            self.position += used
            if inflater.eof:
                return offset, self.position - offset, b"".join(kept), total, tail
            if not self._fill():
                raise Unusual  # the file ends inside the member


def _header_block(data: bytes, start: int, wanted: re.Pattern[str]) -> tuple[dict[str, str], str, int]:
    """The ``wanted`` header lines of the block at ``start`` (up to its empty line) as warcio reads them: a map of
    lower-cased names to their first value, the first line; and where the block's content begins."""
    end = data.find(b"\r\n\r\n", start)
    if end == -1:
        raise Unusual
    try:
        text = data[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise Unusual from None  # warcio reads a line as UTF-8, else as ISO-8859-1, and compares names by lower()
    single = text.replace("\r\n", "")
    if "\r" in single or "\n" in single or "\r\n " in text or "\r\n\t" in text:
        raise Unusual  # warcio ends a line at a bare LF only, and joins continuation lines
    if _COLONLESS_LINE.search(text):
        raise Unusual
    headers = {name.lower(): value.strip() for name, value in reversed(wanted.findall(text))}  # the first one wins
    return headers, text.split("\r\n", 1)[0], end + 4


def _entity(payload: bytes, headers: dict[str, str]) -> bytes:
    """The HTTP entity with its transfer- and content-encoding undone, as warcio's ``content_stream()`` does."""
    encoding = headers.get("content-encoding")
    if encoding:
        encoding = encoding.lower()
        if encoding not in BufferedReader.get_supported_decompressors():
            encoding = None
    if headers.get("transfer-encoding") == "chunked":
        return bytes(ChunkedDataReader(io.BytesIO(payload), decomp_type=encoding).read())
    if encoding:
        return bytes(BufferedReader(io.BytesIO(payload), decomp_type=encoding).read())
    return payload


def parse(name: str, offset: int, length: int, data: bytes, total: int, tail: bytes,
          with_bodies: bool | Container[str]) -> StoredRecord:
    """The record of one inflated member (``data``: all of it, or its first ``HEAD`` bytes of ``total``, which
    end in ``tail``)."""
    if not data.startswith(WARC_STATUS_LINES) or tail != b"\r\n\r\n":
        raise Unusual
    warc, _, block_start = _header_block(data, 0, _WARC_HEADERS)
    try:
        content_length = int(warc["content-length"])
    except (KeyError, ValueError):
        raise Unusual from None
    record_type, record_id = warc.get("warc-type"), warc.get("warc-record-id")
    uri = warc.get("warc-target-uri", "")
    if content_length < 0 or total != block_start + content_length + 4 or not record_type or not record_id or \
            uri.startswith("<") or " " in uri or ("warc-target-uri" not in warc and record_type in HTTP_EXCHANGES):
        raise Unusual
    status = content_type = location = None
    body: bytes | None = None
    wanted = with_bodies if isinstance(with_bodies, bool) else record_id in with_bodies
    if record_type in HTTP_RECORDS and content_length > 0:
        if not uri.startswith(("http:", "https:")):
            raise Unusual
        http, status_line, payload_start = _header_block(data, block_start, _HTTP_HEADERS)
        if not status_line.rstrip():
            raise Unusual
        parts = status_line.rstrip().split(" ", 1)
        code = (parts[1].strip() if len(parts) > 1 else "").split(" ", 1)[0]
        status = int(code) if code and code.isdigit() else None
        content_type, location = http.get("content-type"), http.get("location")
        if wanted and record_type == "response":
            body = _entity(data[payload_start:block_start + content_length], http)
    elif wanted and record_type == "response":
        body = data[block_start:block_start + content_length]
    return StoredRecord(
        warc_file=name, offset=offset, length=length, record_type=record_type, record_id=record_id,
        target_uri=uri, date=datetime.fromisoformat(warc.get("warc-date", "").replace("Z", "+00:00")),
        payload_digest=warc.get("warc-payload-digest"), concurrent_to=warc.get("warc-concurrent-to"),
        refers_to=warc.get("warc-refers-to"), status=status, content_type=content_type, body=body,
        location=location)


def simple_records(handle: BinaryIO, name: str, with_bodies: bool | Container[str], start: int,
                   end: int | None) -> Iterator[StoredRecord | tuple[int, int] | int]:
    """The records of the members starting in ``[start, end)``. For a member outside the simple shape, its offset
    and length, for the caller to read with warcio; where no member can be read (no gzip header, the file ends
    inside one), the offset (an int), and nothing more: the caller reads the rest of the range with warcio."""
    members = _Members(handle, start)
    while (end is None or members.position < end) and not members.at_end():
        position = members.position
        try:
            offset, length, data, total, tail = members.next(with_bodies is not False)
        except Unusual:
            yield position
            return
        try:
            yield parse(name, offset, length, data, total, tail, with_bodies)
        except Unusual:
            yield offset, length
