"""The distributed run's duplicate filter and queue: scrapy-redis' decisions and encoding, with fewer round trips."""

from __future__ import annotations

import inspect
import random
import uuid
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter

from archiver.crawl.shared_queue import LeasingQueue, SharedDupeFilter


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
