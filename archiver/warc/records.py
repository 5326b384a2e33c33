"""Building WARC/1.1 records for one HTTP exchange with warcio (no crawler imports).

The response block is the HTTP message as received: the real status and protocol, every
header in order with repeats kept, and the body still content-encoded. Where the crawler's
HTTP client has already undone the transfer encoding, the original header is kept under an
``X-Crawler-`` name (as Common Crawl does) so that no reader decodes twice.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

Headers = list[tuple[str, str]]
RawHeaders = list[tuple[bytes, list[bytes]]]  # the HTTP client's: a name and its values, repeats kept
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
RECONSTRUCTED_NOTE = (
    "Response status lines, reason phrases and connection headers are as received; bodies keep their "
    "Content-Encoding; a chunked body is stored de-chunked with Transfer-Encoding renamed "
    "X-Crawler-Transfer-Encoding and a Content-Length added; request records hold the headers the crawler "
    "sent, with the Host header the HTTP client adds itself."
)
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


@dataclass
class Exchange:
    """One HTTP request and its response, as the crawler saw them."""

    url: str
    method: str
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    body: bytes  # transfer-decoded, still content-encoded
    protocol: str = "HTTP/1.1"
    reason: str | None = None
    ip_address: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    truncated: str | None = None  # "length" | "time" | "disconnect" | "unspecified"
    dechunked: bool = False


class CapturedExchange(NamedTuple):
    """An exchange as the crawler hands it to the writer, nothing decoded yet: headers are the HTTP client's
    bytes, the start is epoch microseconds. Turning it into an ``Exchange`` is the writer's work, done in the
    writer's own process where there is one, off the crawler's core (the crawl's bottleneck)."""

    url: str
    method: str
    request_headers: RawHeaders  # as sent, without the Host header the HTTP client adds itself
    request_body: bytes
    status: int
    response_headers: RawHeaders
    connection_headers: RawHeaders  # Content-Length, Transfer-Encoding, Connection, which the client keeps apart
    body: bytes
    protocol: str
    reason: str | None
    ip_address: str | None
    started_us: int
    truncated: str | None

    def decoded(self) -> Exchange:
        response_headers = _decoded(self.response_headers) + _decoded(self.connection_headers)
        dechunked = any(name.lower() == "transfer-encoding" and "chunked" in value.lower()
                        for name, value in response_headers)
        return Exchange(url=self.url, method=self.method,
                        request_headers=[("Host", urlsplit(self.url).netloc), *_decoded(self.request_headers)],
                        request_body=self.request_body, status=self.status, response_headers=response_headers,
                        body=self.body, protocol=self.protocol, reason=self.reason, ip_address=self.ip_address,
                        started_at=from_epoch_us(self.started_us), truncated=self.truncated,
                        dechunked=dechunked)


def epoch_us(moment: datetime) -> int:
    """Integer microseconds since the epoch: how exchanges carry their time across the writer's pipe (an aware
    datetime pickles several times slower)."""
    return (moment - EPOCH) // MICROSECOND


def from_epoch_us(microseconds: int) -> datetime:
    return EPOCH + timedelta(microseconds=microseconds)


def _decoded(headers: RawHeaders) -> Headers:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers for value in values]


# A URL warc_uri would return unchanged: lower-case scheme and host, a port without a leading zero, no user info,
# fragment or empty query, and only characters quote() keeps in the path and query. Most crawled URLs are; the
# general path (IDNA, quoting) is costly and runs two or three times per response.
_PLAIN_URI_RE = re.compile(r"https?://[a-z0-9.-]+(?::(?P<port>[1-9][0-9]{0,4}))?(?:/[A-Za-z0-9_.~/%:@!$&'()*+,;=-]*)?"
                           r"(?:\?[A-Za-z0-9_.~/%:@!$&'()*+,;=?-]+)?")
MAX_PORT = 65535


def warc_uri(url: str) -> str:
    """Percent-encode a URL for ``WARC-Target-URI`` (no spaces, no raw non-ASCII, no angle brackets)."""
    plain = _PLAIN_URI_RE.fullmatch(url)
    if plain is not None and int(plain["port"] or 0) <= MAX_PORT:
        return url
    return _quoted_uri(url)


def _quoted_uri(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    safe = "/%:@!$&'()*+,;=-._~"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=safe), quote(parts.query, safe=safe + "?"),
                       ""))


def warc_date(moment: datetime) -> str:
    """``2026-11-27T03:09:52.331368Z``: ISO 8601 in UTC with microseconds (``isoformat`` is faster than
    ``strftime``, and every record has a date)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def response_headers_as_stored(exchange: Exchange) -> Headers:
    headers: Headers = []
    has_length = any(name.lower() == "content-length" for name, _ in exchange.response_headers)
    for name, value in exchange.response_headers:
        if name.lower() == "transfer-encoding" and exchange.dechunked:
            headers.append((f"X-Crawler-{name}", value))
        else:
            headers.append((name, value))
    if exchange.dechunked and not has_length:
        headers.append(("Content-Length", str(len(exchange.body))))
    return headers


def request_line(exchange: Exchange, uri: str) -> str:
    """The request's first line; ``uri`` is the exchange's URL as ``warc_uri`` gives it."""
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{exchange.method} {target} {exchange.protocol}"


class RecordFactory:
    """Serializes records to uncompressed bytes; the file layer compresses one gzip member each."""

    def __init__(self, make_id: Callable[[], str] | None = None) -> None:
        self.make_id = make_id or _new_id

    def _serialize(self, record: Any) -> bytes:
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
        return buffer.getvalue()

    def _writer(self) -> WARCWriter:
        return WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")

    def warcinfo(self, filename: str, fields: dict[str, str], date: datetime) -> tuple[str, bytes]:
        record_id = self.make_id()
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v).encode("utf-8")
        headers = {"WARC-Record-ID": record_id, "WARC-Date": warc_date(date), "WARC-Filename": filename,
                   "Content-Type": "application/warc-fields"}
        record = self._writer().create_warc_record("", "warcinfo", payload=io.BytesIO(payload),
                                                   length=len(payload), warc_headers_dict=headers)
        return record_id, self._serialize(record)

    def exchange(self, exchange: Exchange, warcinfo_id: str | None,
                 revisit_of: tuple[str, str, str] | None = None) -> list[tuple[str, str, bytes, str | None]]:
        """(record id, type, bytes, payload digest) for the response (or revisit) then the request."""
        uri = warc_uri(exchange.url)
        date = warc_date(exchange.started_at)
        reason = exchange.reason or _reason(exchange.status)
        response_id = self.make_id()
        common = {"WARC-Date": date}
        if warcinfo_id:
            common["WARC-Warcinfo-ID"] = warcinfo_id
        response_headers = common | {"WARC-Record-ID": response_id}
        if exchange.ip_address:
            response_headers["WARC-IP-Address"] = exchange.ip_address
        if exchange.truncated:
            response_headers["WARC-Truncated"] = exchange.truncated
        if revisit_of is not None or exchange.status == 304:
            http = StatusAndHeaders(f"{exchange.status} {reason}".strip(), response_headers_as_stored(exchange),
                                    protocol=exchange.protocol)
            record = self._revisit(self._writer(), uri, http, response_headers, exchange, revisit_of)
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            records = [(response_id, record.rec_type, self._serialize(record), digest)]
        else:
            # The hot path of every crawl, serialized directly: warcio's record objects cost several times
            # more than the digests and the compression together. The layout is warcio's, byte for byte
            # (tests/test_warc_writer.py holds golden records and compares every record type with warcio's).
            head = f"{exchange.protocol} {exchange.status} {reason}".rstrip() + "\r\n"
            block_head = (head + "".join(f"{k}: {v}\r\n" for k, v in response_headers_as_stored(exchange))
                          + "\r\n").encode("latin-1", "replace")
            digest = sha1_digest(exchange.body)
            records = [(response_id, "response", _record(
                [*response_headers.items(), ("WARC-Type", "response"), ("WARC-Target-URI", uri),
                 ("WARC-Payload-Digest", digest)], "application/http; msgtype=response", block_head,
                exchange.body), digest)]
        request_id = self.make_id()
        request_head = (request_line(exchange, uri) + "\r\n"
                        + "".join(f"{k}: {v}\r\n" for k, v in exchange.request_headers) + "\r\n"
                        ).encode("latin-1", "replace")
        records.append((request_id, "request", _record(
            [*common.items(), ("WARC-Record-ID", request_id), ("WARC-Concurrent-To", response_id),
             ("WARC-Type", "request"), ("WARC-Target-URI", uri),
             ("WARC-Payload-Digest", sha1_digest(exchange.request_body))],
            "application/http; msgtype=request", request_head, exchange.request_body), None))
        return records

    def _revisit(self, writer: WARCWriter, uri: str, http: StatusAndHeaders, headers: dict[str, str],
                 exchange: Exchange, revisit_of: tuple[str, str, str] | None) -> Any:
        if revisit_of is None:  # 304 Not Modified from a conditional request
            headers = headers | {"WARC-Profile": NOT_MODIFIED_PROFILE}
            record = writer.create_warc_record(uri, "revisit", http_headers=http, warc_headers_dict=headers)
            return record
        digest, refers_to_id, refers_to_date = revisit_of
        headers = headers | {"WARC-Profile": REVISIT_PROFILE, "WARC-Refers-To": refers_to_id,
                             "WARC-Refers-To-Target-URI": uri, "WARC-Refers-To-Date": refers_to_date,
                             "WARC-Payload-Digest": digest}
        return writer.create_warc_record(uri, "revisit", http_headers=http, warc_headers_dict=headers)

    def metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, str], date: datetime,
                 warcinfo_id: str | None) -> tuple[str, bytes]:
        """The metadata record beside an article's response: what was extracted from it.

        Written once per stored article, so serialized directly like the response record; the
        layout is warcio's, byte for byte (tests/test_warc_writer.py compares the two).
        """
        record_id = self.make_id()
        payload = "".join(f"{k}: {' '.join(v.split())}\r\n" for k, v in fields.items() if v).encode("utf-8")
        digest = sha1_digest(payload)
        lines = ["WARC/1.1", f"WARC-Record-ID: {record_id}", f"WARC-Date: {warc_date(date)}",
                 f"WARC-Concurrent-To: {concurrent_to}", "Content-Type: application/warc-fields"]
        if warcinfo_id:
            lines.append(f"WARC-Warcinfo-ID: {warcinfo_id}")
        lines += ["WARC-Type: metadata", f"WARC-Target-URI: {warc_uri(target_uri)}", f"WARC-Payload-Digest: {digest}",
                  f"WARC-Block-Digest: {digest}", f"Content-Length: {len(payload)}"]
        return record_id, ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + payload + b"\r\n\r\n"


def sha1_digest(data: bytes) -> str:
    """``sha1:<base32>``, as WARC-Payload-Digest and WARC-Block-Digest write it."""
    if not data:
        return EMPTY_DIGEST  # every GET request record's payload
    return "sha1:" + sha1_base32(hashlib.sha1(data).digest())


# Base32 of a SHA-1 digest (160 bits: 32 characters, no padding) ten bits at a time. base64.b32encode is pure
# Python before 3.13 and slower; a crawl encodes three or four digests per response.
_BASE32_PAIRS = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
_SHIFTS = tuple(range(150, -1, -10))


def sha1_base32(digest: bytes) -> str:
    """``base64.b32encode(digest).decode()`` for a 20-byte digest."""
    if len(digest) != 20:
        return base64.b32encode(digest).decode("ascii")
    number = int.from_bytes(digest, "big")
    return "".join([_BASE32_PAIRS[(number >> shift) & 1023] for shift in _SHIFTS])


EMPTY_DIGEST = "sha1:" + sha1_base32(hashlib.sha1(b"").digest())


def _record(headers: list[tuple[str, str]], content_type: str, block_head: bytes, payload: bytes) -> bytes:
    """A WARC/1.1 record: headers, block digest, content type and length, block, two CRLFs."""
    block_digest = hashlib.sha1(block_head)
    block_digest.update(payload)
    lines = ["WARC/1.1", *(f"{k}: {v}" for k, v in headers),
             "WARC-Block-Digest: sha1:" + sha1_base32(block_digest.digest()),
             f"Content-Type: {content_type}", f"Content-Length: {len(block_head) + len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block_head + payload + b"\r\n\r\n"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _new_id() -> str:
    """``f"<urn:uuid:{uuid.uuid4()}>"`` without building a UUID object (three per stored article)."""
    random = bytearray(os.urandom(16))
    random[6] = (random[6] & 0x0F) | 0x40  # version 4
    random[8] = (random[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = random.hex()
    return f"<urn:uuid:{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}>"
