"""The discovery backlog: pages that would each queue hundreds of requests wait until the queue is empty.

The queue is the crawl's memory: it must hold about one listing's or one sitemap's worth of requests, not the
site. A spider marks such pages (the next sitemap, the next REST page) with ``meta["archiver_backlog"]``; this
spider middleware holds them back and hands the next one to the engine whenever it runs out of work. On a shared
(Redis) queue the backlog is the queue itself: there they are queued at once, behind everything else, and
listing pages go first instead of last: the pagination chain can only be walked one page after the other, and
at the end of a fast distributed run it was the slow tail (170 pages one by one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

BACKLOG = "archiver_backlog"
SHARED_QUEUE_BACKLOG_PRIORITY = -100
SHARED_QUEUE_LISTING_PRIORITY = 15  # above articles (0) and below images (20)


class DiscoveryBacklogMiddleware:
    def __init__(self, crawler: Crawler, shared_queue: bool) -> None:
        self.crawler = crawler
        self.shared_queue = shared_queue
        self.held: deque[Request] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryBacklogMiddleware:
        middleware = cls(crawler, bool(crawler.settings.get("ARCHIVER_DISTRIBUTED_RUN")))
        crawler.signals.connect(middleware.release, signal=signals.spider_idle)
        return middleware

    def _keep(self, obj: Any) -> bool:
        """False for a request it holds back (or re-prioritizes, and passes on, on a shared queue)."""
        if not isinstance(obj, Request) or not obj.meta.get(BACKLOG):
            return True
        if self.shared_queue:
            return True
        self.held.append(obj)
        return False

    def _shared(self, obj: Any) -> Any:
        if not self.shared_queue or not isinstance(obj, Request):
            return obj
        if obj.meta.get(BACKLOG):
            return obj.replace(priority=SHARED_QUEUE_BACKLOG_PRIORITY)
        if obj.meta.get("archiver_role") == "listing":
            return obj.replace(priority=SHARED_QUEUE_LISTING_PRIORITY)
        return obj

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            if self._keep(obj):
                yield self._shared(obj)

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        return (self._shared(obj) for obj in result if self._keep(obj))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        async for obj in result:
            if self._keep(obj):
                yield self._shared(obj)

    def release(self, spider: Spider) -> None:
        """The queue is empty: the next held-back page, in the order they were found."""
        if self.held:
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(self.held.popleft())
            raise DontCloseSpider
