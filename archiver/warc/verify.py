"""A structural WARC checker stronger than ``warcio check``.

Per file it walks every gzip member to EOF and checks: one record per member, ``warcinfo``
first, the mandatory WARC/1.1 fields, ``Content-Length`` against the block, block and
payload digests, HTTP entity length against ``Content-Length``, gzip entities that start with
the gzip magic, and that every request record points to a response or revisit in the file.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 16
MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
NEEDS_TARGET = {"response", "request", "revisit", "resource", "metadata", "conversion"}


@dataclass
class RawRecord:
    offset: int
    length: int
    version: str
    headers: list[tuple[str, str]]
    block: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class VerifyResult:
    path: str
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_members(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(offset, compressed length, content) of every gzip member; raises ValueError on a broken one."""
    view = memoryview(data)  # fed in bounded chunks: zlib copies everything past a member into unused_data
    position = 0
    while position < len(data):
        decompressor = zlib.decompressobj(31)
        parts: list[bytes] = []
        cursor = position
        try:
            while not decompressor.eof and cursor < len(data):
                chunk = view[cursor:cursor + CHUNK]
                parts.append(decompressor.decompress(chunk))
                cursor += len(chunk) - len(decompressor.unused_data)
        except zlib.error as error:
            raise ValueError(f"offset {position}: broken gzip member ({error})") from None
        if not decompressor.eof:
            raise ValueError(f"offset {position}: gzip member cut short (file truncated)")
        yield position, cursor - position, b"".join(parts)
        position = cursor


def parse_record(offset: int, length: int, content: bytes) -> RawRecord:
    head, sep, rest = content.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"offset {offset}: no end of WARC headers")
    lines = head.decode("utf-8", "replace").split("\r\n")
    version = lines[0]
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"offset {offset}: malformed WARC header line {line[:60]!r}")
        headers.append((name.strip(), value.strip()))
    record = RawRecord(offset, length, version, headers, b"")
    declared = record.header("Content-Length")
    if declared is None or not declared.isdigit():
        raise ValueError(f"offset {offset}: missing or bad Content-Length")
    size = int(declared)
    if len(rest) < size + 4 or rest[size:size + 4] != b"\r\n\r\n":
        raise ValueError(f"offset {offset}: block is not Content-Length ({size}) bytes followed by CRLFCRLF")
    if len(rest) != size + 4:
        raise ValueError(f"offset {offset}: more than one record in one gzip member")
    record.block = rest[:size]
    return record


def _digest_ok(value: str, data: bytes) -> bool:
    algorithm, _, encoded = value.partition(":")
    if algorithm.lower() != "sha1":
        return True  # unknown algorithms are not wrong, only unverifiable
    return base64.b32encode(hashlib.sha1(data).digest()).decode() == encoded.upper()


def _check_http(record: RawRecord) -> str | None:
    head, sep, body = record.block.partition(b"\r\n\r\n")
    if not sep:
        return "HTTP headers do not end"
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    wtype = record.header("WARC-Type")
    if wtype == "response" and not lines[0].startswith("HTTP/"):
        return f"bad HTTP status line {lines[0][:40]!r}"
    digest = record.header("WARC-Payload-Digest")
    if wtype == "response" and digest and not _digest_ok(digest, body):
        return "WARC-Payload-Digest does not match the HTTP entity"
    truncated = record.header("WARC-Truncated")
    length = headers.get("content-length")
    if wtype == "response" and length and length.isdigit() and int(length) != len(body) and not truncated:
        return f"HTTP Content-Length {length} but entity has {len(body)} bytes"
    if wtype == "response" and "gzip" in headers.get("content-encoding", "") and body and not truncated \
            and not body.startswith(b"\x1f\x8b"):
        return "Content-Encoding gzip but the entity does not start with the gzip magic"
    if "chunked" in headers.get("transfer-encoding", "") and wtype == "response":
        return "Transfer-Encoding chunked on a stored (de-chunked) entity"
    return None


def verify_file(path: str | Path) -> VerifyResult:
    """Check one WARC file; stops at the first problem."""
    result = VerifyResult(str(path))
    try:
        data = Path(path).read_bytes()
        ids: set[str] = set()
        responses: set[str] = set()
        requests: list[tuple[int, str]] = []
        for n, (offset, length, content) in enumerate(iter_members(data)):
            record = parse_record(offset, length, content)
            result.records += 1
            problem = _check_record(record, n)
            if problem is None and record.header("WARC-Record-ID") in ids:
                problem = "duplicate WARC-Record-ID"
            if problem:
                result.problems.append(f"offset {offset}: {problem}")
                return result
            record_id = record.header("WARC-Record-ID") or ""
            ids.add(record_id)
            if record.header("WARC-Type") in ("response", "revisit"):
                responses.add(record_id)
            elif record.header("WARC-Type") == "request":
                requests.append((offset, record.header("WARC-Concurrent-To") or ""))
        if result.records == 0:
            result.problems.append("empty file")
        for offset, target in requests:
            if target not in responses:
                result.problems.append(f"offset {offset}: request record without its response in this file")
                break
    except ValueError as error:
        result.problems.append(str(error))
    except OSError as error:
        result.problems.append(f"cannot read: {error.strerror}")
    return result


def _check_record(record: RawRecord, index: int) -> str | None:
    if record.version not in ("WARC/1.0", "WARC/1.1"):
        return f"unknown version line {record.version[:20]!r}"
    for name in MANDATORY:
        if not record.header(name):
            return f"missing {name}"
    wtype = record.header("WARC-Type")
    if index == 0 and wtype != "warcinfo":
        return "first record is not warcinfo"
    record_id = record.header("WARC-Record-ID") or ""
    if not (record_id.startswith("<") and record_id.endswith(">")):
        return "WARC-Record-ID is not enclosed in angle brackets"
    target = record.header("WARC-Target-URI")
    if wtype in NEEDS_TARGET:
        if not target:
            return "missing WARC-Target-URI"
        if any(ch in target for ch in " <>\"") or not target.isascii():
            return "WARC-Target-URI is not percent-encoded"
    block_digest = record.header("WARC-Block-Digest")
    if block_digest and not _digest_ok(block_digest, record.block):
        return "WARC-Block-Digest does not match the block"
    if wtype in ("response", "request", "revisit") and (record.header("Content-Type") or "").startswith(
            "application/http"):
        return _check_http(record)
    return None

