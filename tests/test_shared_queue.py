"""The distributed run's duplicate filter and queue: scrapy-redis' decisions and encoding, with fewer round trips."""

from __future__ import annotations

import inspect
import random
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from twisted.python.failure import Failure

from archiver.crawl import signals as archiver_signals
from archiver.crawl.distributed import worker as distributed
from archiver.crawl.distributed.coordinator import Coordinator, Push, RunKeys
from archiver.crawl.distributed.shared_queue import SharedDupeFilter, SharedQueue, SharedScheduler
from archiver.crawl.distributed.worker import DistributedExtension
from archiver.crawl.settings import archiver_defaults
from archiver.exceptions import DistributedError


class CountingServer:
    """The Redis client, counting the duplicate filter's SADDs (one round trip each)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.sadds = 0

    def sadd(self, *args: Any) -> Any:
        self.sadds += 1
        return self.client.sadd(*args)

    def delete(self, *args: Any) -> Any:
        return self.client.delete(*args)


def requests(seed: int, count: int) -> list[Request]:
    """Links as spiders yield them: repeats, the same URL with its query in another order, a POST beside a GET."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        page = rng.randrange(60)
        url = rng.choice([f"http://127.0.0.1/a/{page}.html", f"http://127.0.0.1/a/{page}.html?x=1&y=2",
                          f"http://127.0.0.1/a/{page}.html?y=2&x=1", f"http://127.0.0.1/a/{page}.html#c"])
        made.append(Request(url, method="POST", body=b"q") if rng.random() < 0.1 else Request(url))
    return made


def test_two_workers_decide_every_request_as_one_scrapy_redis_filter_would(redis_client: redis.Redis) -> None:
    run, reference_key = f"test:{uuid.uuid4().hex}:dupefilter", f"test:{uuid.uuid4().hex}:reference"
    workers = [SharedDupeFilter(CountingServer(redis_client), run) for _ in range(2)]
    reference = RFPDupeFilter(redis_client, reference_key)
    try:
        sequence = requests(3, 600)
        for n, request in enumerate(sequence):
            worker = workers[n % 3 % 2]  # uneven shares, as real workers get
            assert worker.request_seen(request) == reference.request_seen(request), request
        # A worker asks Redis about each request it has not met before, and only about those.
        for number, worker in enumerate(workers):
            own = [r for n, r in enumerate(sequence) if n % 3 % 2 == number]
            distinct = {(r.method, r.url, r.body) for r in own}
            assert worker.server.sadds == len(distinct) and worker.answered_locally == len(own) - len(distinct)
        assert redis_client.smembers(run) == redis_client.smembers(reference_key)
    finally:
        redis_client.delete(run, reference_key)


def test_a_request_another_worker_added_is_seen_through_redis(redis_client: redis.Redis) -> None:
    run = f"test:{uuid.uuid4().hex}:dupefilter"
    first, second = (SharedDupeFilter(CountingServer(redis_client), run) for _ in range(2))
    try:
        assert not first.request_seen(Request("http://127.0.0.1/a/1.html?x=1&y=2"))
        # The other worker has never met it, nor this spelling of it: Redis answers.
        assert second.request_seen(Request("http://127.0.0.1/a/1.html?y=2&x=1"))
        assert second.server.sadds == 1 and second.answered_locally == 0
    finally:
        redis_client.delete(run)


class Site(Spider):
    name = "site"

    def parse_article(self, response: Any) -> None:
        pass

    def article_error(self, failure: Any) -> None:
        pass


def queue(spider: Spider) -> SharedQueue:
    return SharedQueue(None, spider, "test:%(spider)s:requests", picklecompat)


def test_a_request_is_encoded_as_scrapy_encodes_it_without_searching_the_spider(
        monkeypatch: pytest.MonkeyPatch) -> None:
    spider = Site()
    request = Request("http://127.0.0.1/a/1.html", callback=spider.parse_article, errback=spider.article_error,
                      priority=3, meta={"k": "v"}, headers={"Referer": "http://127.0.0.1/"})
    expected = request.to_dict(spider=spider)
    monkeypatch.setattr(inspect, "getmembers", lambda *a, **k: pytest.fail("searched the spider's members"))
    encoded = queue(spider).encode(request)
    assert picklecompat.loads(encoded) == expected
    # The request itself is untouched: the engine still holds it.
    assert request.callback == spider.parse_article and request.errback == spider.article_error
    decoded = request_from_dict(picklecompat.loads(encoded), spider=spider)
    assert decoded.callback == spider.parse_article and decoded.url == request.url and decoded.priority == 3


class Elsewhere:
    def parse_article(self, response: Any) -> None:
        pass


def test_callbacks_that_are_not_the_spiders_methods_are_left_to_scrapy() -> None:
    spider, other = Site(), Elsewhere()
    assert picklecompat.loads(queue(spider).encode(Request("http://127.0.0.1/")))["callback"] is None
    request = Request("http://127.0.0.1/", callback=other.parse_article)
    with pytest.raises(ValueError, match="not an instance method"):
        queue(spider).encode(request)
    assert request.callback == other.parse_article  # put back even when Scrapy refuses


class CountingCoordinator(Coordinator):
    """A worker's coordinator, counting its round trips to the queue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exchanges = 0

    def exchange(self, pushes: Any, lease: int) -> Any:
        self.exchanges += 1
        return super().exchange(pushes, lease)


class Worker:
    """One worker's scheduler, queue and filter over a run's keys, with a stand-in distributed extension."""

    def __init__(self, client: redis.Redis, run: str, name: str, batch: int = 8) -> None:
        self.coordinator = CountingCoordinator(client, RunKeys(run), name)
        self.crawler = get_crawler(Site, {**archiver_defaults(), "ARCHIVER_LEASE_BATCH": batch})
        # The add-on that joined the run keeps its coordinator; the stand-in extension answers the scheduler's
        # signal as the real one does.
        self.crawler.addons.addons.append(SimpleNamespace(coordinator=self.coordinator))
        self.extension: Any = SimpleNamespace(leased={}, scheduler=None)
        self.crawler.signals.connect(self._registered, signal=archiver_signals.shared_scheduler_opened, weak=False)
        self.spider = Site.from_crawler(self.crawler)
        self.scheduler = SharedScheduler(
            client, persist=True, flush_on_start=False, queue_key=RunKeys(run).requests,
            queue_cls=SharedQueue, dupefilter=SharedDupeFilter(client, RunKeys(run).dupefilter))
        self.scheduler.stats = self.crawler.stats

    def _registered(self, scheduler: SharedScheduler) -> None:
        if isinstance(self.extension, SimpleNamespace):
            self.extension.scheduler, scheduler.extension = scheduler, self.extension

    def open(self) -> Worker:
        self.scheduler.open(self.spider)
        return self

    def queued(self) -> list[Request]:
        return [self.scheduler.queue.decode(data)
                for data in self.scheduler.server.zrange(self.scheduler.queue.key, 0, -1)]


@pytest.fixture()
def run(redis_client: redis.Redis) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_client.scan_iter(match=RunKeys(name).prefix + "*"):
        redis_client.delete(key)


def reference_fingerprint(request: Request) -> str:
    return str(RFPDupeFilter(None, "unused").request_fingerprint(request))


def test_two_workers_queue_what_one_scrapy_redis_filter_lets_through_each_once(
        redis_client: redis.Redis, run: str) -> None:
    workers = [Worker(redis_client, run, f"w{n}").open() for n in range(2)]
    sequence = requests(5, 500)
    for n, request in enumerate(sequence):
        worker = workers[n % 3 % 2]
        # False only for a request this worker met before; the run decides the rest when they are sent.
        met = any((r.method, r.url, r.body) == (request.method, request.url, request.body)
                  for m, r in enumerate(sequence[:n]) if m % 3 % 2 == n % 3 % 2)
        assert worker.scheduler.enqueue_request(request) == (not met), request
        if n % 37 == 0:
            worker.scheduler.send_staged()
    for worker in workers:
        worker.scheduler.send_staged()
    # One queued request per fingerprint, the same fingerprints scrapy-redis' filter keeps.
    fingerprints = {reference_fingerprint(r) for r in sequence}
    queued = workers[0].queued()
    assert len(queued) == len(fingerprints) and {reference_fingerprint(r) for r in queued} == fingerprints
    assert {m.decode() for m in redis_client.smembers(RunKeys(run).dupefilter)} == fingerprints
    # Every request counted once: queued by one worker, or refused as another's (and logged as a duplicate).
    stats = [w.crawler.stats.get_value("scheduler/enqueued/redis", 0) for w in workers]
    assert sum(stats) == len(fingerprints)
    # scrapy-redis: an SADD per request and a ZADD per new one; here one round trip per send.
    assert all(worker.coordinator.exchanges <= 500 // 37 + 1 for worker in workers)


def test_staged_requests_go_out_with_the_next_lease_request_in_one_round_trip(
        redis_client: redis.Redis, run: str) -> None:
    worker = Worker(redis_client, run, "w", batch=8).open()
    keys = RunKeys(run)
    for n in range(20):
        assert worker.scheduler.enqueue_request(Request(f"http://127.0.0.1/a/{n}.html", priority=n % 4))
    assert redis_client.zcard(keys.requests) == 0 and len(worker.scheduler) == 20  # staged, counted as pending
    first = worker.scheduler.next_request()
    assert worker.coordinator.exchanges == 1 and redis_client.hlen(keys.leases("w")) == 8
    assert redis_client.zcard(keys.requests) == 12 and len(worker.scheduler) == 19
    # The seven leased requests still waiting in the scheduler are not the extension's to acknowledge.
    assert list(worker.extension.leased) == [first.meta["archiver_lease"]]
    handed = [first] + [worker.scheduler.next_request() for _ in range(11)]
    assert worker.coordinator.exchanges == 2 and len(worker.extension.leased) == 12
    assert [r.priority for r in handed] == [3] * 5 + [2] * 5 + [1] * 2  # best first, across batches
    assert worker.crawler.stats.get_value("scheduler/dequeued/redis") == 12
    waiting = worker.scheduler.take_back()
    assert len(waiting) == 4 and not set(waiting) & set(worker.extension.leased)
    assert worker.coordinator.release(waiting) == 4 and len(worker.scheduler) == 8


def test_staged_requests_are_sent_before_acknowledgement_and_at_close(redis_client: redis.Redis, run: str) -> None:
    worker = Worker(redis_client, run, "w").open()
    worker.scheduler.enqueue_request(Request("http://127.0.0.1/a/1.html"))
    worker.crawler.signals.send_catch_log(archiver_signals.flush_requested)  # what precedes every ack
    assert redis_client.zcard(RunKeys(run).requests) == 1
    worker.scheduler.enqueue_request(Request("http://127.0.0.1/a/2.html"))
    worker.scheduler.close("shutdown")
    assert redis_client.zcard(RunKeys(run).requests) == 2
    for n in range(SharedScheduler.MAX_STAGED):  # and whenever enough are staged
        worker.scheduler.enqueue_request(Request(f"http://127.0.0.1/b/{n}.html"))
    assert redis_client.zcard(RunKeys(run).requests) == 2 + SharedScheduler.MAX_STAGED
    assert worker.coordinator.exchanges == 3


def test_a_request_marked_seen_is_always_in_the_queue(redis_client: redis.Redis, run: str) -> None:
    # The fingerprint and the request go to Redis together: a worker dying in between cannot leave a link
    # marked seen that nobody fetches. Unfiltered requests are queued again.
    keys = RunKeys(run)
    coordinator = Coordinator(redis_client, keys, "w")
    added, leased = coordinator.exchange([Push("fp1", -5, b"one"), Push("fp1", -5, b"one again"),
                                          Push(None, -1, b"again"), Push(None, -1, b"again too")], 0)
    assert added == [True, False, True, True] and leased == []
    assert redis_client.smembers(keys.dupefilter) == {b"fp1"}
    assert redis_client.zrange(keys.requests, 0, -1, withscores=True) == [
        (b"one", -5.0), (b"again", -1.0), (b"again too", -1.0)]


def test_the_queue_refuses_to_pop_without_a_lease() -> None:
    with pytest.raises(DistributedError, match="leased"):
        queue(Site()).pop()


def test_a_batch_smaller_than_one_is_refused(redis_client: redis.Redis, run: str) -> None:
    with pytest.raises(DistributedError, match="ARCHIVER_LEASE_BATCH"):
        Worker(redis_client, run, "w", batch=0).open()


def test_a_stopping_worker_gives_back_what_it_leased_whether_handed_to_the_engine_or_waiting(
        redis_client: redis.Redis, run: str, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(redis_client, run, "w", batch=8)
    extension = DistributedExtension(worker.crawler, worker.coordinator, idle_close=1, interval=1)
    worker.extension = extension
    worker.crawler.signals.connect(extension.scheduler_opened, signal=archiver_signals.shared_scheduler_opened)
    worker.open()  # the scheduler registers with the real extension
    for n in range(10):
        worker.scheduler.enqueue_request(Request(f"http://127.0.0.1/a/{n}.html"))
    assert not extension._run_idle_long_enough("done")  # requests staged in the scheduler keep the run busy
    handed = [worker.scheduler.next_request() for _ in range(3)]
    assert len(extension.leased) == 3 and len(worker.scheduler.waiting) == 5
    assert extension.progress()["leased"] == 8
    assert not extension._run_idle_long_enough("done")
    # Stopped before their responses came: the engine still works on the three it was handed.
    monkeypatch.setattr(distributed, "engine_in_progress", lambda crawler: set(handed))
    extension.spider_closed(worker.spider, "shutdown")
    keys = RunKeys(run)
    assert redis_client.hlen(keys.leases("w")) == 0 and redis_client.zcard(keys.requests) == 10
    assert worker.crawler.stats.get_value("archiver/distributed/released") == 8
    assert {r.url for r in handed} <= {r.url for r in worker.queued()}


def test_staged_requests_are_kept_when_redis_fails_and_the_acknowledgement_fails_with_them(
        redis_client: redis.Redis, run: str, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(redis_client, run, "w").open()
    worker.scheduler.enqueue_request(Request("http://127.0.0.1/a/1.html"))
    real = worker.coordinator.exchange

    def down(*args: Any) -> Any:
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(worker.coordinator, "exchange", down)
    results = worker.crawler.signals.send_catch_log(archiver_signals.flush_requested)
    assert any(isinstance(result, Failure) for _, result in results)  # DistributedExtension then does not ack
    assert len(worker.scheduler.staged) == 1
    monkeypatch.setattr(worker.coordinator, "exchange", real)
    worker.scheduler.send_staged()
    assert [r.url for r in worker.queued()] == ["http://127.0.0.1/a/1.html"] and not worker.scheduler.staged
