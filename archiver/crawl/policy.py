"""Crawl policy for the requests a spider yields: resume, update filtering, conditional requests.

The spider says what a request is (``meta["archiver_role"]``: ``article``, ``image`` or ``listing``) and what its
source said about it (a sitemap's ``lastmod``, a REST record's ``modified``, a feed entry's date); this spider
middleware decides, from what the archive holds (``ArchiveView``), whether it is fetched and how — as Scrapy's
offsite and depth middlewares filter requests:

- any run drops what an interrupted run already archived and stored (resume);
- an update run fetches a known article only when a source names it changed or its re-check is due, and then
  conditionally (``If-None-Match`` / ``If-Modified-Since``; a 304 is archived and costs almost nothing);
- a known article that answers 404 or 410, redirects away from itself, or that the REST API no longer lists
  while its own route says it is gone, is taken down (``removal``); a taken-down article is asked for again,
  unconditionally, in every update run;
- an update run follows images only from new or changed articles, asks for no listing pages ahead, and stops
  paging a listing whose articles are all known (newest first: the rest is known too).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from ..normalize.takedowns import REDIRECTS, REMOVED_STATUSES, answer_removal
from .archive_view import ArchiveView

ROLE = "archiver_role"
# The datetime each source gave for the article, by the name ARCHIVER_CHANGE_SIGNALS switches it with.
CHANGE_SIGNALS = {"lastmod": "archiver_lastmod", "rest": "archiver_modified", "feed": "archiver_feed"}


# A known article's answers that the spider must see: 304 (unchanged), the take-downs and the redirects (Scrapy's
# HttpErrorMiddleware would drop them before the callback). Its redirects are not followed by Scrapy: the
# redirect to a page this run already fetched (the front page) would be dropped as a duplicate, and the spider
# never told; ``removal`` judges the redirect and ``moved`` follows one to the article's own new place.
KNOWN_STATUSES = [304, *REMOVED_STATUSES, *REDIRECTS]


def conditional(request: Request, view: ArchiveView, changed: bool) -> Request:
    """The known article's request, asking only for what changed since the archived copy."""
    meta = {**request.meta, "archiver_changed": changed, "archiver_known": True, "dont_redirect": True,
            "handle_httpstatus_list": KNOWN_STATUSES}
    request = request.replace(meta=meta)
    if "conditional" in view.signals:
        for name, value in view.state.conditional_headers(request.url).items():
            request.headers[name] = value
    return request


def removed_again(request: Request) -> Request:
    """A taken-down article's request: unconditional, so that a restore brings the whole page back."""
    return request.replace(meta={**request.meta, "archiver_changed": True, "archiver_known": True,
                                 "dont_redirect": True, "handle_httpstatus_list": KNOWN_STATUSES})


def removal(response: Response, is_article: Callable[[str], bool]) -> str | None:
    """How a known article's answer says it was taken down (``404``, ``410``, ``redirect:<url>``), or None while
    it is there. The REST check's "no longer listed" is no verdict: the article may be a page or a custom post
    type, which ``/wp/v2/posts`` never lists; the spider asks the article's own route (``unpublished``)."""
    if not response.meta.get("archiver_known"):
        return None
    return answer_removal(response.url, response.status, _redirect_target(response), is_article)


def moved(response: Response) -> Request | None:
    """A known article redirected to its own new place: the request there, Scrapy following what comes next."""
    target = _redirect_target(response) if response.meta.get("archiver_known") else None
    if target is None:
        return None
    meta = {**response.meta, "archiver_known": False, "dont_redirect": False, "handle_httpstatus_list": [304]}
    return response.request.replace(url=target, meta=meta)  # type: ignore[union-attr]


def _redirect_target(response: Response) -> str | None:
    location = response.headers.get(b"Location") if response.status in REDIRECTS else None
    return response.urljoin(location.decode("latin-1")) if location else None


class OutputPolicy:
    """The policy over one callback's output; listing pages wait until the output's articles are seen."""

    def __init__(self, view: ArchiveView, crawler: Crawler, response: Response | None) -> None:
        self.view, self.stats, self.response = view, crawler.stats, response
        self.listings: list[Request] = []
        self.articles = self.known = 0

    @property
    def update(self) -> bool:
        # Read at each request: the start requests' filter exists before the spider's start loads the view.
        return self.view.mode == "update"

    def take(self, obj: Any) -> Any | None:
        """What goes on in place of ``obj`` (itself, a conditional request), or None. A plain function, not a
        generator: it runs for every object every callback yields."""
        role = obj.meta.get(ROLE) if isinstance(obj, Request) else None
        if role is None:
            return obj
        if role == "article":
            return self._article(obj)
        if role == "image":
            keep = not self.view.finished_before(obj.url) and (not self.update or self._from_new_or_changed())
            return obj if keep else None
        if role == "listing" and self.update:
            if not obj.meta.get("archiver_lookahead"):
                self.listings.append(obj)
            return None
        return obj

    def finish(self) -> list[Request]:
        if self.articles and self.known == self.articles:
            return []  # a listing page of only known articles: the older pages are known too
        return self.listings

    def _from_new_or_changed(self) -> bool:
        response = self.response
        return response is None or not self.view.state.is_known(response.url) or \
            bool(response.meta.get("archiver_changed"))

    def _article(self, request: Request) -> Request | None:
        assert self.stats is not None
        url, state = request.url, self.view.state
        if self.view.finished_before(url):
            self.stats.inc_value("archiver/resume/skipped")
            return None
        if not self.update:
            return request
        self.articles += 1
        if not state.is_known(url):
            return request
        self.known += 1
        enabled = self.view.signals
        signals: list[datetime] = [request.meta[key] for name, key in CHANGE_SIGNALS.items()
                                   if name in enabled and request.meta.get(key)]
        if any(state.changed_since_seen(url, moment) for moment in signals):
            self.stats.inc_value("archiver/update/changed")
            return conditional(request, self.view, changed=True)
        if state.is_removed(url):
            self.stats.inc_value("archiver/update/removed_rechecks")
            return removed_again(request)
        if request.meta.get("archiver_recheck") or self.view.recheck_due(url):
            self.stats.inc_value("archiver/update/rechecks")
            return conditional(request, self.view, changed=False)
        self.stats.inc_value("archiver/update/skipped_unchanged")
        return None


class ArchivePolicyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePolicyMiddleware:
        return cls(crawler)

    def _filter(self, response: Response | None) -> OutputPolicy:
        view = self.crawler.get_extension(ArchiveView)
        assert view is not None, "ArchiveView is one of the archiver's EXTENSIONS"
        return OutputPolicy(view, self.crawler, response)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        policy = self._filter(None)
        async for obj in start:
            if (kept := policy.take(obj)) is not None:
                yield kept

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        policy = self._filter(response)
        for obj in result:
            if (kept := policy.take(obj)) is not None:
                yield kept
        yield from policy.finish()

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        policy = self._filter(response)
        async for obj in result:
            if (kept := policy.take(obj)) is not None:
                yield kept
        for kept in policy.finish():
            yield kept
