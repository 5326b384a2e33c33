"""The generic WordPress news spider: discovery by sitemaps, feeds and listings; pages by page objects.

``scrapy crawl wordpress -a base_url=URL`` or ``archiver crawl wordpress --base-url URL``.
The spider only decides what to fetch; every selector that reads an article lives in
``archiver.pages``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spiders import SitemapSpider

from archiver.exceptions import ConfigurationError, ExtractionError
from archiver.items import ExtractionFailure
from archiver.normalize.rest import RestIndex, complete_from_rest
from archiver.normalize.urls import is_article_url, strip_tracking
from archiver.pages import Page, extract

LISTING_LINKS = "//a[contains(concat(' ', normalize-space(@class), ' '), ' next ') or @rel='next']/@href"


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
        self.sitemap_rules = [(self.article_url_re or "", "parse_article")]
        super().__init__(*args, **kwargs)
        hostname = parts.hostname.lower()
        self.allowed_domains = [hostname.removeprefix("www.")]
        self._article_re = re.compile(self.article_url_re) if self.article_url_re else None
        self.rest = RestIndex()

    # --- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        await self.load_rest_taxonomies()
        async for request in super().start():
            yield request
        yield Request(f"{self.base_url}/feed", callback=self.parse_feed, priority=10)
        yield Request(f"{self.base_url}/", callback=self.parse_listing)
        yield Request(f"{self.base_url}/wp-json/wp/v2/posts?per_page=100&page=1", callback=self.parse_rest_posts,
                      priority=5)

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
            yield Request(re.sub(r"([?&]page=)\d+", rf"\g<1>{page + 1}", response.url),
                          callback=self.parse_rest_posts, priority=5)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        for link in response.xpath("//item/link/text()").getall():
            yield from self._article_request(link.strip(), response, priority=5, trusted=True)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            return
        for href in response.xpath("//article//a/@href | //h2/a/@href | //h3/a/@href").getall():
            yield from self._article_request(response.urljoin(href), response)
        for href in response.xpath("//*[contains(@class, 'entry-title')]//a/@href").getall():
            yield from self._article_request(response.urljoin(href), response, trusted=True)
        for href in response.xpath(LISTING_LINKS).getall():
            yield Request(response.urljoin(href), callback=self.parse_listing)

    def _article_request(self, url: str, response: Response, priority: int = 0,
                         trusted: bool = False) -> Iterable[Request]:
        url = strip_tracking(url)
        if self.is_article(url, trusted):
            yield Request(url, callback=self.parse_article, priority=priority)

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
        if not isinstance(response, TextResponse):
            yield self._failure(response, "response is not text (Content-Type "
                                f"{(response.headers.get(b'Content-Type') or b'').decode('latin-1')!r})", capture)
            return
        if "dataloss" in response.flags:
            yield self._failure(response, "body truncated (connection lost before Content-Length)", capture)
            return
        try:
            item = extract(Page(response.url, response.text, response.selector), layout=self.layout)
        except ExtractionError as error:
            yield self._failure(response, error.reason, capture, error.layout)
            return
        if self.rest:
            complete_from_rest(item, self.rest)
        item.fetched_url = response.url
        item.capture = capture
        self.crawler.stats.inc_value(f"archiver/layout/{item.layout}")  # type: ignore[union-attr]
        yield item
        yield from self.follow_from_article(response, item)

    def follow_from_article(self, response: Response, item: Any) -> Iterable[Request]:
        for href in response.xpath("//nav[@id='bottom-navigation']//a[@rel='prev' or @rel='next']/@href | "
                                   "//a[@rel='prev' or @rel='next']/@href").getall():
            yield from self._article_request(response.urljoin(href), response)
        for url in item.links.internal:
            yield from self._article_request(url, response)
        if self.crawler.settings.getbool("ARCHIVER_FETCH_IMAGES", True):
            for image in item.images:
                if urlsplit(image.url).scheme in ("http", "https"):
                    yield Request(image.url, callback=self.parse_image, priority=-10)

    def parse_image(self, response: Response) -> Iterable[Any]:
        return ()  # archived by the WARC extension; nothing to extract

    def _failure(self, response: Response, reason: str, capture: dict[str, Any] | None,
                 layout: str | None = None) -> ExtractionFailure:
        self.crawler.stats.inc_value("archiver/extraction_failures")  # type: ignore[union-attr]
        self.logger.warning("extraction failed for %s: %s", response.url, reason)
        return ExtractionFailure(url=response.url, reason=reason, layout=layout, capture=capture)


__all__ = ["WordPressSpider"]
