"""Listing pages (the front page, ``/page/N/``, category and author archives): the links a spider follows.

A page object like the article layouts, so the spider holds no selector. It reads the page's own lxml tree, not
``response.xpath``: Scrapy's cached selector and its response point at each other, so every listing page's tree
(several hundred kB of libxml2 nodes, outside Python's allocator) lived until an older-generation garbage
collection. Walking the pagination chain, when listing pages arrive fast and make few Python objects, those trees
piled up in the crawl's peak memory.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..normalize.urls import join_url
from ._cache import cached_property
from .base import Page

# Links in post teasers: any link inside an <article>, and headline links (themes without <article>).
TEASER_LINKS = "//article//a/@href | //h2/a/@href | //h3/a/@href"
# WordPress marks a teaser's headline ``entry-title``: those links are posts even when their URL does not say so.
POST_TITLE_LINKS = "//*[contains(@class, 'entry-title')]//a/@href"
NEXT_PAGE_LINKS = "//a[contains(concat(' ', normalize-space(@class), ' '), ' next ') or @rel='next']/@href"
PAGE_NUMBER = re.compile(r"/page/(\d+)/?$")
# Archives that page without end: date archives (?m=, ?year=), search results.
ENDLESS_QUERY = re.compile(r"(?:^|&)(?:m|s|year|monthnum|day)=")
PAGED_QUERY = re.compile(r"(?:^|&)paged=(\d+)")


def is_listing_trap(url: str, host: str, max_pages: int) -> bool:
    """Pagination that never ends: another host, date archives, search results, absurd page numbers."""
    parts = urlsplit(url)
    if parts.netloc.lower() != host or ENDLESS_QUERY.search(parts.query):
        return True
    page = PAGE_NUMBER.search(parts.path) or PAGED_QUERY.search(parts.query)
    return page is not None and int(page[1]) > max_pages


def pages_after(url: str, count: int) -> list[str]:
    """The ``count`` WordPress-numbered listing pages after ``url`` (/page/N/ → N+1 …); none for other URLs."""
    parts = urlsplit(url)
    number = PAGE_NUMBER.search(parts.path)
    if number is None:
        return []
    return [parts._replace(path=parts.path[:number.start(1)] + str(int(number[1]) + ahead)
                           + parts.path[number.end(1):]).geturl() for ahead in range(1, count + 1)]


class ListingPage:
    """The absolute links of a listing page, in document order."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.doc = page.doc

    @cached_property
    def _base(self) -> str:
        """Where relative links resolve from: the page's ``<base href>`` when it has one."""
        base = self.doc.root.find(".//base[@href]")
        return join_url(self.page.url, base.get("href") or "") if base is not None else self.page.url

    def _links(self, query: str) -> list[str]:
        return [join_url(self._base, str(href)) for href in self.doc.select(query)]

    def teaser_links(self) -> list[str]:
        """Links in the teasers: articles, but also their categories, authors and tags."""
        return self._links(TEASER_LINKS)

    def post_title_links(self) -> list[str]:
        """Headline links the theme marks as posts."""
        return self._links(POST_TITLE_LINKS)

    def next_page_links(self) -> list[str]:
        """The link(s) to the next, older listing page."""
        return self._links(NEXT_PAGE_LINKS)


__all__ = ["NEXT_PAGE_LINKS", "POST_TITLE_LINKS", "TEASER_LINKS", "ListingPage", "is_listing_trap", "pages_after"]
