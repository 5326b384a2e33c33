"""Images fetched through the downloader alone, not through the scheduler and the spider.

An image is archived and nothing is read from it, yet as an ordinary request it paid for the whole of Scrapy's
request/response cycle: the spider middlewares' input, the scheduler (in a distributed run: encoded, sent to
Redis, leased back, decoded), the engine's scheduling loop, the scraper and a callback that returns nothing.
Images are most of a crawl's responses. ``DirectImageMiddleware`` takes the image requests the crawl policy let
through out of the spider's output and hands them to ``DirectImageFetcher``, which fetches each with
``ExecutionEngine.download_async``: the downloader middlewares still apply (robots.txt, unsafe targets, offsite,
retries, Retry-After, redirects), the downloader's per-domain slots still pace them (concurrency per domain,
``DOWNLOAD_DELAY``, AutoThrottle), and ``response_downloaded`` still hands each exchange, as it came off the wire,
to the WARC capture. What the crawl policy decides about images (resume, images only from new or changed articles
in an update) happens before, in ``ArchivePolicyMiddleware``.

The scheduler's duplicate filter no longer sees images; the fetcher keeps its own. In a distributed run the image
requests are not shared: the worker that parsed the article fetches its images, and its lease on the article is
acknowledged only once they are archived (``busy``), so a worker that dies leaves the article, and with it its
images, to another. An image two workers meet is fetched once in the run: the worker claims it in the run's
``SharedImages`` (Redis) first, and a claim of a worker that died unfinished may be taken over.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from .dupefilter import FingerprintSet

logger = logging.getLogger(__name__)
LEASE = "archiver_lease"  # meta key of a distributed worker's lease token (archiver.crawl.distributed)
# The spider's role for a request (policy.ROLE; not imported: the policy's imports reach the distributed worker,
# which imports this module).
ROLE = "archiver_role"


def image_key(request: Request) -> bytes:
    """Identical image requests (method and URL): images are fetched with GET and no body."""
    return hashlib.sha1(f"{request.method} {request.url}".encode()).digest()


class SharedImages(Protocol):
    """The images of a whole distributed run (archiver.crawl.distributed.coordinator)."""

    def claim_image(self, key: bytes) -> bool:
        """True when this worker is to fetch the image: no live worker has it, and it is not archived yet."""

    def image_done(self, key: bytes) -> None:
        """The image's exchange is archived (or failed for good): nobody fetches it again in this run."""


class DirectImageFetcher:
    """Extension: fetches image requests with the downloader alone and knows which leases still wait on one."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen = FingerprintSet()
        self.shared: SharedImages | None = None  # set by a distributed worker
        self.pending: Counter[str] = Counter()  # lease token of the article -> its images not yet archived

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DirectImageFetcher:
        return cls(crawler)

    def busy(self, lease: str) -> bool:
        """Whether an image found in the response of this leased request is still being fetched."""
        return lease in self.pending

    def fetch(self, request: Request, found_in: Response | None) -> None:
        """Start fetching ``request`` (an image found in ``found_in``) unless this crawl already fetches it."""
        stats = self.crawler.stats
        assert stats is not None
        if not request.dont_filter:
            key = image_key(request)
            if key in self.seen or (self.shared is not None and not self.shared.claim_image(key)):
                stats.inc_value("archiver/images/duplicates")
                return
            self.seen.add(key)
        lease = found_in.meta.get(LEASE) if found_in is not None else None
        if lease is not None:
            self.pending[lease] += 1
        stats.inc_value("archiver/images/direct")
        # Started now: the request joins the downloader's active set before the callback's output is done, so
        # neither the engine nor a distributed worker sees the crawl idle in between.
        deferred_from_coro(self._download(request, lease))

    async def _download(self, request: Request, lease: str | None) -> None:
        try:
            await self._fetch(request, lease)
        finally:
            if self.shared is not None and not request.dont_filter:
                self.shared.image_done(image_key(request))

    async def _fetch(self, request: Request, lease: str | None) -> None:
        engine = self.crawler.engine
        assert engine is not None
        try:
            await engine.download_async(request)
        except IgnoreRequest as refused:  # robots.txt, an unsafe or offsite target: the middleware counted it
            logger.debug("image not fetched: %s (%s)", request.url, refused)
        except Exception as error:
            # As Scrapy does for a request's failed download: logged, counted by the downloader's stats (which the
            # quality gates read), and the crawl goes on.
            self.crawler.stats.inc_value("archiver/images/failed")  # type: ignore[union-attr]
            logger.warning("image download failed: %s: %s", request.url, error)
        finally:
            if lease is not None:
                self.pending[lease] -= 1
                if not self.pending[lease]:
                    del self.pending[lease]


class DirectImageMiddleware:
    """Spider middleware, after the crawl policy: image requests go to ``DirectImageFetcher``, the rest on."""

    def __init__(self, fetcher: DirectImageFetcher) -> None:
        self.fetcher = fetcher

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DirectImageMiddleware:
        fetcher = crawler.get_extension(DirectImageFetcher)
        assert fetcher is not None, "DirectImageFetcher is one of the archiver's EXTENSIONS"
        return cls(fetcher)

    def _passes(self, obj: Any, response: Response | None) -> bool:
        if isinstance(obj, Request) and obj.meta.get(ROLE) == "image":
            self.fetcher.fetch(obj, response)
            return False
        return True

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            if self._passes(obj, None):
                yield obj

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        return (obj for obj in result if self._passes(obj, response))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        async for obj in result:
            if self._passes(obj, response):
                yield obj
