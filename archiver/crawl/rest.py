"""The site's REST taxonomies (users, categories, tags), read once before any article is parsed, the media
records of the featured images the REST post records name, and the item pipeline that completes each article
from them.

``RestIndexExtension`` is reached through ``crawler.get_extension(RestIndexExtension)``. In a distributed run
only the seeding worker reads the API; it shares the records and the other workers take them from Redis.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from ..items import ArticleItem
from ..pages.rest import RestIndex, complete_from_rest, rest_records_in
from .distributed.worker import is_seeder, share, shared

logger = logging.getLogger(__name__)
ROUTES = ("users", "categories", "tags")


def rest_records(response: Response) -> list[Any] | None:
    """The JSON list a REST collection answered, or None (an error page, not JSON, not a list)."""
    if response.status != 200 or not isinstance(response, TextResponse):
        return None
    return rest_records_in(response.text)


# Post IDs per REST check request: WordPress answers at most 100 records a page.
REST_CHECK_BATCH = 100
# How long an article whose REST post record the crawl has not read yet waits for others to ask for with it.
POST_RECORD_WAIT = 0.25


def rest_check_url(base_url: str, post_ids: list[int]) -> str:
    """The REST posts that are still published among ``post_ids`` (WordPress lists only published posts to an
    anonymous client), their IDs only."""
    return (f"{base_url}/wp-json/wp/v2/posts?include={','.join(map(str, post_ids))}"
            f"&per_page={REST_CHECK_BATCH}&_fields=id")


def published_ids(response: Response) -> set[int] | None:
    """The post IDs a REST check listed; None when the API did not answer with a list."""
    records = rest_records(response)
    if records is None:
        return None
    return {record["id"] for record in records if isinstance(record, dict) and isinstance(record.get("id"), int)}


def total_pages(response: Response) -> int:
    return int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)


class RestIndexExtension:
    def __init__(self, crawler: Crawler, max_pages: int) -> None:
        self.crawler = crawler
        self.max_pages = max_pages
        self.index = RestIndex()
        self._wanted: dict[int, asyncio.Future[None]] = {}  # post IDs of the next batch
        self._asked: set[int] = set()  # asked for once: the API does not list them (not published)
        self._batches: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._posts_unavailable = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RestIndexExtension:
        return cls(crawler, crawler.settings.getint("ARCHIVER_REST_MAX_PAGES"))

    async def load(self, base_url: str) -> None:
        """Fill the index from the site (or, on a worker that does not seed, from the seeding worker)."""
        if not is_seeder(self.crawler):
            timeout = self.crawler.settings.getfloat("ARCHIVER_IDLE_CLOSE")
            records = await shared(self.crawler, "rest", timeout=timeout)
            if records is not None:
                for route, page in records.items():
                    self.index.add(route, page)
                return
            logger.warning("the seeding worker shared no REST records; reading them from the site")
        await self._download(base_url)
        share(self.crawler, "rest", self.index.records())

    async def _download(self, base_url: str) -> None:
        engine = self.crawler.engine
        stats = self.crawler.stats
        assert engine is not None and stats is not None
        for route in ROUTES:
            for page in range(1, self.max_pages + 1):
                url = f"{base_url}/wp-json/wp/v2/{route}?per_page=100&page={page}"
                try:
                    response = await engine.download_async(Request(url, dont_filter=True))
                except IgnoreRequest:
                    break  # robots.txt forbids it: the site does not want the API crawled
                records = rest_records(response)
                if records is None:
                    stats.inc_value(f"archiver/rest/{route}/unavailable")
                    break
                self.index.add(route, records)
                if page >= total_pages(response):
                    break


    async def add_posts(self, base_url: str, records: list[Any]) -> None:
        """Index a page of REST post records and read the media records of the featured images they name
        (``/wp/v2/media?include=…``, archived like every answer), before the spider asks for their articles.
        The posts enter the index only once their media are read: an article waiting for its post record
        (``post_record``) must not be completed while its featured image's record is still on its way."""
        try:
            await self._read_media(base_url, records)
        finally:
            self.index.add("posts", records)

    async def _read_media(self, base_url: str, records: list[Any]) -> None:
        missing = self.index.featured_media_missing(records)
        engine, stats = self.crawler.engine, self.crawler.stats
        assert engine is not None and stats is not None
        for start in range(0, len(missing), REST_CHECK_BATCH):
            batch = missing[start:start + REST_CHECK_BATCH]
            url = f"{base_url}/wp-json/wp/v2/media?include={','.join(map(str, batch))}&per_page={REST_CHECK_BATCH}"
            try:
                response = await engine.download_async(Request(url, dont_filter=True))
            except IgnoreRequest:
                return  # robots.txt forbids it
            except Exception as error:  # the articles are still crawled, only without what the media say
                stats.inc_value("archiver/rest/media/unavailable")
                logger.warning("the REST media records %s could not be read: %s", url, error)
                return
            media = rest_records(response)
            if media is None:
                stats.inc_value("archiver/rest/media/unavailable")
                return
            self.index.add("media", media)


    async def post_record(self, base_url: str, post_id: int) -> None:
        """Make sure the index holds the post's REST record where the site has one. The spider reads the
        records for discovery, but an article found first through the feed, a listing or a sitemap can come
        before its page of them; the missing ones are asked for in batches (``posts?include=…``), archived like
        every answer, so that what completes an article does not depend on the order answers arrive in."""
        if post_id in self.index.posts_by_id or post_id in self._asked or self._posts_unavailable:
            return
        future = self._wanted.get(post_id)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._wanted[post_id] = loop.create_future()
            if len(self._wanted) >= REST_CHECK_BATCH:
                self._send(base_url)
            elif self._timer is None:
                self._timer = loop.call_later(POST_RECORD_WAIT, self._send, base_url)
        await asyncio.shield(future)

    def _send(self, base_url: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._wanted = self._wanted, {}
        task = asyncio.ensure_future(self._read_posts(base_url, batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _read_posts(self, base_url: str, batch: dict[int, asyncio.Future[None]]) -> None:
        stats = self.crawler.stats
        assert self.crawler.engine is not None and stats is not None
        url = (f"{base_url}/wp-json/wp/v2/posts?include={','.join(map(str, sorted(batch)))}"
               f"&per_page={REST_CHECK_BATCH}")
        try:
            response = await self.crawler.engine.download_async(Request(url, dont_filter=True))
            records = rest_records(response)
            if records is None:
                self._posts_unavailable = True
                stats.inc_value("archiver/rest/posts/unavailable")
            else:
                await self.add_posts(base_url, records)
        except IgnoreRequest:
            self._posts_unavailable = True  # robots.txt forbids it
        except Exception as error:  # the articles are still stored, completed from what the crawl has read
            stats.inc_value("archiver/rest/posts/unavailable")
            logger.warning("the REST post records %s could not be read: %s", url, error)
        finally:
            self._asked.update(batch)
            for future in batch.values():
                if not future.done():
                    future.set_result(None)


class RestCompletionPipeline:
    """Fills what an article's page left empty from the REST records; never overwrites what the page says."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.index: RestIndex | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RestCompletionPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        extension = self.crawler.get_extension(RestIndexExtension)
        self.index = extension.index if extension is not None else None

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, ArticleItem) and self.index:
            base_url = getattr(self.crawler.spider, "base_url", None)
            extension = self.crawler.get_extension(RestIndexExtension)
            if item.post_id is not None and isinstance(base_url, str) and extension is not None:
                await extension.post_record(base_url, item.post_id)
            complete_from_rest(item, self.index)
        return item
