"""The WARC writer: byte-exact records (warcio-style golden test), rotation, crash repair, verifier."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.warcwriter import WARCWriter

from archiver.warc.records import Exchange, RecordFactory, _quoted_uri, warc_date, warc_uri
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
