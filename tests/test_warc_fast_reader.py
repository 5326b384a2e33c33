"""``iter_records`` (the archiver's own parser of simple records) gives exactly what warcio gives.

On a real crawl's files, whole and in ranges, with and without bodies; on records written by hand in every shape
the fast path leaves to warcio (folded, Latin-1 or bracketed headers, bare line feeds, a file gzipped whole or not
at all, a cut file) and in the shapes it parses itself (chunked, gzip- and deflate-encoded entities, revisits,
empty blocks); and on randomly mutated records.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archiver.exceptions import RecordRangeMismatch, WarcFormatError
from archiver.warc import reader
from archiver.warc.ranges import plan
from archiver.warc.reader import iter_records, warc_files, warcio_records

from .conftest import CrawledArchive

Read = Callable[..., Any]


def outcome(read: Read, path: Path, with_bodies: Any = True, start: int = 0, end: int | None = None) -> Any:
    """The records read, and the error that ended the reading (its type), if one did."""
    records: list[Any] = []
    try:
        for record in read(path, with_bodies, start, end):
            records.append(record)
    except (WarcFormatError, RecordRangeMismatch) as error:
        return records, type(error).__name__
    return records, None


def assert_same(path: Path, with_bodies: Any = True, start: int = 0, end: int | None = None) -> Any:
    fast = outcome(iter_records, path, with_bodies, start, end)
    assert fast == outcome(warcio_records, path, with_bodies, start, end)
    return fast


def test_a_crawl_reads_the_same_whole_and_in_ranges_without_warcio(crawled: CrawledArchive,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    files = warc_files(crawled.warc_dir)
    some = {record.record_id for path in files for record in warcio_records(path, False)
            if record.record_type == "response" and record.status == 200}
    expected = {str(wanted): [(path, outcome(warcio_records, path, wanted)) for path in files]
                for wanted in (False, True)}
    # the fast path parses every record of the archiver's own files itself: warcio is never asked
    monkeypatch.setattr(reader, "_warcio_records", None)
    for wanted in (False, True):
        assert [(path, outcome(iter_records, path, wanted)) for path in files] == expected[str(wanted)]
    records = [record for path, (read, error) in expected["True"] for record in read]
    assert sum(1 for record in records if record.body) >= 100  # pages and images, decoded
    partly = [record for path in files for record in iter_records(path, set(list(some)[:20]))]
    assert sum(1 for record in partly if record.body is not None) == 20
    ranges = plan(files, 4, smallest=1 << 14)
    assert len(ranges) > len(files)
    whole = [record for _, (read, _) in expected["False"] for record in read]
    assert [record for part in ranges for record in iter_records(part.path, False, part.start, part.end)] == whole


def _record(record_type: str, uri: str, block: bytes, extra: bytes = b"", version: bytes = b"WARC/1.0",
            crlf: bytes = b"\r\n") -> bytes:
    record_id = str(zlib.crc32(record_type.encode() + uri.encode() + block)).encode()
    head = (version + crlf + b"WARC-Type: " + record_type.encode() + crlf +
            b"WARC-Record-ID: <urn:uuid:" + record_id + b">" + crlf +
            b"WARC-Date: 2026-12-06T10:00:00Z" + crlf + b"WARC-Target-URI: " + uri.encode() + crlf + extra +
            b"Content-Length: " + str(len(block)).encode() + crlf + crlf)
    return head + block + b"\r\n\r\n"


def _http(status: bytes, headers: list[bytes], payload: bytes, crlf: bytes = b"\r\n") -> bytes:
    return status + crlf + b"".join(header + crlf for header in headers) + crlf + payload


def _chunked(payload: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 7]), payload[i:i + 7]) for i in range(0, len(payload), 7)) \
        + b"0\r\n\r\n"


PAGE = "<html><body><p>Grüße aus dem Archiv</p></body></html>".encode() * 3
SIMPLE = {
    "plain": _record("response", "https://example.org/a", _http(b"HTTP/1.1 200 OK", [
        b"Content-Type: text/html; charset=utf-8", b"Content-Length: %d" % len(PAGE)], PAGE)),
    "chunked": _record("response", "https://example.org/b", _http(b"HTTP/1.1 200 OK", [
        b"Transfer-Encoding: chunked", b"content-type: text/html"], _chunked(PAGE))),
    "gzip": _record("response", "https://example.org/c", _http(b"HTTP/1.1 200 OK", [
        b"Content-Encoding: GZIP", b"Content-Type: text/html"], gzip.compress(PAGE))),
    "chunked gzip": _record("response", "https://example.org/d", _http(b"HTTP/1.1 200 OK", [
        b"Content-Encoding: gzip", b"Transfer-Encoding: chunked"], _chunked(gzip.compress(PAGE)))),
    "deflate": _record("response", "https://example.org/e", _http(b"HTTP/1.1 200 OK", [
        b"Content-Encoding: deflate"], zlib.compress(PAGE))),
    "unknown coding": _record("response", "https://example.org/f", _http(b"HTTP/1.1 200 OK", [
        b"Content-Encoding: x-unheard-of"], PAGE)),
    "redirect": _record("response", "https://example.org/g", _http(b"HTTP/1.1 301 Moved Permanently", [
        b"Location: https://example.org/h", b"Location: https://example.org/second", b"Content-Length: 0"], b"")),
    "odd status": _record("response", "http://example.org/i", _http(b"HTTP/1.0 abc", [b"X: y"], b"z")),
    "no reason": _record("response", "http://example.org/j", _http(b"HTTP/1.1 404", [
        b"Content-Type :  text/plain\x0b  "], b"")),
    "revisit": _record("revisit", "https://example.org/a", _http(b"HTTP/1.1 304 Not Modified", [b"ETag: 1"], b""),
                       b"WARC-Refers-To: <urn:uuid:1>\r\nWARC-Payload-Digest: sha1:AAAA\r\n"),
    "empty revisit": _record("revisit", "https://example.org/a", b""),
    "empty response": _record("response", "https://example.org/k", b""),
    "request": _record("request", "https://example.org/a", _http(b"GET /a HTTP/1.1", [b"Host: example.org"], b"")),
    "metadata": _record("metadata", "https://example.org/a", b"archiver: article\r\n",
                        b"WARC-Concurrent-To: <urn:uuid:2>\r\n"),
    "warcinfo": _record("warcinfo", "", b"software: test\r\n", version=b"WARC/1.1"),
}
# Each of these is read by warcio (a record of its own, or the rest of the file).
UNUSUAL = {
    "folded header": _record("response", "https://example.org/l", _http(b"HTTP/1.1 200 OK", [
        b"Content-Type: text/html;", b"  charset=utf-8"], PAGE)),
    "folded header with a colon": _record("response", "https://example.org/l2", _http(b"HTTP/1.1 301 Moved", [
        b"Location: https://example.org/", b"\tx:y", b"Content-Type: text/html"], PAGE)),
    "latin-1 header": _record("response", "https://example.org/m", _http(b"HTTP/1.1 200 OK", [
        b"Content-Disposition: inline; filename=\"gr\xfc\xdfe.html\""], PAGE)),
    "utf-8 header": _record("response", "https://example.org/n", _http(b"HTTP/1.1 200 OK", [
        "Location: https://example.org/grüße".encode()], b"")),
    "bare line feeds": _record("response", "https://example.org/o", _http(b"HTTP/1.1 200 OK", [
        b"Content-Type: text/html"], PAGE, crlf=b"\n")),
    "bracketed target": _record("response", "<https://example.org/p>", _http(b"HTTP/1.1 200 OK", [], PAGE)),
    "spaced target": _record("response", "https://example.org/a b", _http(b"HTTP/1.1 200 OK", [], PAGE)),
    "colonless line": _record("response", "https://example.org/q", _http(b"HTTP/1.1 200 OK", [
        b"Content-Type text/html", b"Content-Type: text/plain"], PAGE)),
    "blank line in headers": _record("response", "https://example.org/r", _http(b"HTTP/1.1 200 OK", [
        b"X: 1", b"\x0c", b"Content-Type: text/plain"], PAGE)),
    "non-http target": _record("response", "dns:example.org", b"example.org. 60 IN A 127.0.0.1\r\n"),
    "old version": _record("resource", "https://example.org/s", PAGE, version=b"WARC/0.18"),
    "short length": _record("response", "https://example.org/t", _http(b"HTTP/1.1 200 OK", [], PAGE))
    .replace(b"Content-Length: ", b"Content-Length: 1", 1),
    "no blank line after headers": _record("response", "https://example.org/u", b"HTTP/1.1 200 OK\r\nX: y"),
}


def _file(path: Path, members: list[bytes]) -> Path:
    path.write_bytes(b"".join(gzip.compress(member) for member in members))
    return path


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_every_record_shape_reads_as_warcio_reads_it(tmp_path: Path, name: str) -> None:
    simple = list(SIMPLE.values())
    path = _file(tmp_path / "a.warc.gz", [*simple[:4], UNUSUAL[name], *simple[4:]])
    for wanted in (True, False, {"<urn:uuid:none>"}):
        records, error = assert_same(path, wanted)
        if error is None:
            assert len(records) == len(SIMPLE) + 1


def test_simple_records_are_parsed_without_warcio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path / "a.warc.gz", list(SIMPLE.values()))
    expected = outcome(warcio_records, path)
    monkeypatch.setattr(reader, "_warcio_records", None)
    records, error = outcome(iter_records, path)
    assert (records, error) == expected and error is None
    bodies = {record.target_uri: record.body for record in records}
    assert bodies["https://example.org/b"] == bodies["https://example.org/c"] == bodies["https://example.org/d"] \
        == bodies["https://example.org/e"] == PAGE
    statuses = {record.target_uri: record.status for record in records}
    assert statuses["https://example.org/g"] == 301 and statuses["http://example.org/i"] is None
    assert {record.location for record in records} >= {"https://example.org/h"}


@pytest.mark.parametrize("shape", ["gzipped whole", "not gzipped", "cut short", "garbage after", "empty"])
def test_files_of_every_shape_read_as_warcio_reads_them(tmp_path: Path, shape: str) -> None:
    records = b"".join(SIMPLE.values())
    path = tmp_path / "a.warc.gz"
    data = {"gzipped whole": gzip.compress(records), "not gzipped": records,
            "cut short": b"".join(gzip.compress(record) for record in SIMPLE.values())[:-40],
            "garbage after": b"".join(gzip.compress(record) for record in SIMPLE.values()) + b"\x00garbage",
            "empty": b""}[shape]
    path.write_bytes(data)
    for wanted in (True, False):
        assert_same(path, wanted)


MUTATION_BYTES = [b"\r\n", b"\n", b"\r", b" ", b"\t", b":", b"<", b"\xfc", b"0", b"\x00", b"WARC/1.0\r\n"]


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SIMPLE) - 1), st.integers(0, 600), st.sampled_from(MUTATION_BYTES),
                          st.booleans()), min_size=1, max_size=4))
@example([(0, 11, b" ", False)])
def test_mutated_records_read_as_warcio_reads_them(mutations: list[tuple[int, int, bytes, bool]]) -> None:
    import tempfile

    members = list(SIMPLE.values())
    for member, position, inserted, replace in mutations:
        data = members[member]
        position %= len(data) + 1
        members[member] = data[:position] + inserted + data[position + (1 if replace else 0):]
    with tempfile.TemporaryDirectory() as directory:
        path = _file(Path(directory) / "a.warc.gz", members)
        for wanted in (True, False):
            assert_same(path, wanted)
