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

from archiver.crawl.distributed import DistributedExtension
from archiver.crawl.shared_queue import LeasingQueue, SharedDupeFilter, SharedScheduler
from archiver.distributed.coordinator import Coordinator, RunKeys
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


def queue(spider: Spider) -> LeasingQueue:
    return LeasingQueue(None, spider, "test:%(spider)s:requests", picklecompat)


def test_a_request_is_encoded_as_scrapy_encodes_it_without_searching_the_spider(
        monkeypatch: pytest.MonkeyPatch) -> None:
    spider = Site()
    request = Request("http://127.0.0.1/a/1.html", callback=spider.parse_article, errback=spider.article_error,
                      priority=3, meta={"k": "v"}, headers={"Referer": "http://127.0.0.1/"})
    expected = request.to_dict(spider=spider)
    monkeypatch.setattr(inspect, "getmembers", lambda *a, **k: pytest.fail("searched the spider's members"))
    encoded = queue(spider)._encode_request(request)
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
    assert picklecompat.loads(queue(spider)._encode_request(Request("http://127.0.0.1/")))["callback"] is None
    request = Request("http://127.0.0.1/", callback=other.parse_article)
    with pytest.raises(ValueError, match="not an instance method"):
        queue(spider)._encode_request(request)
    assert request.callback == other.parse_article  # put back even when Scrapy refuses


class CountingCoordinator(Coordinator):
    """A worker's coordinator, counting its round trips to the queue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pushes = self.pops = 0

    def push_if_new(self, fingerprint: str, score: float, encoded_request: bytes) -> bool:
        self.pushes += 1
        return super().push_if_new(fingerprint, score, encoded_request)

    def pop_many(self, count: int) -> list[tuple[str, bytes]]:
        self.pops += 1
        return super().pop_many(count)


class Worker:
    """One worker's scheduler, queue and filter over a run's keys, with a stand-in distributed extension."""

    def __init__(self, client: redis.Redis, run: str, name: str, batch: int = 8) -> None:
        self.coordinator = CountingCoordinator(client, RunKeys(run), name)
        self.crawler = get_crawler(Site, {"ARCHIVER_LEASE_BATCH": batch})
        self.extension = SimpleNamespace(leased={}, queue=None)
        self.crawler.archiver_coordinator = self.coordinator  # type: ignore[attr-defined]
        self.crawler.archiver_distributed = self.extension  # type: ignore[attr-defined]
        self.spider = Site.from_crawler(self.crawler)
        self.scheduler = SharedScheduler(
            client, persist=True, flush_on_start=False, queue_key=RunKeys(run).requests,
            queue_cls=LeasingQueue, dupefilter=SharedDupeFilter(client, RunKeys(run).dupefilter))
        self.scheduler.stats = None
        self.scheduler.open(self.spider)


@pytest.fixture()
def run(redis_client: redis.Redis) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_client.scan_iter(match=RunKeys(name).prefix + "*"):
        redis_client.delete(key)


def test_two_schedulers_queue_each_new_request_once_in_one_round_trip(redis_client: redis.Redis, run: str) -> None:
    reference_key = f"test:{uuid.uuid4().hex}:reference"
    workers = [Worker(redis_client, run, f"w{n}") for n in range(2)]
    reference = RFPDupeFilter(redis_client, reference_key)
    try:
        sequence = requests(5, 500)
        for n, request in enumerate(sequence):
            worker = workers[n % 3 % 2]
            assert worker.scheduler.enqueue_request(request) == (not reference.request_seen(request)), request
        # Every request scrapy-redis would have let through is queued once, and nothing else.
        queued = [request_from_dict(picklecompat.loads(data), spider=workers[0].spider)
                  for data in redis_client.zrange(RunKeys(run).requests, 0, -1)]
        first_of_each = {}
        for request in sequence:
            first_of_each.setdefault(reference_fingerprint(request), request)
        assert sorted((r.method, r.url) for r in queued) == sorted((r.method, r.url) for r in first_of_each.values())
        assert redis_client.smembers(RunKeys(run).dupefilter) == redis_client.smembers(reference_key)
        # One round trip per request a worker had not met, check and push together (scrapy-redis: SADD, ZADD).
        for number, worker in enumerate(workers):
            own = [r for n, r in enumerate(sequence) if n % 3 % 2 == number]
            assert worker.coordinator.pushes == len({(r.method, r.url, r.body) for r in own})
    finally:
        redis_client.delete(reference_key)


def reference_fingerprint(request: Request) -> str:
    return str(RFPDupeFilter(None, "unused").request_fingerprint(request))


def test_a_request_marked_seen_is_always_in_the_queue(redis_client: redis.Redis, run: str) -> None:
    # The fingerprint and the request go to Redis together: a worker dying in between cannot leave a link
    # marked seen that nobody fetches.
    keys = RunKeys(run)
    coordinator = Coordinator(redis_client, keys, "w")
    assert coordinator.push_if_new("fp1", -5, b"one") is True
    assert coordinator.push_if_new("fp1", -5, b"one again") is False
    assert redis_client.smembers(keys.dupefilter) == {b"fp1"}
    assert redis_client.zrange(keys.requests, 0, -1, withscores=True) == [(b"one", -5.0)]


def test_leases_come_in_batches_and_only_handed_requests_are_tracked_for_acknowledgement(
        redis_client: redis.Redis, run: str) -> None:
    worker = Worker(redis_client, run, "w", batch=8)
    keys = RunKeys(run)
    for n in range(20):
        assert worker.scheduler.enqueue_request(Request(f"http://127.0.0.1/a/{n}.html", priority=n % 4))
    first = worker.scheduler.next_request()
    assert worker.coordinator.pops == 1 and redis_client.hlen(keys.leases("w")) == 8
    assert len(worker.scheduler) == 19 and worker.scheduler.has_pending_requests()
    # The seven leased requests still waiting in the queue are not the extension's to acknowledge.
    assert list(worker.extension.leased) == [first.meta["archiver_lease"]]
    handed = [first] + [worker.scheduler.next_request() for _ in range(11)]
    assert worker.coordinator.pops == 2 and len(worker.extension.leased) == 12
    assert [r.priority for r in handed] == [3] * 5 + [2] * 5 + [1] * 2  # best first, across batches
    waiting = worker.scheduler.queue.take_back()
    assert len(waiting) == 4 and not set(waiting) & set(worker.extension.leased)
    assert worker.coordinator.release(waiting) == 4 and len(worker.scheduler) == 8


def test_a_batch_smaller_than_one_is_refused(redis_client: redis.Redis, run: str) -> None:
    with pytest.raises(DistributedError, match="ARCHIVER_LEASE_BATCH"):
        Worker(redis_client, run, "w", batch=0)


def test_a_stopping_worker_gives_back_what_it_leased_whether_handed_to_the_engine_or_waiting(
        redis_client: redis.Redis, run: str, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(redis_client, run, "w", batch=8)
    extension = DistributedExtension(worker.crawler, worker.coordinator, idle_close=1, interval=1)
    worker.crawler.archiver_distributed = extension  # type: ignore[attr-defined]
    worker.scheduler.open(worker.spider)  # the queue registers with the real extension
    for n in range(10):
        worker.scheduler.enqueue_request(Request(f"http://127.0.0.1/a/{n}.html"))
    handed = [worker.scheduler.next_request() for _ in range(3)]
    assert len(extension.leased) == 3 and len(worker.scheduler.queue.waiting) == 5
    assert extension.progress()["leased"] == 8
    assert not extension._run_idle_long_enough("done")  # leases waiting in the queue keep the run busy
    monkeypatch.setattr(extension, "_in_progress", lambda: set(handed))  # stopped before their responses came
    extension.spider_closed(worker.spider, "shutdown")
    keys = RunKeys(run)
    assert redis_client.hlen(keys.leases("w")) == 0 and redis_client.zcard(keys.requests) == 10
    assert worker.crawler.stats.get_value("archiver/distributed/released") == 8
    assert {r.url for r in handed} <= {request_from_dict(picklecompat.loads(d), spider=worker.spider).url
                                       for d in redis_client.zrange(keys.requests, 0, -1)}
