"""The generic WordPress news spider: discovery by sitemaps, feeds and listings; pages by page objects.

``scrapy crawl wordpress -a base_url=URL`` or ``archiver crawl wordpress --base-url URL``.
The spider only decides what to fetch; every selector that reads an article lives in
``archiver.pages``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spiders import SitemapSpider

from archiver.exceptions import ConfigurationError, ExtractionError
from archiver.items import ExtractionFailure
from archiver.normalize.urls import is_article_url, strip_tracking
from archiver.pages import Page, extract

LISTING_LINKS = "//a[contains(concat(' ', normalize-space(@class), ' '), ' next ') or @rel='next']/@href"


class WordPressSpider(SitemapSpider):
    name = "wordpress"
    # Permalinks with a trailing post ID; other sites override ``article_url_re``.
    article_url_re: ClassVar[str] = r"/[a-z0-9-]+(?:/[a-z0-9-]+)*/[a-z0-9-]+-\d+\.html$"
    sitemap_follow = [r"post-sitemap\d*\.xml$", r"wp-sitemap-posts-post-\d+\.xml$",
                                            r"sitemap_index\.xml$", r"wp-sitemap\.xml$"]
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
        self.sitemap_rules = [(self.article_url_re, "parse_article")]
        super().__init__(*args, **kwargs)
        hostname = parts.hostname.lower()
        self.allowed_domains = [hostname.removeprefix("www.")]
        self._article_re = re.compile(self.article_url_re)

    # --- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        async for request in super().start():
            yield request
        yield Request(f"{self.base_url}/feed", callback=self.parse_feed, priority=10)
        yield Request(f"{self.base_url}/", callback=self.parse_listing)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        for link in response.xpath("//item/link/text()").getall():
            yield from self._article_request(link.strip(), response, priority=5)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            return
        for href in response.xpath("//article//a/@href | //h2/a/@href | //h3/a/@href").getall():
            yield from self._article_request(response.urljoin(href), response)
        for href in response.xpath(LISTING_LINKS).getall():
            yield Request(response.urljoin(href), callback=self.parse_listing)

    def _article_request(self, url: str, response: Response, priority: int = 0) -> Iterable[Request]:
        url = strip_tracking(url)
        if self.is_article(url):
            yield Request(url, callback=self.parse_article, priority=priority)

    def is_article(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc.lower() == self.host and bool(self._article_re.search(parts.path))

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


def absolute(base: str, href: str) -> str:
    return urljoin(base, href)


__all__ = ["WordPressSpider", "is_article_url"]
