"""The generic WordPress news spider: says what to fetch and hands every article page to its page object.

``scrapy crawl wordpress -a base_url=URL`` or ``archiver crawl wordpress --base-url URL``. Discovery: robots.txt
→ post sitemaps, the feeds (RSS and Atom), the front page and its pagination, the REST posts. Each request carries
its role (``meta["archiver_role"]``) and what its source said of it; what the archive already holds decides what is
really fetched (``archiver.crawl.policy``), and pages that would queue hundreds of requests wait
(``archiver.crawl.backlog``). Every selector lives in ``archiver.pages``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from archiver.crawl.archive_view import ArchiveView
from archiver.crawl.backlog import BACKLOG
from archiver.crawl.policy import moved, removal
from archiver.crawl.rest import RestIndexExtension, rest_check_url, rest_records, total_pages
from archiver.exceptions import ConfigurationError, ExtractionError
from archiver.items import CaptureRef, ExtractionFailure, NotModified, Removed
from archiver.normalize.dates import parse_date, parse_utc
from archiver.normalize.urls import is_article_url, strip_tracking
from archiver.pages import Page, extract, page_of
from archiver.pages.feed import read_feed
from archiver.pages.listing import ListingPage, is_listing_trap, pages_after
from archiver.pages.rest_route import UNPUBLISHED_ANSWERS, own_rest_route
from archiver.pages.sitemap import read_sitemap

# What completes a page comes first (its images), then articles, then the next listing page (each adds ~10
# articles): the queue then holds about one listing's worth of requests, not the whole pagination chain.
IMAGE_PRIORITY, FEED_PRIORITY, LISTING_PRIORITY = 20, 5, -5
# Pagination is a chain (page N names only page N+1): a full crawl asks for the next few pages at once, so the
# walk is not the critical path. Pages past the last answer 404: archived, a handful per run.
LISTING_LOOKAHEAD = 4
ARTICLE_NEIGHBOURS = "//a[@rel='prev' or @rel='next']/@href"


class WordPressSpider(Spider):
    name = "wordpress"
    # None: any permalink shape WordPress produces (see archiver.normalize.urls.is_article_url), and every
    # URL a post source names (post sitemaps, feed items, REST posts). Site spiders set their own grammar.
    article_url_re: ClassVar[str | None] = None
    sitemap_follow: ClassVar[list[str]] = [r"post-sitemap\d*\.xml$", r"wp-sitemap-posts-post-\d+\.xml$",
                                           r"sitemap_index\.xml$", r"wp-sitemap\.xml$"]
    default_base_url: ClassVar[str | None] = None
    layout: ClassVar[str] = "auto"

    def __init__(self, base_url: str | None = None, mode: str = "crawl", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = (base_url or self.default_base_url or "").rstrip("/")
        parts = urlsplit(base)
        if not base or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"the {self.name} spider needs -a base_url=URL (http or https), got {base_url!r}")
        if mode not in ("crawl", "update"):
            raise ConfigurationError(f"mode must be crawl or update, got {mode!r}")
        self.base_url, self.mode, self.host = base, mode, parts.netloc.lower()
        self.allowed_domains = [parts.hostname.lower().removeprefix("www.")]
        self._article_re = re.compile(self.article_url_re) if self.article_url_re else None
        self._follow = [re.compile(pattern) for pattern in self.sitemap_follow]

    # --- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        archive = self.crawler.get_extension(ArchiveView)
        rest = self.crawler.get_extension(RestIndexExtension)
        assert archive is not None and rest is not None, "both are among the archiver's EXTENSIONS"
        archive.load(self.host, self.mode, self.is_article)
        await rest.load(self.base_url)  # the REST taxonomies complete every article, so they come first
        async for request in self.seed_requests():
            yield request

    async def seed_requests(self) -> AsyncIterator[Request]:
        """Where discovery starts: robots.txt → sitemaps, the feeds, the front page, the REST posts, re-checks."""
        archive = self.crawler.get_extension(ArchiveView)
        assert archive is not None
        yield Request(f"{self.base_url}/robots.txt", callback=self.parse_robots)
        yield Request(f"{self.base_url}/feed", callback=self.parse_feed, priority=10)
        # The Atom feed dates each entry's last modification (RSS only its publication): an edit signal.
        yield Request(f"{self.base_url}/feed/atom/", callback=self.parse_feed, priority=10)
        yield self.listing_request(f"{self.base_url}/")
        posts = f"{self.base_url}/wp-json/wp/v2/posts?per_page=100&page=1"
        if archive.mode == "update" and archive.last_run_started is not None:
            # UTC said explicitly: WordPress reads a time without an offset in the site's own time zone.
            posts += "&orderby=modified&modified_after=" + archive.last_run_started.strftime("%Y-%m-%dT%H:%M:%SZ")
        yield Request(posts, callback=self.parse_rest_posts, priority=5)
        for url in archive.due_for_recheck(with_post_id=False):
            for request in self.article(url, trusted=True, recheck=True):
                yield request
        for batch in archive.rest_check_batches():  # the rest are re-checked after the REST check (take-downs)
            yield Request(rest_check_url(self.base_url, [post_id for post_id, _ in batch]), priority=5,
                          callback=self.parse_rest_check, errback=self.parse_rest_check,
                          meta={"archiver_rest_check": batch, "handle_httpstatus_all": True})

    def parse_rest_check(self, answer: Response | Failure) -> Iterable[Request]:
        archive = self.crawler.get_extension(ArchiveView)
        for url, unpublished in archive.after_rest_check(answer) if archive is not None else ():
            yield from self.article(url, trusted=True, recheck=True, unpublished=unpublished)

    def parse_robots(self, response: Response) -> Iterable[Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            yield Request(url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        sitemap = read_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        if sitemap is None:
            self.logger.warning("not a sitemap: %s", response.url)
            return
        for entry in sitemap:
            loc = entry.get("loc", "")
            if sitemap.type == "sitemapindex" and any(pattern.search(loc) for pattern in self._follow):
                # The next sitemap queues up to 1,000 articles: it waits until the queue is empty.
                yield Request(loc, callback=self.parse_sitemap, meta={BACKLOG: True})
            elif sitemap.type == "urlset":
                yield from self.article(loc, trusted=True, lastmod=parse_date(entry.get("lastmod")))

    async def parse_rest_posts(self, response: Response) -> AsyncIterator[Request]:
        records = rest_records(response)
        rest = self.crawler.get_extension(RestIndexExtension)
        if records and rest is not None:
            # Each names its author, dates, terms and featured image: they complete the article.
            await rest.add_posts(self.base_url, records)
        for record in records or ():
            link = record.get("link") if isinstance(record, dict) else None
            if isinstance(link, str):
                for request in self.article(link, trusted=True, modified=parse_utc(record.get("modified_gmt"))):
                    yield request
        page = int(re.search(r"[?&]page=(\d+)", response.url)[1])  # type: ignore[index]
        if records and page < total_pages(response):
            yield Request(re.sub(r"([?&]page=)\d+", rf"\g<1>{page + 1}", response.url),
                          callback=self.parse_rest_posts, meta={BACKLOG: True})

    def parse_feed(self, response: Response) -> Iterable[Request]:
        for entry in read_feed(response.body) or ():
            yield from self.article(entry.link, priority=FEED_PRIORITY, trusted=True, feed=entry.changed)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            return
        listing = ListingPage(Page(response.url, response.text))
        for url, trusted in [(u, False) for u in listing.teaser_links()] + \
                            [(u, True) for u in listing.post_title_links()]:
            yield from self.article(url, trusted=trusted)
        for url in listing.next_page_links():
            if self.is_listing_trap(url):
                self.crawler.stats.inc_value("archiver/traps_avoided")  # type: ignore[union-attr]
                continue
            yield self.listing_request(url)
            for ahead in pages_after(url, LISTING_LOOKAHEAD):
                if self.is_listing_trap(ahead):
                    break
                yield self.listing_request(ahead, lookahead=True)

    def listing_request(self, url: str, lookahead: bool = False) -> Request:
        return Request(url, callback=self.parse_listing, priority=LISTING_PRIORITY,
                       meta={"archiver_role": "listing", "archiver_lookahead": lookahead})

    def is_listing_trap(self, url: str) -> bool:
        return is_listing_trap(url, self.host, self.settings.getint("ARCHIVER_MAX_LISTING_PAGES"))

    def article(self, url: str, priority: int = 0, trusted: bool = False, **signals: Any) -> Iterator[Request]:
        """The request for an article page, if the URL is one. ``signals``: ``lastmod``, ``modified``, ``feed``
        (when a sitemap, a REST record or a feed entry says it last changed), ``recheck`` (the archive's re-check
        is due)."""
        url = strip_tracking(url)
        if self.is_article(url, trusted):
            meta = {"archiver_role": "article", **{f"archiver_{k}": v for k, v in signals.items() if v}}
            yield Request(url, callback=self.parse_article, errback=self.article_error, priority=priority, meta=meta)

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
        if capture is None and self.settings.getbool("ARCHIVER_WARC_ENABLED"):
            return  # the WARC writer failed and is stopping the crawl: store nothing it did not archive
        if (status := removal(response, self.is_article)) is not None:
            yield Removed(url=response.url, status=status, capture=capture)
            return
        if (request := moved(response)) is not None:
            yield request
            return
        if response.meta.get("archiver_unpublished") and (route := self._own_route(response)) is not None:
            # The REST check did not list it, yet the page answers: a page or custom type (never in
            # /wp/v2/posts), or a cache serving a post taken down. Its own route says which.
            yield Request(route, callback=self.parse_own_route, errback=self.parse_own_route, priority=5,
                          meta={"archiver_route_of": response.url, "handle_httpstatus_all": True})
            return
        if response.status == 304:
            self.crawler.stats.inc_value("archiver/articles/not_modified")  # type: ignore[union-attr]
            yield NotModified(url=response.url, capture=capture)
            return
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            yield self._failure(response, f"response is not text (Content-Type {content_type!r})", capture)
            return
        if "dataloss" in response.flags:
            yield self._failure(response, "body truncated (connection lost before Content-Length)", capture)
            return
        page, warning = page_of(response.url, response.body, response.encoding, response.text)
        try:
            item = extract(page, layout=self.layout)
        except ExtractionError as error:
            yield self._failure(response, error.reason, capture, error.layout)
            return
        if warning is not None:
            item.warnings.append(warning)
            self.crawler.stats.inc_value("archiver/charset_corrected")  # type: ignore[union-attr]
        item.fetched_url, item.capture = response.url, capture
        self.crawler.stats.inc_value(f"archiver/layout/{item.layout}")  # type: ignore[union-attr]
        yield item
        # The page's own tree: response.xpath would parse the page a second time.
        for url in [response.urljoin(href) for href in page.doc.select(ARTICLE_NEIGHBOURS)] + item.links.internal:
            yield from self.article(url)
        if self.settings.getbool("ARCHIVER_FETCH_IMAGES"):
            for image in item.images:
                if urlsplit(image.url).scheme in ("http", "https"):
                    yield Request(image.url, callback=self.parse_image, priority=IMAGE_PRIORITY,
                                  meta={"archiver_role": "image"})

    @staticmethod
    def _own_route(response: Response) -> str | None:
        links = [value.decode("latin-1") for value in response.headers.getlist(b"Link")]
        return own_rest_route(response.url, links)

    def parse_own_route(self, answer: Response | Failure) -> Iterable[Any]:
        """An article missing from the REST check: its own route says whether it is unpublished; while it is
        published, its page is asked for again as a re-check (the first answer waited for this verdict)."""
        if not isinstance(answer, Response):
            return  # no answer, no verdict: the next update asks again
        url = answer.meta["archiver_route_of"]
        if answer.status in UNPUBLISHED_ANSWERS:
            yield Removed(url=url, status="unpublished", capture=answer.meta.get("warc_capture"))
        elif answer.status == 200:
            for request in self.article(url, trusted=True, recheck=True):
                yield request.replace(dont_filter=True)

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
        yield self._failure(request, reason, capture)

    def parse_image(self, response: Response) -> Iterable[Any]:
        return ()  # archived by the WARC extension; nothing to extract

    def _failure(self, response: Response | Request, reason: str, capture: CaptureRef | None,
                 layout: str | None = None) -> ExtractionFailure:
        self.crawler.stats.inc_value("archiver/extraction_failures")  # type: ignore[union-attr]
        self.logger.warning("extraction failed for %s: %s", response.url, reason)
        return ExtractionFailure(url=response.url, reason=reason, layout=layout, capture=capture)


__all__ = ["WordPressSpider"]
