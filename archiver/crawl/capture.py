"""Scrapy extension that archives every HTTP exchange to WARC as it came off the wire.

It listens to ``response_downloaded``, which fires before any downloader middleware has
touched the response: the body is still content-encoded (gzip stays gzip), and redirects,
retries, robots.txt, 404s and images all pass through it.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from ..exceptions import ConfigurationError, WarcError
from ..items import CaptureRef
from ..locations import resolve_db_url, resolve_warc_dir
from ..storage.earlier import EarlierPayloads
from ..storage.repository import CaptureRecord
from ..versions import software_versions
from ..warc.records import RECONSTRUCTED_NOTE, CapturedExchange, RawHeaders, from_epoch_us, sha1_digest, warc_date
from ..warc.service import WRITERS, WarcSink, open_sink
from ..warc.writer import WrittenRecord
from . import signals as archiver_signals
from ._compat import install_wire_hook

logger = logging.getLogger(__name__)
# This run's last payloads, kept for revisit records; earlier runs' are found in the database. The duplicate
# filter makes a second fetch of a URL within one run rare (robots.txt, a REST page read twice), so a short
# memory is enough; a long one was a large share of what a big crawl's memory grew by (docs/benchmarks.md).
SEEN_IN_RUN = 1_000


def warc_writer_kind(settings: Any) -> str:
    """ARCHIVER_WARC_WRITER: "process" (a writer process on another core) unless this is a distributed worker,
    which shares the machine's cores with its siblings and writes "inline" by default."""
    distributed = settings.get("ARCHIVER_DISTRIBUTED_RUN") or settings.get("ARCHIVER_REDIS_URL")
    kind = settings.get("ARCHIVER_WARC_WRITER") or ("inline" if distributed else "process")
    if kind not in WRITERS:
        raise ConfigurationError(f"ARCHIVER_WARC_WRITER must be {' or '.join(WRITERS)}, got {kind!r}")
    return str(kind)


def _raw(headers: Any) -> RawHeaders:
    # Scrapy's Headers is a dict of normalized name -> list of values; its own items() re-normalizes every
    # name through getlist, which the dict's items() gives as they are.
    return list(dict.items(headers))


def _last(headers: Any, normalized_name: bytes) -> str | None:
    """``headers.get(name)`` for a name already as Scrapy's Headers keeps it (``str.title()`` of it)."""
    values = dict.get(headers, normalized_name)
    return values[-1].decode("latin-1") if values else None


class WarcCaptureExtension:
    def __init__(self, writer: WarcSink, crawler: Crawler, max_body_size: int = 0,
                 earlier: Callable[[str], tuple[str, str, str] | None] | None = None,
                 worker: str | None = None) -> None:
        self.writer = writer
        self.worker = worker
        self.crawler = crawler
        self.max_body_size = max_body_size
        self.failed: str | None = None
        # url -> (payload digest, record ID, WARC-Date) of its last full response: an identical payload becomes
        # a revisit record instead of a second copy. This run's responses are remembered (bounded: the
        # duplicate filter makes repeats rare), earlier runs' are looked up in the database when needed.
        self.seen: OrderedDict[str, tuple[str, str, str]] = OrderedDict()
        self.earlier = earlier
        self.in_flight: dict[str, int] = {}  # URLs whose exchange the writer has not answered for yet
        self.answered: list[CaptureRecord] = []  # announced together once the writer call that read them returns

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        settings = crawler.settings
        if not settings.getbool("ARCHIVER_WARC_ENABLED"):
            raise NotConfigured("WARC capture disabled (ARCHIVER_WARC_ENABLED=False)")
        directory = resolve_warc_dir(settings.get("ARCHIVER_WARC_DIR"))
        versions = software_versions()
        fields = {
            "software": " ".join(f"{k}/{v}" for k, v in versions.items()),
            "operator": settings.get("ARCHIVER_WARC_OPERATOR"),
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": settings.get("ARCHIVER_COLLECTION") or "archiver",
            "description": RECONSTRUCTED_NOTE,
        }
        install_wire_hook()
        writer = open_sink(warc_writer_kind(settings), directory, settings.get("ARCHIVER_WARC_PREFIX"),
                           settings.getint("ARCHIVER_WARC_MAX_SIZE"), fields)
        for name in writer.repaired:
            logger.warning("repaired WARC file left open by an earlier run: %s", name)
        earlier = None
        if settings.getbool("ARCHIVER_WARC_REVISITS"):
            earlier = EarlierPayloads(resolve_db_url(settings.get("ARCHIVER_DB_URL")))
        extension = cls(writer, crawler, settings.getint("ARCHIVER_MAX_BODY_SIZE"), earlier,
                        settings.get("ARCHIVER_WORKER_ID") or None)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.article_stored, signal=archiver_signals.article_stored)
        crawler.signals.connect(extension.settle, signal=archiver_signals.settle_captures)
        return extension

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> None:
        """Cut a body at ARCHIVER_MAX_BODY_SIZE but keep what arrived (archived with WARC-Truncated: length)."""
        if not self.max_body_size:
            return
        received = request.meta.get("archiver_bytes", 0) + len(data)
        request.meta["archiver_bytes"] = received
        if received > self.max_body_size:
            request.meta["archiver_truncated"] = "length"
            raise StopDownload(fail=False)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Hand the exchange to the writer as the HTTP client left it: this runs on the crawl's busiest core, so
        decoding headers and building records is left to the writer (in its own process by default)."""
        if self.failed:
            return
        meta = request.meta
        started_us = int((time.time() - float(meta.get("download_latency") or 0.0)) * 1_000_000)
        wire = meta.get("archiver_wire") or {}
        headers = response.headers
        captured = CapturedExchange(
            request.url, request.method, _raw(request.headers), request.body, response.status, _raw(headers),
            wire.get("conn_headers") or [], response.body,
            wire.get("protocol") or getattr(response, "protocol", None) or "HTTP/1.1", wire.get("phrase"),
            str(response.ip_address) if response.ip_address else None, started_us,
            meta.get("archiver_truncated") or _truncation(response))
        # Filled in when the writer answers (CaptureRef says how storage relies on that).
        capture = CaptureRef(status=response.status, truncated=captured.truncated)
        described = (response.status, started_us, _last(headers, b"Content-Type"), _last(headers, b"Etag"),
                     _last(headers, b"Last-Modified"))
        try:
            revisit = self._revisit_candidate(captured)
            self.in_flight[captured.url] = self.in_flight.get(captured.url, 0) + 1
            self.writer.write_exchange(captured, revisit, partial(self._archived, captured.url, capture, described))
        except WarcError as error:
            self._fail(str(error), spider)
            return
        finally:
            self._announce()
        meta["warc_capture"] = capture

    def _archived(self, url: str, capture: CaptureRef,
                  described: tuple[int, int, str | None, str | None, str | None],
                  written: list[WrittenRecord]) -> None:
        """The writer's answer for one exchange: its records are on disk."""
        status, started_us, content_type, etag, last_modified = described
        started = from_epoch_us(started_us)
        remaining = self.in_flight.pop(url) - 1
        if remaining:
            self.in_flight[url] = remaining
        primary = written[0]
        if primary.record_type == "response" and primary.payload_digest:
            self.seen[url] = (primary.payload_digest, primary.record_id, warc_date(started))
            if len(self.seen) > SEEN_IN_RUN:
                self.seen.popitem(last=False)
        capture.warc_file, capture.offset, capture.length = primary.warc_file, primary.offset, primary.length
        capture.payload_digest, capture.record_type = primary.payload_digest, primary.record_type
        capture.fetched_at = started.isoformat()
        capture.record_id = primary.record_id  # last: from here on the capture counts as archived
        self.crawler.stats.inc_value("archiver/warc/records", len(written))  # type: ignore[union-attr]
        self.answered.append(CaptureRecord(
            url=url, status=status, fetched_at=started, warc_file=primary.warc_file,
            warc_offset=primary.offset, warc_length=primary.length, record_id=primary.record_id,
            record_type=primary.record_type, payload_digest=primary.payload_digest,
            content_type=content_type, etag=etag, last_modified=last_modified, worker=self.worker,
        ))

    def _announce(self) -> None:
        """One signal for the capture rows the writer's answers brought (a signal per row was 1 % of a crawl)."""
        if self.answered:
            records, self.answered = self.answered, []
            self.crawler.signals.send_catch_log(archiver_signals.captures_archived, records=records)

    def settle(self) -> None:
        """Wait until the writer has answered for everything handed to it (storage calls this before writing)."""
        if self.failed:
            return
        try:
            self.writer.settle()
        except WarcError as error:
            self._fail(str(error), self.crawler.spider)
        finally:
            self._announce()

    def _revisit_candidate(self, exchange: CapturedExchange) -> tuple[str, str, str] | None:
        if exchange.status != 200 or exchange.truncated:
            return None
        if exchange.url in self.in_flight:
            self.writer.settle()  # the same URL a moment ago: its answer decides whether this is a revisit
        if self.earlier is None and not self.seen:
            return None
        previous = self.seen.get(exchange.url)
        if previous is None and self.earlier is not None:
            previous = self.earlier(exchange.url)
        if previous is None:
            return None
        return previous if sha1_digest(exchange.body) == previous[0] else None

    def article_stored(self, item: Any, article_id: int, version: int, status: str) -> None:
        capture: CaptureRef | None = getattr(item, "capture", None)
        if self.failed or capture is None or capture.record_id is None:
            return
        fields = {"article-id": str(article_id), "version": str(version), "store-status": status,
                  "post-id": str(item.post_id or ""), "title": item.title, "published": item.published or "",
                  "authors": "; ".join(a.name for a in item.authors), "layout": item.layout,
                  "word-count": str(item.word_count)}
        try:
            self.writer.write_metadata(item.fetched_url or item.url, capture.record_id, fields)
        except WarcError as error:
            self._fail(str(error), self.crawler.spider)
        finally:
            self._announce()

    def _fail(self, reason: str, spider: Spider | None) -> None:
        self.failed = reason
        logger.error("WARC capture failed, stopping the crawl: %s", reason)
        self.crawler.stats.set_value("archiver/warc/error", reason)  # type: ignore[union-attr]
        if spider is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_error"))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        close = getattr(self.earlier, "close", None)
        if close is not None:
            close()
        stats = self.crawler.stats
        assert stats is not None
        try:
            summary = self.writer.close()
        except WarcError as error:
            if not self.failed:
                self.failed = str(error)
                logger.error("closing WARC file failed: %s", error)
                stats.set_value("archiver/warc/error", self.failed)
            return
        stats.set_value("archiver/warc/files", len(summary.files_written))
        stats.set_value("archiver/warc/run_records", summary.records_written)  # warcinfo and metadata too
        stats.set_value("archiver/warc/bytes", summary.bytes_written)


def _truncation(response: Response) -> str | None:
    if "dataloss" in response.flags:
        return "disconnect"
    if "download_maxsize" in response.flags:
        return "length"
    return None
