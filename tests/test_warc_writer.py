"""The WARC writer: byte-exact records (golden records by hand, and every record type compared with what warcio
builds and reads back), rotation, crash repair, verifier."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.warc.records import (
    NOT_MODIFIED_PROFILE,
    REVISIT_PROFILE,
    Exchange,
    RecordFactory,
    _quoted_uri,
    warc_date,
    warc_uri,
)
from archiver.warc.repair import repair_open_files
from archiver.warc.verify import verify_file
from archiver.warc.writer import WarcFileWriter

FIXED = datetime(2025, 3, 7, 6, 25, 18, 123456, tzinfo=UTC)


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def fixed_ids() -> RecordFactory:
    counter = itertools.count(1)
    return RecordFactory(make_id=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>")


def members(path: Path) -> list[bytes]:
    data, out, position = path.read_bytes(), [], 0
    while position < len(data):
        decompressor = zlib.decompressobj(31)
        out.append(decompressor.decompress(data[position:]))
        position = len(data) - len(decompressor.unused_data)
    return out


def exchange(**changes: object) -> Exchange:
    body = gzip.compress(b"<html><body><p>Hallo</p></body></html>", mtime=0)
    values: dict[str, object] = dict(
        url="http://127.0.0.1:8000/artikel/ä b-1.html?x=1&y=ö", method="GET",
        request_headers=[("Host", "127.0.0.1:8000"), ("Accept-Encoding", "gzip")], request_body=b"", status=200,
        response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Set-Cookie", "a=1"),
                          ("Set-Cookie", "b=2"), ("Transfer-Encoding", "chunked")],
        body=body, ip_address="127.0.0.1", started_at=FIXED, dechunked=True)
    values.update(changes)
    return Exchange(**values)  # type: ignore[arg-type]


def test_response_and_request_records_byte_exact(tmp_path: Path) -> None:
    ex = exchange()
    writer = WarcFileWriter(tmp_path, "golden", factory=fixed_ids(), clock=lambda: FIXED, host="testhost")
    writer.write_exchange(ex)
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    assert path.name == "golden-20250307062518123-00001-testhost.warc.gz"
    warcinfo, response, request = members(path)
    uri = "http://127.0.0.1:8000/artikel/%C3%A4%20b-1.html?x=1&y=%C3%B6"
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nSet-Cookie: a=1\r\n"
            b"Set-Cookie: b=2\r\nX-Crawler-Transfer-Encoding: chunked\r\nContent-Length: "
            + str(len(ex.body)).encode() + b"\r\n\r\n")
    block = http + ex.body
    expected_response = (
        b"WARC/1.1\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-IP-Address: 127.0.0.1\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Target-URI: " + uri.encode() + b"\r\n"
        b"WARC-Payload-Digest: " + sha1(ex.body).encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1(block).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n")
    assert response == expected_response
    request_block = (b"GET /artikel/%C3%A4%20b-1.html?x=1&y=%C3%B6 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
                     b"Accept-Encoding: gzip\r\n\r\n")
    expected_request = (
        b"WARC/1.1\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000003>\r\n"
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Type: request\r\n"
        b"WARC-Target-URI: " + uri.encode() + b"\r\n"
        b"WARC-Payload-Digest: " + sha1(b"").encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1(request_block).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=request\r\n"
        b"Content-Length: " + str(len(request_block)).encode() + b"\r\n\r\n" + request_block + b"\r\n\r\n")
    assert request == expected_request
    assert warcinfo.startswith(b"WARC/1.1\r\n")
    assert b"WARC-Type: warcinfo\r\n" in warcinfo
    assert b"WARC-Filename: golden-20250307062518123-00001-testhost.warc.gz\r\n" in warcinfo


def test_a_compressed_payload_is_stored_not_compressed_twice(tmp_path: Path) -> None:
    """gzip over a gzipped body costs time and saves nothing: such response records are stored in their member;
    plain bodies and the (header-only) request records are deflated. Every member still decodes to its record."""
    text = b"<html><body>" + b"<p>Ein Absatz, der sich gut komprimieren l\xc3\xa4sst.</p>" * 200 + b"</body></html>"
    plain = exchange(body=text, response_headers=[("Content-Type", "text/html")], dechunked=False)
    encoded = exchange(body=gzip.compress(text, mtime=0), dechunked=False,
                       response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    jpeg = exchange(body=bytes(range(256)) * 40, response_headers=[("Content-Type", "image/jpeg")], dechunked=False)
    writer = WarcFileWriter(tmp_path, "levels", factory=fixed_ids(), clock=lambda: FIXED, host="testhost")
    written = [writer.write_exchange(ex) for ex in (plain, encoded, jpeg)]
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    records = members(path)[1:]  # after the warcinfo record
    sizes = [record.length for pair in written for record in pair]
    assert len(records) == 6
    (plain_response, plain_request, encoded_response, encoded_request, jpeg_response, jpeg_request) = zip(
        records, sizes, strict=True)
    assert plain_response[1] < len(plain_response[0]) / 5  # deflated
    for stored, _request in ((encoded_response, encoded_request), (jpeg_response, jpeg_request)):
        record, member = stored
        assert len(record) < member <= len(record) + 40  # stored: gzip framing only
    for record, member in (plain_request, encoded_request, jpeg_request):
        assert member < len(record)  # header-only records are always deflated
    assert records[2].endswith(encoded.body + b"\r\n\r\n") and records[4].endswith(jpeg.body + b"\r\n\r\n")
    assert verify_file(path).ok


def test_metadata_record_is_byte_for_byte_what_warcio_writes() -> None:
    """The metadata record is serialized by hand for speed; warcio, the reference writer, is the oracle."""
    fields = {"article-id": "7", "title": "Krypto-Börse  Garantex:\tkeine Geldwäsche", "empty": "", "layout": "x"}
    for warcinfo_id in ("<urn:uuid:00000000-0000-0000-0000-00000000000w>", None):
        ours_id, ours = fixed_ids().metadata("http://h/ä b?q=ö", "<urn:uuid:c>", fields, FIXED, warcinfo_id)
        payload = b"article-id: 7\r\ntitle: Krypto-B\xc3\xb6rse Garantex: keine Geldw\xc3\xa4sche\r\nlayout: x\r\n"
        headers = {"WARC-Record-ID": ours_id, "WARC-Date": "2025-03-07T06:25:18.123456Z",
                   "WARC-Concurrent-To": "<urn:uuid:c>", "Content-Type": "application/warc-fields"}
        if warcinfo_id:
            headers["WARC-Warcinfo-ID"] = warcinfo_id
        writer = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
        record = writer.create_warc_record("http://h/%C3%A4%20b?q=%C3%B6", "metadata", payload=io.BytesIO(payload),
                                           length=len(payload), warc_headers_dict=headers)
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
        assert ours == buffer.getvalue()


# --- every record type against warcio ------------------------------------------------------------------------------
# The response, request and metadata records are serialized by hand for speed; warcinfo and revisit records by warcio
# itself. Each is compared with the record warcio's WARCWriter.create_warc_record builds from the same inputs (the
# same record IDs and dates), byte for byte, then read back with warcio's ArchiveIterator, digests checked.
ORIGINAL = ("sha1:" + "A" * 32, "<urn:uuid:00000000-0000-0000-0000-0000000000aa>", "2025-01-01T00:00:00Z")
WARCINFO = "<urn:uuid:00000000-0000-0000-0000-0000000000ff>"
EXCHANGES = {
    "chunked-gzip": exchange(),
    "plain-404-truncated": exchange(status=404, reason=None, ip_address=None, truncated="length", dechunked=False,
                                    response_headers=[("Content-Type", "text/html"), ("Content-Length", "3")],
                                    body=b"abc"),
    "post-http10-own-reason": exchange(method="POST", protocol="HTTP/1.0", reason="Fine", request_body=b"a=1&b=%C3%A4",
                                       request_headers=[("Host", "127.0.0.1:8000"),
                                                        ("Content-Type", "application/x-www-form-urlencoded")],
                                       dechunked=False, response_headers=[("Content-Type", "text/plain")],
                                       body="Grüße".encode()),
    "unknown-status": exchange(status=599, reason=None, dechunked=False, response_headers=[], body=b"x"),
    "no-content": exchange(status=204, url="https://h.example/", dechunked=False, response_headers=[], body=b""),
    "not-modified": exchange(status=304, dechunked=False, response_headers=[("ETag", '"e1"')], body=b""),
}


def _by_warcio(uri: str, record_type: str, headers: dict[str, str], payload: bytes | None = None,
               http: StatusAndHeaders | None = None) -> bytes:
    builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
    record = builder.create_warc_record(uri, record_type, payload=None if payload is None else io.BytesIO(payload),
                                        length=None if payload is None else len(payload), warc_headers_dict=headers,
                                        http_headers=http)
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
    return buffer.getvalue()


def _stored_response_headers(ex: Exchange) -> list[tuple[str, str]]:
    """The HTTP headers as the response record keeps them: Transfer-Encoding renamed when the body was dechunked,
    a Content-Length added."""
    headers = [(f"X-Crawler-{k}" if ex.dechunked and k.lower() == "transfer-encoding" else k, v)
               for k, v in ex.response_headers]
    if ex.dechunked and not any(k.lower() == "content-length" for k, _ in ex.response_headers):
        headers.append(("Content-Length", str(len(ex.body))))
    return headers


def _status_line(ex: Exchange) -> str:
    reason = ex.reason or (HTTPStatus(ex.status).phrase if ex.status in HTTPStatus._value2member_map_ else "")
    return f"{ex.status} {reason}".strip()


def _warcio_exchange(ex: Exchange, warcinfo_id: str | None, ids: tuple[str, str],
                     revisit_of: tuple[str, str, str] | None) -> list[bytes]:
    """The response (or revisit) and request records warcio builds for the exchange, with our record IDs."""
    uri = warc_uri(ex.url)
    common = {"WARC-Date": warc_date(ex.started_at)} | ({"WARC-Warcinfo-ID": warcinfo_id} if warcinfo_id else {})
    headers = common | {"WARC-Record-ID": ids[0]}
    if ex.ip_address:
        headers["WARC-IP-Address"] = ex.ip_address
    if ex.truncated:
        headers["WARC-Truncated"] = ex.truncated
    http = StatusAndHeaders(_status_line(ex), _stored_response_headers(ex), protocol=ex.protocol)
    if revisit_of is not None:
        headers |= {"WARC-Profile": REVISIT_PROFILE, "WARC-Refers-To": revisit_of[1], "WARC-Refers-To-Target-URI": uri,
                    "WARC-Refers-To-Date": revisit_of[2], "WARC-Payload-Digest": revisit_of[0]}
        response = _by_warcio(uri, "revisit", headers, http=http)
    elif ex.status == 304:
        response = _by_warcio(uri, "revisit", headers | {"WARC-Profile": NOT_MODIFIED_PROFILE}, http=http)
    else:
        response = _by_warcio(uri, "response", headers, ex.body, http)
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_http = StatusAndHeaders(f"{ex.method} {target} {ex.protocol}", ex.request_headers, is_http_request=True)
    request = _by_warcio(uri, "request", common | {"WARC-Record-ID": ids[1], "WARC-Concurrent-To": ids[0]},
                         ex.request_body, request_http)
    return [response, request]


@pytest.mark.parametrize("warcinfo_id", [WARCINFO, None])
@pytest.mark.parametrize("revisit_of", [None, ORIGINAL], ids=["response", "revisit"])
@pytest.mark.parametrize("name", EXCHANGES)
def test_response_request_and_revisit_records_are_what_warcio_builds(
        name: str, revisit_of: tuple[str, str, str] | None, warcinfo_id: str | None) -> None:
    ex = EXCHANGES[name]
    ours = fixed_ids().exchange(ex, warcinfo_id, revisit_of)
    assert [record_type for _, record_type, _, _ in ours] == [
        "revisit" if revisit_of or ex.status == 304 else "response", "request"]
    expected = _warcio_exchange(ex, warcinfo_id, (ours[0][0], ours[1][0]), revisit_of)
    assert [data for _, _, data, _ in ours] == expected


def test_warcinfo_and_metadata_records_are_what_warcio_builds() -> None:
    fields = {"software": "archiver 1.0", "format": "WARC File Format 1.1", "empty": "", "isPartOf": "Tarnkäppe"}
    record_id, ours = fixed_ids().warcinfo("a-1.warc.gz", fields, FIXED)
    payload = "software: archiver 1.0\r\nformat: WARC File Format 1.1\r\nisPartOf: Tarnkäppe\r\n".encode()
    assert ours == _by_warcio("", "warcinfo", {"WARC-Record-ID": record_id, "WARC-Date": warc_date(FIXED),
                                                "WARC-Filename": "a-1.warc.gz",
                                                "Content-Type": "application/warc-fields"}, payload)
    metadata_fields = {"article-id": "7", "title": "Ä  b"}
    record_id, ours = fixed_ids().metadata("http://h/x", "<urn:uuid:c>", metadata_fields, FIXED, WARCINFO)
    assert ours == _by_warcio("http://h/x", "metadata", {
        "WARC-Record-ID": record_id, "WARC-Date": warc_date(FIXED), "WARC-Concurrent-To": "<urn:uuid:c>",
        "Content-Type": "application/warc-fields", "WARC-Warcinfo-ID": WARCINFO},
        "article-id: 7\r\ntitle: Ä b\r\n".encode())


def test_golden_warcinfo_revisit_and_metadata_records() -> None:
    """Byte-exact records written by hand (the response and request ones: test_response_and_request_records…)."""
    factory = fixed_ids()
    _, warcinfo = factory.warcinfo("g.warc.gz", {"software": "archiver 1", "empty": ""}, FIXED)
    assert warcinfo == (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Filename: g.warc.gz\r\n"
        b"Content-Type: application/warc-fields\r\n"
        b"WARC-Type: warcinfo\r\n"
        b"WARC-Block-Digest: " + sha1(b"software: archiver 1\r\n").encode() + b"\r\n"
        b"Content-Length: 22\r\n\r\n"
        b"software: archiver 1\r\n\r\n\r\n")
    ex = exchange(dechunked=False, response_headers=[("Content-Type", "text/html")], body=b"abc", url="http://h/a")
    (_, _, revisit, _), _ = factory.exchange(ex, WARCINFO, ORIGINAL)
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    assert revisit == (
        b"WARC/1.1\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Warcinfo-ID: " + WARCINFO.encode() + b"\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-IP-Address: 127.0.0.1\r\n"
        b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n"
        b"WARC-Refers-To: <urn:uuid:00000000-0000-0000-0000-0000000000aa>\r\n"
        b"WARC-Refers-To-Target-URI: http://h/a\r\n"
        b"WARC-Refers-To-Date: 2025-01-01T00:00:00Z\r\n"
        b"WARC-Payload-Digest: sha1:" + b"A" * 32 + b"\r\n"
        b"WARC-Type: revisit\r\n"
        b"WARC-Target-URI: http://h/a\r\n"
        b"WARC-Block-Digest: " + sha1(http).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(http)).encode() + b"\r\n\r\n" + http + b"\r\n\r\n")
    not_modified = exchange(status=304, dechunked=False, response_headers=[("ETag", '"e1"')], body=b"",
                            url="http://h/a", ip_address=None)
    (_, _, revisit, _), _ = factory.exchange(not_modified, None)
    http = b'HTTP/1.1 304 Not Modified\r\nETag: "e1"\r\n\r\n'
    assert revisit == (
        b"WARC/1.1\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000004>\r\n"
        b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/server-not-modified\r\n"
        b"WARC-Type: revisit\r\n"
        b"WARC-Target-URI: http://h/a\r\n"
        b"WARC-Block-Digest: " + sha1(http).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(http)).encode() + b"\r\n\r\n" + http + b"\r\n\r\n")
    _, metadata = factory.metadata("http://h/a", "<urn:uuid:c>", {"title": "Grüße  aus\tBerlin"}, FIXED, None)
    payload = "title: Grüße aus Berlin\r\n".encode()
    assert metadata == (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000006>\r\n"
        b"WARC-Date: 2025-03-07T06:25:18.123456Z\r\n"
        b"WARC-Concurrent-To: <urn:uuid:c>\r\n"
        b"Content-Type: application/warc-fields\r\n"
        b"WARC-Type: metadata\r\n"
        b"WARC-Target-URI: http://h/a\r\n"
        b"WARC-Payload-Digest: " + sha1(payload).encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1(payload).encode() + b"\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload + b"\r\n\r\n")


def test_warcio_reads_back_every_record_type_as_meant(tmp_path: Path) -> None:
    """A file with every record type the archiver writes, read with warcio's ArchiveIterator (digests checked):
    each record's WARC headers, HTTP headers and payload are exactly what was meant. A header value outside ASCII
    is kept as received (Latin-1 bytes), which warcio's reader decodes back to the same value."""
    writer = WarcFileWriter(tmp_path, "readback", factory=fixed_ids(), clock=lambda: FIXED, host="testhost")
    latin = exchange(dechunked=False, body=b"%PDF",
                     response_headers=[("Content-Type", "application/pdf"),
                                       ("Content-Disposition", 'attachment; filename="Grüße.pdf"')])
    written = [writer.write_exchange(EXCHANGES["chunked-gzip"]), writer.write_exchange(latin),
               writer.write_exchange(EXCHANGES["post-http10-own-reason"], revisit_of=ORIGINAL),
               writer.write_exchange(EXCHANGES["not-modified"])]
    metadata = writer.write_metadata("http://h/ä", written[0][0].record_id, {"title": "Grüße"})
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    with path.open("rb") as stream:
        records = [(record.rec_type, record.rec_headers.headers, record.http_headers, record.raw_stream.read(),
                    record.digest_checker.passed)
                   for record in ArchiveIterator(stream, check_digests="raise")]
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "response", "request", "revisit",
                                       "request", "revisit", "request", "metadata"]
    assert all(passed is not False for *_, passed in records)
    warcinfo_id = dict(records[0][1])["WARC-Record-ID"]
    assert dict(records[0][1])["WARC-Filename"] == path.name
    date = "2025-03-07T06:25:18.123456Z"

    def check(index: int, record_id: str, extra: list[tuple[str, str]], http: tuple[str, str, list[Any]] | None,
              payload: bytes) -> None:
        record_type, headers, http_headers, body, _ = records[index]
        meant = {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Warcinfo-ID": warcinfo_id,
                 "WARC-Type": record_type, **dict(extra)}
        block = b"" if http_headers is None else http_headers.to_bytes(encoding="latin-1")  # as received
        assert {k: v for k, v in headers if k not in ("WARC-Block-Digest", "Content-Length", "Content-Type")} == meant
        assert dict(headers)["Content-Length"] == str(len(block) + len(body))
        if http is None:
            assert http_headers is None
        else:
            assert (http_headers.protocol, http_headers.statusline, http_headers.headers) == http
        assert body == payload

    for n, ex in enumerate((EXCHANGES["chunked-gzip"], latin, EXCHANGES["post-http10-own-reason"],
                            EXCHANGES["not-modified"])):
        response, request = written[n]
        uri = warc_uri(ex.url)
        extra = [("WARC-Target-URI", uri), ("WARC-IP-Address", "127.0.0.1")]
        if n == 2:
            extra += [("WARC-Profile", REVISIT_PROFILE), ("WARC-Refers-To", ORIGINAL[1]),
                      ("WARC-Refers-To-Target-URI", uri), ("WARC-Refers-To-Date", ORIGINAL[2]),
                      ("WARC-Payload-Digest", ORIGINAL[0])]
        elif n == 3:
            extra += [("WARC-Profile", NOT_MODIFIED_PROFILE)]
        else:
            extra += [("WARC-Payload-Digest", sha1(ex.body))]
        check(1 + 2 * n, response.record_id, extra,
              (ex.protocol, _status_line(ex), _stored_response_headers(ex)), ex.body if n < 2 else b"")
        parts = urlsplit(uri)
        check(2 + 2 * n, request.record_id,
              [("WARC-Concurrent-To", response.record_id), ("WARC-Target-URI", uri),
               ("WARC-Payload-Digest", sha1(ex.request_body))],
              (ex.method, f"{parts.path}?{parts.query} {ex.protocol}", ex.request_headers), ex.request_body)
    check(9, metadata.record_id, [("WARC-Concurrent-To", written[0][0].record_id), ("WARC-Target-URI", "http://h/%C3%A4"),
                                  ("WARC-Payload-Digest", sha1("title: Grüße\r\n".encode()))],
          None, "title: Grüße\r\n".encode())


def test_target_uri_is_percent_encoded() -> None:
    assert warc_uri("http://h/ä b?q=<x>") == "http://h/%C3%A4%20b?q=%3Cx%3E"
    assert warc_uri("http://bücher.example/") == "http://xn--bcher-kva.example/"


URI_PARTS = st.sampled_from(["http://", "https://", "HTTP://", "tarnkappe.info", "Tarnkappe", "127.0.0.1", ":8080",
                              ":080", ":99999", ":0", "/", "/artikel", "?", "?a=1", "&b=", "#frag", "@", "user@", "%20",
                              " ", "ä", "<", "[::1]", "-", ".", "~", "(x)", ";", "'", "\"", "|"])


@given(st.lists(URI_PARTS, min_size=1, max_size=7).map("".join))
@settings(max_examples=2000)
def test_plain_uris_take_the_fast_path_to_the_same_result(url: str) -> None:
    """warc_uri returns a URL unchanged only when the general quoting path would have."""
    try:
        expected = _quoted_uri(url)
    except (ValueError, UnicodeError):
        return  # the general path refuses it (a port out of range, an empty IDNA label)
    assert warc_uri(url) == expected


def test_rotation_and_verify(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "rot", max_size=2000)
    for n in range(10):
        writer.write_exchange(exchange(url=f"http://127.0.0.1/p-{n}.html"))
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 2
    assert not list(tmp_path.glob("*.open"))
    serials = [int(f.name.split("-")[2]) for f in files]
    assert serials == list(range(1, len(files) + 1))
    for path in files:
        result = verify_file(path)
        assert result.ok, result.problems


def test_left_over_open_file_is_cut_back_to_complete_records(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "crash")
    for n in range(3):
        writer.write_exchange(exchange(url=f"http://127.0.0.1/p-{n}.html"))
    (open_file,) = tmp_path.glob("*.warc.gz.open")  # the process "dies" here, without close()
    whole = open_file.read_bytes()
    open_file.write_bytes(whole + whole[100:180])  # half a record at the end
    repaired = repair_open_files(tmp_path)
    assert len(repaired) == 1
    (path,) = tmp_path.glob("*.warc.gz")
    assert path.read_bytes() == whole
    assert verify_file(path).records == 7


def test_verify_finds_problems(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "bad")
    writer.write_exchange(exchange())
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    good = path.read_bytes()
    warcinfo, response, request = members(path)

    path.write_bytes(good[:-10])
    assert "cut short" in verify_file(path).problems[0]

    flipped = response[:-5] + bytes([response[-5] ^ 1]) + response[-4:]
    path.write_bytes(b"".join(gzip.compress(m) for m in (warcinfo, flipped, request)))
    assert "Digest does not match" in verify_file(path).problems[0]

    path.write_bytes(b"".join(gzip.compress(m) for m in (response, request)))
    assert "first record is not warcinfo" in verify_file(path).problems[0]

    path.write_bytes(b"".join(gzip.compress(m) for m in (warcinfo, request)))
    assert "without its response" in verify_file(path).problems[0]

    path.write_bytes(gzip.compress(warcinfo + response))
    assert "more than one record" in verify_file(path).problems[0]


def test_an_exchange_is_on_disk_when_write_exchange_returns(tmp_path: Path) -> None:
    """The capture rows that point into the file are written right after: a crash must not find them ahead."""
    writer = WarcFileWriter(tmp_path, "flush", factory=fixed_ids(), clock=lambda: FIXED, host="h")
    written = writer.write_exchange(exchange(body=b"small"))
    (path,) = tmp_path.glob("*.warc.gz.open")
    on_disk = path.read_bytes()  # another reader: only what was flushed out of the writer's buffer
    end = max(record.offset + record.length for record in written)
    assert len(on_disk) == end
    response, request = members(path)[1:]
    assert b"WARC-Type: response\r\n" in response and b"WARC-Type: request\r\n" in request
    writer.close()


def test_record_ids_are_random_uuid4_urns() -> None:
    from archiver.warc.records import _new_id

    ids = [_new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for record_id in ids[:200]:
        assert record_id.startswith("<urn:uuid:") and record_id.endswith(">")
        parsed = uuid.UUID(record_id[len("<urn:uuid:"):-1])
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == record_id[len("<urn:uuid:"):-1]


def test_sha1_digests_in_base32_as_the_standard_library_writes_them() -> None:
    from archiver.warc.records import sha1_base32

    for n in range(300):
        digest = hashlib.sha1(n.to_bytes(4, "big")).digest()
        assert sha1_base32(digest) == base64.b32encode(digest).decode("ascii")
    assert sha1_base32(b"\x00" * 20) == "A" * 32 and sha1_base32(b"\xff" * 20) == "7" * 32
    assert sha1_base32(b"short") == base64.b32encode(b"short").decode("ascii")  # padded, as b32encode pads


def test_warc_dates_are_utc_with_microseconds() -> None:
    berlin = timezone(timedelta(hours=1))
    assert warc_date(datetime(2026, 11, 27, 4, 9, 52, 331368, tzinfo=berlin)) == "2026-11-27T03:09:52.331368Z"
    assert warc_date(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
