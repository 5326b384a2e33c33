"""The shared queue and duplicate filter of a distributed run: scrapy-redis' classes with fewer Redis round trips.

Every request a worker's spider yields goes through the duplicate filter, and most are repeats: a listing page
names each teaser twice, every article names others. scrapy-redis answers each with an ``SADD`` on the run's
fingerprint set (a round trip, and a canonicalised URL hashed on the way): 2.8 per response in a profiled
3,000-article run, the largest share of a worker's Redis time. ``SharedDupeFilter`` asks Redis once per
request this worker has not met before and remembers the answer: a fingerprint in the run's set stays there
until the run ends, so "seen" is never stale. Other workers' requests are still found through Redis.

``SharedScheduler`` does not ask at once. It stages the requests this worker has not met and sends them with
its next lease request, in one Lua script (``Coordinator.exchange``): each staged request is added to the
queue if its fingerprint was new to the run (check and push in one step: no worker can die between the two
and leave a link marked seen that nobody fetches), then the ``ARCHIVER_LEASE_BATCH`` best requests (8) are
leased to this worker. One round trip per eight responses instead of scrapy-redis' three per response.
Staged requests are sent before anything they came from is acknowledged (``flush_requested``), before
seeding is declared done, and when the scheduler closes; a worker that dies with requests staged loses
nothing, because the response they came from is still leased and is fetched again by another worker.
What changes for Scrapy: ``enqueue_request`` answers True for a request this worker has not met even when
another worker has already queued it (the engine then sends ``request_scheduled`` without
``request_dropped``); the run's queue and fingerprints are what scrapy-redis would hold.

Leased requests wait in the scheduler until the engine takes them; each is acknowledged only once the engine is
done with it, and the ones still waiting go back to the shared queue when the worker stops (or are reclaimed
with its other leases if it dies). ``SharedQueue`` encodes requests without Scrapy's method search
(``inspect.getmembers`` over the whole spider for each callback and errback of each request pushed, 3 % of a
worker's profile).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from ...exceptions import DistributedError
from .. import signals as archiver_signals
from ..dupefilter import FingerprintSet
from .coordinator import Coordinator, Push


def coordinator_of(crawler: Crawler) -> Coordinator | None:
    """The run this crawler works for (joined by the distributed add-on, which keeps it), or None."""
    for addon in getattr(crawler.addons, "addons", ()):
        coordinator = getattr(addon, "coordinator", None)
        if isinstance(coordinator, Coordinator):
            return coordinator
    return None


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
    request in this worker (``FingerprintSet``). ``SharedScheduler`` asks only ``met_before`` and sends the
    fingerprint of a request not met with the request itself; ``request_seen`` (one ``SADD``) serves callers of
    scrapy-redis' interface.
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
    """scrapy-redis' scheduler that stages new requests and sends them with its next lease request."""

    df: SharedDupeFilter
    queue: SharedQueue
    # Staged requests are sent at the latest when this many wait (other workers see them sooner).
    MAX_STAGED = 64

    def open(self, spider: Spider) -> None:
        super().open(spider)
        crawler = spider.crawler
        coordinator = coordinator_of(crawler)
        if coordinator is None:
            raise DistributedError("SharedScheduler needs the distributed add-on (ARCHIVER_REDIS_URL)")
        self.coordinator = coordinator
        self.batch = crawler.settings.getint("ARCHIVER_LEASE_BATCH")
        if self.batch < 1:
            raise DistributedError(f"ARCHIVER_LEASE_BATCH must be at least 1, got {self.batch}")
        self.staged: list[tuple[Request, Push]] = []
        self.waiting: deque[tuple[str, bytes]] = deque()
        crawler.signals.connect(self.send_staged, signal=archiver_signals.flush_requested)
        # The worker's extension answers by registering itself here: it tracks the leases handed to the engine.
        self.extension: Any = None
        crawler.signals.send_catch_log(archiver_signals.shared_scheduler_opened, scheduler=self)

    def close(self, reason: str) -> None:
        self.send_staged()
        super().close(reason)

    def __len__(self) -> int:
        return len(self.queue) + len(self.waiting) + len(self.staged)

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = None  # unfiltered: queued even if seen
        if not request.dont_filter:
            key = local_key(request)
            if self.df.met_before(key):
                self.df.log(request, self.spider)
                return False
            self.df.known.add(key)
            fingerprint = self.df.request_fingerprint(request)
        self._stage(request, Push(fingerprint, -request.priority, self.queue.encode(request)))
        return True

    def _stage(self, request: Request, push: Push) -> None:
        self.staged.append((request, push))
        if len(self.staged) >= self.MAX_STAGED:
            self.send_staged()

    def next_request(self) -> Request | None:
        if not self.waiting:
            self._exchange(self.batch)
            if not self.waiting:
                return None
        token, data = self.waiting.popleft()
        request = self.queue.decode(data)
        request.meta["archiver_lease"] = token
        # Only now does the extension track it: a lease it tracks is acknowledged once the engine no longer
        # holds the request, which a request still waiting here would pass at once.
        if self.extension is not None:
            self.extension.leased[token] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def send_staged(self) -> None:
        """Put every staged request in the shared queue (those whose fingerprint is new to the run)."""
        if self.staged:
            self._exchange(0)

    def _exchange(self, lease: int) -> None:
        staged = self.staged
        added, leased = self.coordinator.exchange([push for _, push in staged], lease)
        # Forgotten only once Redis has them: if the exchange fails, whatever acknowledges the responses they
        # came from fails too, and a retry sends them again (a fingerprint already added is not queued twice).
        self.staged = []
        for (request, _), new in zip(staged, added, strict=True):
            if new:
                if self.stats:
                    self.stats.inc_value("scheduler/enqueued/redis")
            else:  # another worker queued it first
                self.df.log(request, self.spider)
        self.waiting.extend(leased)

    def take_back(self) -> list[str]:
        """Lease tokens of the requests leased but not yet handed to the engine; forgets them here."""
        tokens = [token for token, _ in self.waiting]
        self.waiting.clear()
        return tokens


class SharedQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis' priority queue under the run's key, encoding callbacks by name; SharedScheduler leases."""

    def encode(self, request: Request) -> bytes:
        callback, errback = request.callback, request.errback
        # Names instead of bound methods, so that Request.to_dict does not search the spider for them; put back
        # at once (the request object is the engine's).
        request.callback, request.errback = self._method_name(callback), self._method_name(errback)
        try:
            encoded: bytes = self.serializer.dumps(request.to_dict(spider=self.spider))
        finally:
            request.callback, request.errback = callback, errback
        return encoded

    def decode(self, data: bytes) -> Request:
        return request_from_dict(self.serializer.loads(data), spider=self.spider)

    def _method_name(self, function: Callable[..., Any] | str | None) -> Any:
        """The spider's method name for a bound method of the spider; anything else as it is (Scrapy decides)."""
        name = getattr(function, "__name__", None)
        if not isinstance(name, str) or getattr(function, "__self__", None) is not self.spider:
            return function
        same = getattr(getattr(self.spider, name, None), "__func__", None) is getattr(function, "__func__", None)
        return name if same else function

    def pop(self, timeout: int = 0) -> Request | None:
        # scrapy-redis' pop would take a request from the run without leasing it: a worker dying then loses it.
        raise DistributedError("requests leave the shared queue only leased, through SharedScheduler")
