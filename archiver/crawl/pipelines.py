"""Item pipeline that writes articles, captures, failures and the run record to the database.

Captures are buffered as the WARC extension announces them and written before the articles
that point to them, in batches; the database is never ahead of the WARC files because an
item only exists once its response record has been written and flushed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from ..exceptions import ArchiverError, DatabaseUnavailable, RunLocked, StorageError
from ..items import FILLED_FIELDS, ArticleItem, ExtractionFailure, NotModified, Removed, archived
from ..locations import resolve_db_url
from ..storage.db import ensure_schema, make_engine
from ..storage.lock import reassert_lock
from ..storage.repository import ArchiveStore, CaptureRecord, StoreResult
from ..storage.transactions import retry_while_disconnected
from ..storage.versions import parse_iso
from ..versions import software_versions
from . import signals as archiver_signals
from .stats import finish_reason

logger = logging.getLogger(__name__)

T = TypeVar("T")


def count_filled(stats: Any, item: ArticleItem) -> None:
    """This run's fill counts (stats ``archiver/fill/…``): articles per layout, and per field those that have it."""
    stats.inc_value("archiver/fill/articles")
    stats.inc_value(f"archiver/fill/layout/{item.layout}/articles")
    filled = item.filled()
    for name in FILLED_FIELDS:
        if name in filled:
            stats.inc_value(f"archiver/fill/{name}")
        else:
            stats.inc_value(f"archiver/fill/layout/{item.layout}/missing/{name}")


class StoragePipeline:
    def __init__(self, db_url: str, batch_size: int, mode: str, crawler: Crawler, worker: str | None = None,
                 distributed: bool = False, retry_seconds: float = 0.0) -> None:
        self.db_url = db_url
        self.retry_seconds = retry_seconds
        self.batch_size = batch_size
        self.mode = mode
        self.crawler = crawler
        self.store: ArchiveStore | None = None
        self.run_id: int | None = None
        self.pending_articles: list[ArticleItem] = []
        self.pending_captures: list[CaptureRecord] = []
        self.pending_seen: list[str] = []
        self.pending_removed: list[Removed] = []  # articles taken down
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.failed: str | None = None  # the database took no writes: nothing more is stored this run
        self.distributed = distributed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        pipeline = cls(resolve_db_url(settings.get("ARCHIVER_DB_URL")), settings.getint("ARCHIVER_DB_BATCH_SIZE"),
                       settings.get("ARCHIVER_RUN_MODE"), crawler,
                       settings.get("ARCHIVER_WORKER_ID") or os.environ.get("ARCHIVER_WORKER_ID"),
                       bool(settings.get("ARCHIVER_DISTRIBUTED_RUN")), settings.getfloat("ARCHIVER_DB_RETRY_SECONDS"))
        crawler.signals.connect(pipeline.captures_archived, signal=archiver_signals.captures_archived)
        crawler.signals.connect(pipeline.flush, signal=archiver_signals.flush_requested)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        ensure_schema(self.db_url)
        engine = make_engine(self.db_url)
        self.store = ArchiveStore(engine)
        name = self.crawler.spider.name if self.crawler.spider else "unknown"
        self.mode = getattr(self.crawler.spider, "mode", None) or self.mode  # `scrapy crawl X -a mode=update`
        self.run_id = self.store.start_run(name, self.mode, dict(software_versions()), self.worker)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("archiver/run_id", self.run_id)
        # Other workers of a distributed run have unfinished runs too, and they are alive.
        resumed = 0 if self.distributed else self.store.close_interrupted_runs(self.run_id)
        if resumed:
            logger.warning("resuming after %d interrupted run(s)", resumed)
            stats.set_value("archiver/resumed_runs", resumed)
        stats.set_value("archiver/run_mode", self.mode)

    def captures_archived(self, records: list[CaptureRecord]) -> None:
        if self.failed:
            return
        self.pending_captures += records
        if len(self.pending_captures) >= self.batch_size * 4:
            self._guarded(self._flush_captures)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.failed:
            return item  # archived in the WARC files; the next run (or `archiver reparse`) stores it
        if isinstance(item, ArticleItem):
            self.pending_articles.append(item)
            if len(self.pending_articles) >= self.batch_size:
                self._guarded(self.flush)
        elif isinstance(item, NotModified):
            self.pending_seen.append(item.url)
        elif isinstance(item, Removed):
            self.pending_removed.append(item)
        elif isinstance(item, ExtractionFailure):
            self._guarded(lambda: self._record_failure(item))
        return item

    def _record_failure(self, item: ExtractionFailure) -> None:
        self._settle_captures()
        self._flush_captures()
        if not archived(item.capture):
            return
        assert self.store is not None
        self._write(partial(self.store.record_failure, item, self.run_id))

    def _settle_captures(self) -> None:
        """Every exchange handed to the WARC writer is on disk and its capture row is in pending_captures."""
        self.crawler.signals.send_catch_log(archiver_signals.settle_captures)

    def _guarded(self, write: Any) -> None:
        """Run a database write; a database that takes no writes stops the crawl with ``storage_error``, as does
        another run that took the database lock while the server restarted."""
        try:
            write()
        except (DatabaseUnavailable, RunLocked) as error:
            self._stop(error)

    def _write(self, write: Callable[[], T]) -> T:
        """One database write (one transaction), repeated while the server restarts, for ARCHIVER_DB_RETRY_SECONDS.

        A restart ends the session that held the run's database lock: it is taken again before the first write
        that follows, so no write happens without it.
        """
        return retry_while_disconnected(write, self.retry_seconds, before_retry=lambda: reassert_lock(self.db_url))

    def _stop(self, error: ArchiverError) -> None:
        if self.failed:
            return
        self.failed = str(error)
        self.pending_articles, self.pending_captures, self.pending_seen, self.pending_removed = [], [], [], []
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("archiver/storage/error", self.failed)
        logger.error("the database takes no more writes, stopping the crawl: %s", error)
        if self.crawler.engine is not None and self.crawler.spider is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))

    def _flush_captures(self) -> None:
        if self.pending_captures and self.store is not None:
            records, self.pending_captures = self.pending_captures, []
            self._write(partial(self.store.record_captures, records, self.run_id))

    def flush(self) -> None:
        self._settle_captures()
        if self.pending_seen and self.store is not None:
            seen, self.pending_seen = self.pending_seen, []
            self._write(partial(self.store.mark_seen, seen))
        stats = self.crawler.stats
        assert stats is not None
        if self.pending_removed and self.store is not None:
            # Settled above: each capture names when its answer came, the removal's time.
            removed = [(item.url, item.status, parse_iso(item.capture.fetched_at if item.capture else None))
                       for item in self.pending_removed]
            self.pending_removed = []
            stats.inc_value("archiver/articles/removed", self._write(partial(self.store.mark_removed, removed)))
        items, self.pending_articles = self.pending_articles, []
        unarchived = sum(not archived(item.capture) for item in items)
        if unarchived:  # the WARC writer failed before their records were on disk: they are not stored
            stats.inc_value("archiver/storage/unarchived_articles", unarchived)
            items = [item for item in items if archived(item.capture)]
        if not items or self.store is None:
            self._flush_captures()
            return
        # The capture rows go in the articles' transaction: a commit of their own cost as much as inserting them.
        captures, self.pending_captures, store = self.pending_captures, [], self.store
        try:
            results = self._write(partial(store.store_articles, items, captures, self.run_id))
            stored: list[tuple[ArticleItem, StoreResult]] = list(zip(items, results, strict=True))
        except DatabaseUnavailable:
            raise  # no article of the batch would fare better alone
        except StorageError as batch_error:
            logger.warning("storing a batch failed (%s); storing its articles one by one", batch_error)
            self._write(partial(store.record_captures, captures, self.run_id))
            stored = []
            for item in items:
                try:
                    stored.append((item, self._write(partial(store.store_article, item))))
                except DatabaseUnavailable:
                    raise
                except StorageError as error:
                    # One article the database refuses must not take the rest of the batch with it.
                    stats.inc_value("archiver/storage/failed_articles")
                    failure = ExtractionFailure(item.fetched_url or item.url, f"storage: {error}", item.layout,
                                                item.capture)
                    self._write(partial(store.record_failure, failure, self.run_id))
        for item, result in stored:
            stats.inc_value(f"archiver/articles/{result.status}")
            if result.status in ("new", "changed", "restored"):  # every new version
                count_filled(stats, item)
            self.crawler.signals.send_catch_log(archiver_signals.article_stored, item=item,
                                                article_id=result.article_id, version=result.version,
                                                status=result.status)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.store is None or self.failed:
            return
        try:
            self.flush()
        except (StorageError, RunLocked) as error:
            self._stop(error)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Runs after the pipelines and the WARC writer have closed: the run record gets final figures."""
        if self.store is None or self.run_id is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        reason = finish_reason(stats.get_stats(), reason)
        try:
            self._write(partial(self.store.finish_run, self.run_id, reason, dict(stats.get_stats())))
        except (StorageError, RunLocked) as error:  # finished_at stays NULL: the next run treats it as interrupted
            logger.error("could not record the end of the run: %s", error)
        self.store.engine.dispose()
