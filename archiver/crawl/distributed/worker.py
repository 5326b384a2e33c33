"""Scrapy side of a distributed run: scrapy-redis scheduler and duplicate filter, plus leases and idle close.

Enabled by one setting, ``ARCHIVER_REDIS_URL`` (``archiver crawl --distributed --redis-url``). The add-on
joins (or starts) the run for this spider and site, then points scrapy-redis at the run's keys: a new
run never sees the last run's fingerprints, and every worker started with the same command joins it.

A request popped from the shared queue is leased to this worker (see archiver.distributed.coordinator)
until the engine has handled its response (its new requests are in the shared queue, its items went
through the pipelines) *and* the storage pipeline has committed them; only then is it acknowledged.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro, deferred_to_future
from twisted.internet import task
from twisted.python.failure import Failure

from ...exceptions import ConfigurationError, DistributedError, RunLocked, StorageError
from ...locations import resolve_warc_dir
from ...warc.repair import repair_open_files
from ...warc.writer import safe_name_part
from .. import signals as archiver_signals
from .._compat import engine_in_progress, wake_engine
from ..images import DirectImageFetcher
from ..lock import RunLock
from .coordinator import Coordinator, connect
from .shared_queue import SharedDupeFilter, SharedQueue, SharedScheduler, coordinator_of

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    return safe_name_part(f"{socket.gethostname()}-{os.getpid()}")


class DistributedAddon:
    """Turns a crawl into a worker of a distributed run when ``ARCHIVER_REDIS_URL`` is set."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedAddon:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("ARCHIVER_REDIS_URL")
        if not url:
            return
        spider = self.crawler.spider
        if spider is None:
            raise ConfigurationError("a distributed run needs its spider before the settings are applied")
        worker = safe_name_part(settings.get("ARCHIVER_WORKER_ID") or default_worker_id())
        client = connect(url)
        host = getattr(spider, "host", None) or (getattr(spider, "allowed_domains", None) or ["any"])[0]
        coordinator, started = Coordinator.join(
            client, spider.name, host, worker, settings.getfloat("ARCHIVER_HEARTBEAT_TTL"),
            run_id=settings.get("ARCHIVER_RUN_KEY") or None)
        logger.info("%s distributed run %s as worker %s", "started" if started else "joined",
                    coordinator.keys.run_id, worker)
        self.coordinator: Coordinator | None = coordinator  # coordinator_of(crawler) finds it here
        prefix = settings.get("ARCHIVER_WARC_PREFIX")
        settings.set("ARCHIVER_WORKER_ID", worker, priority="cmdline")
        settings.set("ARCHIVER_WARC_PREFIX", f"{prefix}-{worker}", priority="cmdline")
        settings.set("ARCHIVER_DISTRIBUTED_RUN", coordinator.keys.run_id, priority="cmdline")
        settings.set("REDIS_URL", url, priority="cmdline")
        settings.set("SCHEDULER", f"{SharedScheduler.__module__}.SharedScheduler", priority="cmdline")
        # scrapy-redis' scheduler calls DUPEFILTER_CLASS.from_settings unless the class has from_spider;
        # Scrapy 2.14+ removed from_settings from its own filter, so a Redis one is required, not optional.
        settings.set("DUPEFILTER_CLASS", f"{SharedDupeFilter.__module__}.SharedDupeFilter", priority="cmdline")
        settings.set("SCHEDULER_QUEUE_CLASS", f"{SharedQueue.__module__}.SharedQueue", priority="cmdline")
        settings.set("SCHEDULER_QUEUE_KEY", coordinator.keys.requests, priority="cmdline")
        settings.set("SCHEDULER_DUPEFILTER_KEY", coordinator.keys.dupefilter, priority="cmdline")
        # The shared queue and fingerprints outlive any one worker; the last worker of a run removes them.
        settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
        settings["EXTENSIONS"] = {**settings.getdict("EXTENSIONS"), f"{__name__}.DistributedExtension": 50}
        # Outermost, so that nothing another middleware adds to the start requests escapes it.
        settings["SPIDER_MIDDLEWARES"] = {**settings.getdict("SPIDER_MIDDLEWARES"), f"{__name__}.SeedingMiddleware": 10}


class DistributedExtension:
    """Heartbeat, acknowledgements, reclaiming dead workers' leases, and closing when the whole run is idle."""

    def __init__(self, crawler: Crawler, coordinator: Coordinator, idle_close: float, interval: float,
                 warc_dir: str | None = None, warc_prefix: str = "archiver") -> None:
        self.crawler = crawler
        self.warc_dir = warc_dir
        # Another worker's files are named like ours, with its id: "<base>-<worker>-…".
        self.warc_base_prefix = warc_prefix.removesuffix(f"-{coordinator.worker}")
        self.coordinator = coordinator
        self.idle_close = idle_close
        self.interval = interval
        self.leased: dict[str, Request] = {}
        # The scheduler registers itself: it holds requests leased but not handed to the engine yet, and
        # requests staged for the shared queue.
        self.scheduler: SharedScheduler | None = None
        self.idle_since: float | None = None
        self.finished = False
        self._responses_reported = 0
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedExtension:
        coordinator = coordinator_of(crawler)
        if coordinator is None:
            raise NotConfigured("not a distributed run")
        settings = crawler.settings
        extension = cls(crawler, coordinator, settings.getfloat("ARCHIVER_IDLE_CLOSE"),
                        settings.getfloat("ARCHIVER_DISTRIBUTED_INTERVAL"),
                        resolve_warc_dir(settings.get("ARCHIVER_WARC_DIR")),
                        settings.get("ARCHIVER_WARC_PREFIX"))
        crawler.signals.connect(extension.scheduler_opened, signal=archiver_signals.shared_scheduler_opened)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened_images(self) -> None:
        """An image two workers meet is fetched once in the run (the fetcher asks the run before it fetches)."""
        images = self.crawler.get_extension(DirectImageFetcher)
        if images is not None:
            images.shared = self.coordinator

    def scheduler_opened(self, scheduler: SharedScheduler) -> None:
        self.scheduler = scheduler
        scheduler.extension = self

    def spider_opened(self, spider: Spider) -> None:
        self.spider_opened_images()
        own = self.coordinator.reclaim_own()
        if own:
            logger.warning("re-queued %d requests this worker id held when it was stopped", own)
        self._reclaim()
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.interval, now=True)

    # --- periodic work -------------------------------------------------------------------------------
    def tick(self) -> None:
        try:
            self.acknowledge()
            self._report_responses()
            self.coordinator.beat(self.progress())
            self._reclaim()
            self._wake_engine()
            self._close_when_run_finished()
        except (DistributedError, StorageError, redis.RedisError) as error:
            self._fail(f"{type(error).__name__}: {error}")

    def _fail(self, reason: str) -> None:
        logger.error("distributed coordination failed, stopping this worker: %s", reason)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("archiver/distributed/error", reason)
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="distributed_error"))

    def _reclaim(self) -> None:
        for worker, count in self.coordinator.reclaim_dead().items():
            logger.warning("worker %s stopped answering: %d of its requests went back to the queue", worker, count)
            stats = self.crawler.stats
            assert stats is not None
            stats.inc_value("archiver/distributed/reclaimed", count)
            self._repair_warc_of(worker)

    def _repair_warc_of(self, worker: str) -> None:
        """Close the WARC file a dead worker on this machine left open, if it shared our directory.

        Its run lock (flock) proves it dead: the kernel released it. Without a lock file we cannot
        tell, and leave the file to the worker's own restart (same ``--worker-id``).
        """
        if not self.warc_dir:
            return
        lock = Path(self.warc_dir) / f".archiver-{worker}.lock"
        if not lock.exists():
            return
        try:
            with RunLock(self.warc_dir, f"repair for dead worker {worker}", name=lock.name):
                for name in repair_open_files(Path(self.warc_dir), f"{self.warc_base_prefix}-{worker}"):
                    logger.warning("closed the WARC file dead worker %s left open: %s", worker, name)
        except RunLocked:
            logger.warning("worker %s missed its heartbeat but still holds its lock; its files stay open", worker)

    def acknowledge(self) -> int:
        """Acknowledge every leased request the engine is done with, once its rows are committed."""
        if not self.leased:
            return 0
        busy = engine_in_progress(self.crawler)
        # An article's images are fetched beside the shared queue: its lease waits until they are archived too.
        images = self.crawler.get_extension(DirectImageFetcher)
        done = [token for token, request in self.leased.items()
                if request not in busy and (images is None or not images.busy(token))]
        if not done:
            return 0
        results = self.crawler.signals.send_catch_log(archiver_signals.flush_requested)
        failures = [result for _, result in results if isinstance(result, Failure)]
        if failures:
            raise DistributedError(f"storing before acknowledging failed: {failures[0].getErrorMessage()}")
        self.coordinator.ack(done)
        for token in done:
            del self.leased[token]
        return len(done)

    def _report_responses(self) -> int:
        """Add this worker's responses since the last report to the run's total; returns the total."""
        stats = self.crawler.stats
        assert stats is not None
        responses = int(stats.get_value("downloader/response_count", 0))
        total = self.coordinator.add_responses(responses - self._responses_reported)
        self._responses_reported = responses
        return total

    def _waiting(self) -> int:
        """Requests leased to this worker that its engine has not taken yet."""
        return len(self.scheduler.waiting) if self.scheduler is not None else 0

    def _held(self) -> int:
        """Requests only this worker knows of or holds: staged for the shared queue or waiting for the engine."""
        return len(self.scheduler.staged) + self._waiting() if self.scheduler is not None else 0

    def _wake_engine(self) -> None:
        """An idle engine looks at the scheduler only every 5 s; new work from other workers starts sooner."""
        if not self.leased and (self._held() or self.coordinator.queued()):
            wake_engine(self.crawler)

    def progress(self) -> dict[str, Any]:
        stats = self.crawler.stats
        assert stats is not None
        values = stats.get_stats()
        return {"host": socket.gethostname(), "pid": os.getpid(), "state": "finishing" if self.finished else "crawling",
                "responses": values.get("downloader/response_count", 0),
                "articles": sum(v for k, v in values.items() if k.startswith("archiver/articles/")),
                "warc_records": values.get("archiver/warc/records", 0), "leased": len(self.leased) + self._waiting(),
                "reclaimed": values.get("archiver/distributed/reclaimed", 0)}

    # --- closing -------------------------------------------------------------------------------------
    def spider_idle(self, spider: Spider) -> None:
        """Close only when the whole run has been idle for ARCHIVER_IDLE_CLOSE seconds, not just this worker."""
        self.acknowledge()
        self._reclaim()
        seeding = self.coordinator.seeding_state()
        if seeding.startswith("running:") and self.coordinator.claim_seeding():
            # The worker that seeded died before it finished: seed again (the duplicate filter drops repeats).
            self.coordinator.seeder = True
            logger.warning("the seeding worker died (%s); this worker seeds the run again", seeding)
            deferred_from_coro(self._reseed(spider))
            raise DontCloseSpider
        if not self._run_idle_long_enough(seeding):
            raise DontCloseSpider
        self.finished = True

    def _run_idle_long_enough(self, seeding: str) -> bool:
        """Whether the whole run (queue, every worker's leases, seeding) has been idle ARCHIVER_IDLE_CLOSE s."""
        busy = (self.leased or self._held() or self.coordinator.queued() or self.coordinator.leased_elsewhere()
                or seeding.startswith("running") or seeding == "not started")
        if busy:
            self.idle_since = None
            return False
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since >= self.idle_close

    def _close_when_run_finished(self) -> None:
        """Close from the tick: after DontCloseSpider, Scrapy asks spider_idle again only every 5 s."""
        engine = self.crawler.engine
        if self.finished or engine is None or not engine.spider_is_idle():
            return
        if self._run_idle_long_enough(self.coordinator.seeding_state()):
            self.finished = True
            deferred_from_coro(engine.close_spider_async(reason="finished"))

    async def _reseed(self, spider: Spider) -> None:
        engine = self.crawler.engine
        assert engine is not None
        async for request in spider.seed_requests():  # type: ignore[attr-defined]
            engine.crawl(request)
        seeding_done(self.crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        stats = self.crawler.stats
        assert stats is not None
        try:
            self.acknowledge()
        except DistributedError as error:
            logger.error("%s", error)
        # Requests this worker leased but never finished (closespider, shutdown) go back for the others.
        waiting = self.scheduler.take_back() if self.scheduler is not None else []
        released = self.coordinator.release([*self.leased, *waiting])
        if released:
            logger.warning("gave %d unfinished requests back to the shared queue", released)
            stats.set_value("archiver/distributed/released", released)
        self.leased.clear()
        self._reclaim()
        # A worker that joined when the work was already taken fetched nothing; the run as a whole did.
        stats.set_value("archiver/distributed/run_responses", self._report_responses())
        if self.coordinator.leave(finished=self.finished and reason == "finished"):
            logger.info("last worker of distributed run %s: removed its Redis keys", self.coordinator.keys.run_id)
        stats.set_value("archiver/distributed/run", self.coordinator.keys.run_id)


def share(crawler: Crawler, name: str, value: Any) -> None:
    """Hand a value the seeding worker computed (JSON) to the other workers of the run."""
    coordinator = coordinator_of(crawler)
    if coordinator is not None:
        coordinator.share(name, value)


async def shared(crawler: Crawler, name: str, timeout: float) -> Any:
    """The value the seeding worker shared, waiting for it up to ``timeout`` s; None if it never came."""
    coordinator = coordinator_of(crawler)
    if coordinator is None:
        return None
    from twisted.internet import reactor  # imported late: importing it installs a reactor

    deadline = time.monotonic() + timeout
    while (value := coordinator.shared(name)) is None and time.monotonic() < deadline:
        if coordinator.seeding_state() == "done":
            return coordinator.shared(name)
        await deferred_to_future(task.deferLater(reactor, 0.2, lambda: None))
    return value


def is_seeder(crawler: Crawler) -> bool:
    """Whether this worker seeds the shared queue (always, outside a distributed run); claimed once per crawl."""
    coordinator = coordinator_of(crawler)
    if coordinator is None:
        return True
    if coordinator.seeder is None:
        coordinator.seeder = coordinator.claim_seeding()
    return coordinator.seeder


def seeding_done(crawler: Crawler) -> None:
    """Declare the run seeded, once the seeds are in the shared queue (not only staged in this worker)."""
    coordinator = coordinator_of(crawler)
    if coordinator is None:
        return
    extension = crawler.get_extension(DistributedExtension)
    if extension is not None and extension.scheduler is not None:
        extension.scheduler.send_staged()
    coordinator.seeding_done()


class SeedingMiddleware:
    """Spider middleware: in a distributed run only the worker that claimed the seeding passes the spider's
    start requests on (and declares the run seeded after the last); the others take their work from the queue.
    The spider's ``start`` still runs on every worker, for what it prepares (the REST taxonomies)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedingMiddleware:
        if coordinator_of(crawler) is None:
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        seeder = is_seeder(self.crawler)
        async for request_or_item in start:
            if seeder:
                yield request_or_item
        if seeder:
            seeding_done(self.crawler)
