"""The shared queue and duplicate filter of a distributed run: scrapy-redis' classes with fewer Redis round trips.

Every request a worker's spider yields goes through the duplicate filter, and most are repeats: a listing page
names each teaser twice, every article names others. scrapy-redis answers each with an ``SADD`` on the run's
fingerprint set (a round trip, and a canonicalised URL hashed on the way): 2.8 per response in a profiled
3,000-article run, the largest share of a worker's Redis time. ``SharedDupeFilter`` asks Redis once per
request this worker has not met before and remembers the answer: a fingerprint in the run's set stays there
until the run ends, so "seen" is never stale. Other workers' requests are still found through Redis.

``SharedScheduler`` asks that question and pushes a new request in one step (``Coordinator.push_if_new``, one
Lua script): one round trip instead of scrapy-redis' ``SADD`` then ``ZADD``, and no worker can die between
the two and leave a fingerprint whose request is never fetched.

``LeasingQueue`` leases ``ARCHIVER_LEASE_BATCH`` requests per round trip (default 8) and hands them to the
engine one at a time; each is acknowledged only once the engine is done with it, and the ones still waiting
here go back to the shared queue when the worker stops (or are reclaimed with its other leases if it dies).
It encodes requests without Scrapy's method search (``inspect.getmembers`` over the whole spider for each
callback and errback of each request pushed, 3 % of a worker's profile).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from ..distributed.coordinator import Coordinator
from ..exceptions import DistributedError
from .dupefilter import FingerprintSet


def coordinator_of(crawler: Crawler) -> Coordinator | None:
    """The run this crawler works for (set by the distributed add-on), or None."""
    return getattr(crawler, "archiver_coordinator", None)


def local_key(request: Request) -> bytes:
    """Identical requests as yielded (method, URL, body): cheaper than their canonical fingerprint."""
    digest = hashlib.sha1(request.method.encode())
    digest.update(b" ")
    digest.update(request.url.encode())
    digest.update(b" ")
    digest.update(request.body)
    return digest.digest()


class SharedDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis' filter over the run's fingerprint set, asked once per request this worker has not met.

    Decisions are scrapy-redis' own: a request met before (same method, URL and body) was then either added to
    the run's set or found in it, and fingerprints leave the set only with the run. About 16 bytes per distinct
    request in this worker (``FingerprintSet``).
    """

    def __init__(self, server: Any, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self.known = FingerprintSet()
        self.answered_locally = 0

    def request_seen(self, request: Request) -> bool:
        key = local_key(request)
        if self.met_before(key):
            return True
        seen: bool = super().request_seen(request)
        self.known.add(key)
        return seen

    def met_before(self, key: bytes) -> bool:
        """Whether this worker has met the request with this ``local_key`` (then it is in the run's set)."""
        if key in self.known:
            self.answered_locally += 1
            return True
        return False


class SharedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis' scheduler whose duplicate check and push of a new request are one Redis step."""

    df: SharedDupeFilter
    queue: LeasingQueue

    def enqueue_request(self, request: Request) -> bool:
        if request.dont_filter:
            return bool(super().enqueue_request(request))
        key = local_key(request)
        if self.df.met_before(key):
            self.df.log(request, self.spider)
            return False
        added = self.queue.push_if_new(request, self.df.request_fingerprint(request))
        self.df.known.add(key)
        if not added:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True


class LeasingQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis' priority queue whose pop leases requests to this worker, several per round trip."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        crawler = getattr(spider, "crawler", None)
        # Built by scrapy-redis' scheduler with these four values only: the batch size comes from the crawler.
        self.batch = crawler.settings.getint("ARCHIVER_LEASE_BATCH", 8) if crawler is not None else 8
        if self.batch < 1:
            raise DistributedError(f"ARCHIVER_LEASE_BATCH must be at least 1, got {self.batch}")
        self.waiting: deque[tuple[str, bytes]] = deque()
        extension = getattr(crawler, "archiver_distributed", None)
        if extension is not None:
            extension.queue = self

    def __len__(self) -> int:
        return int(super().__len__()) + len(self.waiting)

    def _coordinator(self) -> Coordinator:
        coordinator = coordinator_of(self.spider.crawler)
        if coordinator is None:
            raise DistributedError("LeasingQueue needs the distributed add-on (ARCHIVER_REDIS_URL)")
        return coordinator

    def push_if_new(self, request: Request, fingerprint: str) -> bool:
        """Queue the request unless the run has its fingerprint; False if it had."""
        return self._coordinator().push_if_new(fingerprint, -request.priority, self._encode_request(request))

    def take_back(self) -> list[str]:
        """Lease tokens of the requests leased but not yet handed to the engine; forgets them here."""
        tokens = [token for token, _ in self.waiting]
        self.waiting.clear()
        return tokens

    def _encode_request(self, request: Request) -> bytes:
        callback, errback = request.callback, request.errback
        # Names instead of bound methods, so that Request.to_dict does not search the spider for them; put back
        # at once (the request object is the engine's).
        request.callback, request.errback = self._method_name(callback), self._method_name(errback)
        try:
            encoded: bytes = self.serializer.dumps(request.to_dict(spider=self.spider))
        finally:
            request.callback, request.errback = callback, errback
        return encoded

    def _method_name(self, function: Callable[..., Any] | str | None) -> Any:
        """The spider's method name for a bound method of the spider; anything else as it is (Scrapy decides)."""
        name = getattr(function, "__name__", None)
        if not isinstance(name, str) or getattr(function, "__self__", None) is not self.spider:
            return function
        same = getattr(getattr(self.spider, name, None), "__func__", None) is getattr(function, "__func__", None)
        return name if same else function

    def pop(self, timeout: int = 0) -> Request | None:
        if not self.waiting:
            self.waiting.extend(self._coordinator().pop_many(self.batch))
            if not self.waiting:
                return None
        token, data = self.waiting.popleft()
        request = request_from_dict(self.serializer.loads(data), spider=self.spider)
        request.meta["archiver_lease"] = token
        # Only now does the extension track it: a lease it tracks is acknowledged once the engine no longer
        # holds the request, which a request still waiting here would pass at once.
        extension = getattr(self.spider.crawler, "archiver_distributed", None)
        if extension is not None:
            extension.leased[token] = request
        return request
