"""The generic WordPress news spider: discovery by sitemaps, feeds and listings; pages by page objects.

``scrapy crawl wordpress -a base_url=URL`` or ``archiver crawl wordpress --base-url URL``.
The spider only decides what to fetch; every selector that reads an article lives in
``archiver.pages``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spiders import SitemapSpider
from twisted.python.failure import Failure

from archiver.crawl.distributed import seeding_done, share, shared, start_seeding
from archiver.exceptions import ConfigurationError, ExtractionError
from archiver.items import ExtractionFailure, NotModified
from archiver.locations import resolve_db_url
from archiver.normalize.charset import correct_decoding
from archiver.normalize.dates import parse_date
from archiver.normalize.rest import RestIndex, complete_from_rest
from archiver.normalize.urls import is_article_url, post_id_from_url, strip_tracking
from archiver.pages import Page, extract
from archiver.pages.listing import ListingPage
from archiver.storage.state import ArchiveState, load_state

# The queue is the crawl's memory: it must hold about one listing's or one sitemap's worth of requests, not the
# site. So what completes an article comes first (its images), then articles, then the next listing page (each
# adds ~10 articles); the next sitemap or REST page (1,000 or 100 articles) waits until the queue is empty
# (``_backlog``). With equal priorities Scrapy's LIFO queue walked the whole pagination chain first, queueing
# every article of it: 10,905 waiting requests at 6,000 responses on a 20,000-article site.
IMAGE_PRIORITY = 20
LISTING_PRIORITY = -5
# On a shared (Redis) queue the backlog is the queue itself: there the next pages just come last, and the
# pagination chain, which can only be walked one page after the other, goes first instead of being the slow
# tail of the run (170 listing pages one by one after every article was done, on 2,000 articles).
DISCOVERY_BACKLOG_PRIORITY = -100
SHARED_QUEUE_LISTING_PRIORITY = 15
# Pagination is a chain (page N names only page N+1). Under load each step waited ~400 ms behind the responses
# ahead of it, so the walk became the critical path of a fast crawl; a full crawl asks for the next few
# WordPress-numbered pages at once. Pages past the last answer 404: archived, a handful per run.
LISTING_LOOKAHEAD = 4
PAGE_NUMBER = re.compile(r"/page/(\d+)/?$")
ARTICLE_NEIGHBOURS = "//a[@rel='prev' or @rel='next']/@href"


def article_page(response: TextResponse) -> tuple[Page, str | None]:
    """The page to extract from: Scrapy's decoding, unless the site's charset label is wrong (then the right
    text, and a warning saying what was wrong)."""
    corrected = correct_decoding(response.body, response.encoding)
    if corrected is None:
        return Page(response.url, response.text), None
    return Page(response.url, corrected[0]), corrected[1]


class WordPressSpider(SitemapSpider):
    name = "wordpress"
    # None: any permalink shape WordPress produces (see archiver.normalize.urls.is_article_url), and every
    # URL a post source names (post sitemaps, feed items, REST posts). Site spiders set their own grammar.
    article_url_re: ClassVar[str | None] = None
    sitemap_follow = [r"post-sitemap\d*\.xml$", r"wp-sitemap-posts-post-\d+\.xml$",
                      r"sitemap_index\.xml$", r"wp-sitemap\.xml$"]
    rest_routes: ClassVar[tuple[str, ...]] = ("users", "categories", "tags")
    rest_max_pages: ClassVar[int] = 50
    default_base_url: ClassVar[str | None] = None
    layout: ClassVar[str] = "auto"

    def __init__(self, base_url: str | None = None, mode: str = "crawl", *args: Any, **kwargs: Any) -> None:
        base = (base_url or self.default_base_url or "").rstrip("/")
        if not base:
            raise ConfigurationError("the wordpress spider needs -a base_url=URL")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        if mode not in ("crawl", "update"):
            raise ConfigurationError(f"mode must be crawl or update, got {mode!r}")
        self.base_url = base
        self.mode = mode
        self.host = parts.netloc.lower()
        self.sitemap_urls = [f"{base}/robots.txt"]
        # Only post sitemaps are followed, so every URL in them is a post.
        # Sitemap rules match whole URLs, the permalink grammar matches paths.
        rule = "^https?://[^/]+" + self.article_url_re.removeprefix("^") if self.article_url_re else ""
        self.sitemap_rules = [(rule, "parse_article")]
        super().__init__(*args, **kwargs)
        hostname = parts.hostname.lower()
        self.allowed_domains = [hostname.removeprefix("www.")]
        self._article_re = re.compile(self.article_url_re) if self.article_url_re else None
        self.rest = RestIndex()
        self.state = ArchiveState()  # what the archive already holds; filled in update mode
        self._done_posts: set[int | None] = set()
        self._lastmod: dict[str, datetime | None] = {}
        self._backlog: deque[Request] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_backlog, signal=signals.spider_idle)
        return spider

    # --- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        # In a distributed run only one worker seeds the shared queue (and reads the REST taxonomies, which
        # it shares); the others take from the queue.
        seeder = start_seeding(self.crawler)
        await self.prepare(load_rest=seeder)
        if not seeder:
            records = await shared(self.crawler, "rest", timeout=self.crawler.settings.getfloat("ARCHIVER_IDLE_CLOSE"))
            if records is None:
                await self.load_rest_taxonomies()  # the seeding worker died first
            else:
                for route, page in records.items():
                    self.rest.add(route, page)
            return
        share(self.crawler, "rest", self.rest.records())
        async for request in self.seed_requests():
            yield request
        seeding_done(self.crawler)

    async def prepare(self, load_rest: bool = True) -> None:
        """Load what the archive knows and the site's REST taxonomies; every worker needs both."""
        run_id = self.crawler.stats.get_value("archiver/run_id")  # type: ignore[union-attr]
        self.state = load_state(resolve_db_url(self.crawler.settings.get("ARCHIVER_DB_URL")), self.host, run_id)
        if self.crawler.settings.get("ARCHIVER_DISTRIBUTED_RUN"):
            # The shared queue and its leases are what a distributed run resumes from, and other workers'
            # unfinished database runs are alive, not interrupted.
            self.state.done_in_interrupted_runs = set()
        # An interrupted run's article page counts as done only if its article reached the database; its capture
        # row may have been committed before the article's batch was.
        self.state.done_in_interrupted_runs = {
            url for url in self.state.done_in_interrupted_runs
            if self.state.is_known(url) or post_id_from_url(url) in self.state.post_ids
            or not self.is_article(url, trusted=False)}
        self._done_posts = {post_id_from_url(url) for url in self.state.done_in_interrupted_runs} - {None}
        if self.mode == "crawl":
            # A full crawl uses the archive only to resume: what an interrupted run finished is not fetched again.
            self.state = ArchiveState(done_in_interrupted_runs=self.state.done_in_interrupted_runs)
        if self.state.done_in_interrupted_runs:
            self.logger.warning("resuming: %d pages were archived by the interrupted run",
                                len(self.state.done_in_interrupted_runs))
        self.logger.info("%s: %d known articles", self.mode, len(self.state.articles))
        if load_rest:
            await self.load_rest_taxonomies()

    async def seed_requests(self) -> AsyncIterator[Request]:
        """Where discovery starts: robots.txt → sitemaps, the feed, the front page, the REST posts."""
        async for request in super().start():
            yield request
        # Discovery pages are fetched in full: a 304 would hide entries an earlier, interrupted run never reached.
        yield Request(f"{self.base_url}/feed", callback=self.parse_feed, priority=10)
        yield Request(f"{self.base_url}/", callback=self.parse_listing, priority=self.listing_priority)
        posts = f"{self.base_url}/wp-json/wp/v2/posts?per_page=100&page=1"
        if self.mode == "update" and self.state.last_run_started is not None:
            posts += "&modified_after=" + self.state.last_run_started.strftime("%Y-%m-%dT%H:%M:%S")
        yield Request(posts, callback=self.parse_rest_posts, priority=5)
        if self.mode == "update":
            # Silent edits leave no trace in feeds or listings: known articles are re-checked on a schedule
            # that decays with their age, with conditional requests (a 304 costs almost nothing).
            for url in sorted(self.state.articles):
                if self.state.due_for_recheck(url):
                    self.crawler.stats.inc_value("archiver/update/rechecks")  # type: ignore[union-attr]
                    yield self._known_request(url)

    # --- update mode -----------------------------------------------------------------------------
    def _conditional(self, request: Request) -> Request:
        """In update mode, ask only for what changed since the archived copy (If-None-Match / -Modified-Since)."""
        if self.mode != "update":
            return request
        headers = self.state.conditional_headers(request.url)
        if headers:
            request = request.replace(meta={**request.meta, "handle_httpstatus_list": [304]})
            for name, value in headers.items():
                request.headers[name] = value
        return request

    def _known_request(self, url: str, changed: bool = False) -> Request:
        return self._conditional(Request(url, callback=self.parse_article, errback=self.article_error,
                                         meta={"archiver_changed": changed, "handle_httpstatus_list": [304]}))

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for entry in entries:
            loc = entry.get("loc", "")
            if self.mode == "update" and not any(re.search(p, loc) for p in self.sitemap_follow):
                lastmod = parse_date(entry.get("lastmod"))
                self._lastmod[loc] = lastmod
                if self.state.is_known(loc) and not self.state.changed_since_seen(loc, lastmod) \
                        and not self.state.due_for_recheck(loc):
                    self.crawler.stats.inc_value("archiver/update/skipped_unchanged")  # type: ignore[union-attr]
                    continue
            yield entry

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        for request in super()._parse_sitemap(response):
            if request.callback == self.parse_article and request.url in self.state.done_in_interrupted_runs:
                continue
            if request.callback == self.parse_article and self.state.is_known(request.url):
                changed = self.state.changed_since_seen(request.url, self._lastmod.get(request.url))
                yield self._known_request(request.url, changed)
            elif request.callback == self.parse_article:
                yield request.replace(errback=self.article_error)
            elif request.callback == self._parse_sitemap:
                yield from self.later(request)
            else:
                yield request

    @property
    def shared_queue(self) -> bool:
        return bool(self.crawler.settings.get("ARCHIVER_DISTRIBUTED_RUN"))

    @property
    def listing_priority(self) -> int:
        return SHARED_QUEUE_LISTING_PRIORITY if self.shared_queue else LISTING_PRIORITY

    def later(self, request: Request) -> Iterable[Request]:
        """A discovery page that would queue hundreds of articles: held back until the queue is empty."""
        if self.shared_queue:
            yield request.replace(priority=DISCOVERY_BACKLOG_PRIORITY)
        else:
            self._backlog.append(request)

    def release_backlog(self, spider: Spider) -> None:
        """The queue is empty: the next held-back sitemap or REST page, in the order they were found."""
        if self._backlog:
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(self._backlog.popleft())
            raise DontCloseSpider

    async def load_rest_taxonomies(self) -> None:
        """Read users, categories and tags from the REST API before any article is parsed, where it answers."""
        assert self.crawler.engine is not None
        for route in self.rest_routes:
            for page in range(1, self.rest_max_pages + 1):
                url = f"{self.base_url}/wp-json/wp/v2/{route}?per_page=100&page={page}"
                try:
                    response = await self.crawler.engine.download_async(Request(url, dont_filter=True))
                except IgnoreRequest:
                    break  # robots.txt forbids it: the site does not want the API crawled
                records = self._rest_records(response)
                if records is None:
                    self.crawler.stats.inc_value(f"archiver/rest/{route}/unavailable")  # type: ignore[union-attr]
                    break
                self.rest.add(route, records)
                if page >= int(response.headers.get(b"X-WP-TotalPages", b"1") or 1):
                    break

    def _rest_records(self, response: Response) -> list[Any] | None:
        if response.status != 200 or not isinstance(response, TextResponse):
            return None
        try:
            data = json.loads(response.text)
        except ValueError:
            return None
        return data if isinstance(data, list) else None

    def parse_rest_posts(self, response: Response) -> Iterable[Request]:
        records = self._rest_records(response)
        if records is None:
            return
        for record in records:
            link = record.get("link") if isinstance(record, dict) else None
            if isinstance(link, str):
                yield from self._article_request(link, response, trusted=True)
        page = int(re.search(r"[?&]page=(\d+)", response.url)[1])  # type: ignore[index]
        if page < min(int(response.headers.get(b"X-WP-TotalPages", b"1") or 1), self.rest_max_pages * 10):
            # Like sitemaps: the next 100 posts once the queue has drained, not all pages up front.
            yield from self.later(Request(re.sub(r"([?&]page=)\d+", rf"\g<1>{page + 1}", response.url),
                                          callback=self.parse_rest_posts))

    def parse_feed(self, response: Response) -> Iterable[Request]:
        for link in response.xpath("//item/link/text()").getall():
            yield from self._article_request(link.strip(), response, priority=5, trusted=True)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            return
        listing = ListingPage(Page(response.url, response.text))
        teasers, titles = listing.teaser_links(), listing.post_title_links()
        for url in teasers:
            yield from self._article_request(url, response)
        for url in titles:
            yield from self._article_request(url, response, trusted=True)
        articles = [url for url in map(strip_tracking, teasers + titles) if self.is_article(url, trusted=True)]
        if self.mode == "update" and articles and all(self.state.is_known(url) for url in articles):
            return  # newest first: a page of only known articles means the rest is known too
        for url in listing.next_page_links():
            if self.is_listing_trap(url):
                self.crawler.stats.inc_value("archiver/traps_avoided")  # type: ignore[union-attr]
                continue
            yield Request(url, callback=self.parse_listing, priority=self.listing_priority)
            if self.mode == "crawl":
                yield from self._pages_after(url)

    def _pages_after(self, url: str) -> Iterable[Request]:
        parts = urlsplit(url)
        number = PAGE_NUMBER.search(parts.path)
        if number is None:
            return
        for ahead in range(1, LISTING_LOOKAHEAD + 1):
            path = parts.path[:number.start(1)] + str(int(number[1]) + ahead) + parts.path[number.end(1):]
            candidate = parts._replace(path=path).geturl()
            if self.is_listing_trap(candidate):
                return
            yield Request(candidate, callback=self.parse_listing, priority=self.listing_priority)

    def is_listing_trap(self, url: str) -> bool:
        """Pagination that never ends: date archives (?m=, /2026/11/), search results, absurd page numbers."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self.host or re.search(r"(?:^|&)(?:m|s|year|monthnum|day)=", parts.query):
            return True
        page = PAGE_NUMBER.search(parts.path) or re.search(r"(?:^|&)paged=(\d+)", parts.query)
        return page is not None and int(page[1]) > self.crawler.settings.getint("ARCHIVER_MAX_LISTING_PAGES", 5000)

    def _article_request(self, url: str, response: Response, priority: int = 0,
                         trusted: bool = False) -> Iterable[Request]:
        url = strip_tracking(url)
        if not self.is_article(url, trusted) or url in self.state.done_in_interrupted_runs:
            return
        if self._done_posts and post_id_from_url(url) in self._done_posts:
            return  # another path (moved category, ?p=) to an article the interrupted run finished
        if self.mode == "update" and self.state.is_known(url):
            if self.state.due_for_recheck(url):
                yield self._known_request(url)
            return
        yield Request(url, callback=self.parse_article, errback=self.article_error, priority=priority)

    def is_article(self, url: str, trusted: bool = False) -> bool:
        """Same host, and the site's permalink grammar (or any post permalink, or a post source vouches)."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self.host:
            return False
        if self._article_re is not None:
            return bool(self._article_re.search(parts.path))
        return trusted or is_article_url(url)

    # --- articles --------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Any]:
        capture = response.meta.get("warc_capture")
        if capture is None and self.crawler.settings.getbool("ARCHIVER_WARC_ENABLED", True):
            return  # the WARC writer failed and is stopping the crawl: store nothing it did not archive
        if response.status == 304:
            self.crawler.stats.inc_value("archiver/articles/not_modified")  # type: ignore[union-attr]
            yield NotModified(url=response.url, capture=capture)
            return
        if not isinstance(response, TextResponse):
            yield self._failure(response, "response is not text (Content-Type "
                                f"{(response.headers.get(b'Content-Type') or b'').decode('latin-1')!r})", capture)
            return
        if "dataloss" in response.flags:
            yield self._failure(response, "body truncated (connection lost before Content-Length)", capture)
            return
        page, warning = article_page(response)
        try:
            item = extract(page, layout=self.layout)
            if warning is not None:
                item.warnings.append(warning)
                self.crawler.stats.inc_value("archiver/charset_corrected")  # type: ignore[union-attr]
        except ExtractionError as error:
            yield self._failure(response, error.reason, capture, error.layout)
            return
        if self.rest:
            complete_from_rest(item, self.rest)
        item.fetched_url = response.url
        item.capture = capture
        self.crawler.stats.inc_value(f"archiver/layout/{item.layout}")  # type: ignore[union-attr]
        yield item
        yield from self.follow_from_article(response, page, item)

    def follow_from_article(self, response: Response, page: Page, item: Any) -> Iterable[Request]:
        # The page's own tree: response.xpath would parse the page a second time.
        for href in page.doc.select(ARTICLE_NEIGHBOURS):
            yield from self._article_request(response.urljoin(href), response)
        for url in item.links.internal:
            yield from self._article_request(url, response)
        new_or_changed = not self.state.is_known(response.url) or response.meta.get("archiver_changed")
        if self.crawler.settings.getbool("ARCHIVER_FETCH_IMAGES", True) and (self.mode == "crawl" or new_or_changed):
            for image in item.images:
                if urlsplit(image.url).scheme in ("http", "https") and \
                        image.url not in self.state.done_in_interrupted_runs:
                    yield Request(image.url, callback=self.parse_image, priority=IMAGE_PRIORITY)

    def article_error(self, failure: Failure) -> Iterable[Any]:
        """An article response that arrived (and is archived) but could not be handled, e.g. a decompression
        bomb over DOWNLOAD_MAXSIZE: a recorded failure, not a silent drop. Network errors have no capture."""
        request = getattr(failure, "request", None)
        capture = request.meta.get("warc_capture") if request is not None else None
        if request is None or capture is None:
            return
        reason = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
        if "DOWNLOAD_MAXSIZE" in reason:
            reason = f"decoded body larger than DOWNLOAD_MAXSIZE, not extracted (truncated): {reason}"
        self.crawler.stats.inc_value("archiver/extraction_failures")  # type: ignore[union-attr]
        self.logger.warning("article %s failed after download: %s", request.url, reason)
        yield ExtractionFailure(url=request.url, reason=reason, capture=capture)

    def parse_image(self, response: Response) -> Iterable[Any]:
        return ()  # archived by the WARC extension; nothing to extract

    def _failure(self, response: Response, reason: str, capture: dict[str, Any] | None,
                 layout: str | None = None) -> ExtractionFailure:
        self.crawler.stats.inc_value("archiver/extraction_failures")  # type: ignore[union-attr]
        self.logger.warning("extraction failed for %s: %s", response.url, reason)
        return ExtractionFailure(url=response.url, reason=reason, layout=layout, capture=capture)


__all__ = ["WordPressSpider", "article_page"]
