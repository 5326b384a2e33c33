"""Spider-level behaviour on crafted responses: failures are recorded with their reason, never dropped."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.selector import Selector
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from archiver.crawl import settings as archiver_settings
from archiver.crawl.archive_view import ArchiveView
from archiver.crawl.policy import OutputPolicy
from archiver.items import ArticleItem, CaptureRef, ExtractionFailure
from archiver.pages import Page
from archiver.pages.query import Document
from archiver.storage.state import KnownArticle
from spiders.tarnkappe import TarnkappeSpider

from .conftest import SAMPLES

URL = "https://tarnkappe.info/artikel/krypto/krypto-boerse-garantex-keine-geldwaesche-mehr-fuer-ganoven-311235.html"
CAPTURE = CaptureRef(record_id="<urn:uuid:1>", warc_file="a.warc.gz", offset=0)


def project_crawler(**overrides: Any) -> Crawler:
    """A crawler with the archiver's own settings (archiver.crawl.settings), as `archiver crawl` runs it, but
    nothing built from them: these tests call the spider's callbacks and start no crawl (no WARC writer)."""
    settings = Settings()
    settings.setmodule(archiver_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    crawler = Crawler(TarnkappeSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.stats.open_spider()
    return crawler


def spider(**overrides: Any) -> TarnkappeSpider:
    crawler = project_crawler(**{"ARCHIVER_FETCH_IMAGES": False, **overrides})
    return crawler._create_spider(base_url="https://tarnkappe.info")  # type: ignore[no-any-return]


def respond(body: bytes, url: str = URL, content_type: bytes = b"text/html; charset=utf-8",
            flags: list[str] | None = None) -> Response:
    request = Request(url, meta={"warc_capture": CAPTURE})
    response_class = HtmlResponse if content_type.startswith(b"text/html") else Response
    return response_class(url, body=body, headers={"Content-Type": content_type}, request=request, flags=flags or [])


def test_real_page_yields_an_item_with_its_capture() -> None:
    results = list(spider().parse_article(respond((SAMPLES / "live-approx-311235.html").read_bytes())))
    items = [r for r in results if isinstance(r, ArticleItem)]
    assert len(items) == 1 and items[0].capture == CAPTURE and items[0].post_id == 311235


def test_broken_pages_become_recorded_failures() -> None:
    cases = [
        respond(b"<html><head><title>Kaputt</title><body><div><p>Unclosed <b>markup <article><h1>"),
        respond(b""),
        respond(b"<html><head><title>Nur ein Kopf</title></head></html>"),  # no <body> at all
        respond(b"%PDF-1.4 not html at all", content_type=b"application/pdf"),
        respond((SAMPLES / "live-approx-311235.html").read_bytes()[:5000], flags=["dataloss"]),
    ]
    instance = spider()
    for response in cases:
        (result,) = list(instance.parse_article(response))
        assert isinstance(result, ExtractionFailure)
        assert result.reason and result.url == URL and result.capture == CAPTURE
    assert instance.crawler.stats.get_value("archiver/extraction_failures") == len(cases)  # type: ignore[union-attr]


def test_nothing_is_stored_for_a_page_the_warc_writer_did_not_archive() -> None:
    response = respond((SAMPLES / "live-approx-311235.html").read_bytes())
    response.request.meta.pop("warc_capture")  # type: ignore[union-attr]
    assert list(spider().parse_article(response)) == []


LISTING = (b'<html><body><main><article><h2><a href="/artikel/x/eins-1.html">Eins</a></h2></article>'
           b'<nav class="pagination"><a class="pagination-previous" href="/page/6/">Neuere</a>'
           b'<a class="pagination-next next page-numbers" href="/page/8/">\xc3\x84ltere</a></nav></main></body></html>')


def test_a_full_crawl_asks_for_the_next_listing_pages_at_once_an_update_for_one() -> None:
    """Pagination is a chain; walked one page at a time it was the slow tail of a fast crawl. An update run (the
    policy middleware) asks for the next page only."""
    instance = spider()
    response = respond(LISTING, url="https://tarnkappe.info/page/7/")
    output = list(instance.parse_listing(response))
    listings = [r.url for r in output if isinstance(r, Request) and r.callback == instance.parse_listing]
    assert listings == [f"https://tarnkappe.info/page/{n}/" for n in range(8, 13)]
    view = ArchiveView(instance.crawler, "sqlite://", distributed=False)
    view.mode = "update"
    policy = OutputPolicy(view, instance.crawler, response)
    kept = [request for obj in output if (request := policy.take(obj)) is not None] + policy.finish()
    assert [r.url for r in kept if r.callback == instance.parse_listing] == ["https://tarnkappe.info/page/8/"]
    # A listing page whose articles are all known: the older pages are known too, none is asked for.
    view.state.articles["https://tarnkappe.info/artikel/x/eins-1.html"] = KnownArticle(
        "https://tarnkappe.info/artikel/x/eins-1.html", 1, None, None, datetime.now(UTC))
    policy = OutputPolicy(view, instance.crawler, response)
    kept = [request for obj in output if (request := policy.take(obj)) is not None] + policy.finish()
    assert [r.url for r in kept if r.callback == instance.parse_listing] == []


def test_articles_come_before_listings_and_images_before_articles() -> None:
    """The queue stays short because what completes a page is fetched before what discovers more pages."""
    instance = spider()
    requests = [r for r in instance.parse_listing(respond(LISTING, url="https://tarnkappe.info/page/7/"))
                if isinstance(r, Request)]
    article = next(r for r in requests if r.callback == instance.parse_article)
    listing = next(r for r in requests if r.callback == instance.parse_listing)
    assert article.priority > listing.priority
    with_images = spider(ARCHIVER_FETCH_IMAGES=True)
    found = [r for r in with_images.parse_article(respond((SAMPLES / "live-approx-311235.html").read_bytes()))
             if isinstance(r, Request)]
    images = [r for r in found if r.callback == with_images.parse_image]
    articles = [r for r in found if r.callback == with_images.parse_article]
    assert images and articles
    assert min(r.priority for r in images) > max(r.priority for r in articles)


def test_listing_links_resolve_against_the_pages_base_href() -> None:
    body = (b'<html><head><base href="https://tarnkappe.info/archiv/"></head><body><article>'
            b'<h2 class="entry-title"><a href="../artikel/x/zwei-2.html">Zwei</a></h2></article>'
            b'<a rel="next" href="page/3/">weiter</a></body></html>')
    instance = spider()
    requests = [r for r in instance.parse_listing(respond(body, url="https://tarnkappe.info/page/2/"))
                if isinstance(r, Request)]
    assert {r.url for r in requests if r.callback == instance.parse_article} == \
        {"https://tarnkappe.info/artikel/x/zwei-2.html"}
    assert next(r.url for r in requests if r.callback == instance.parse_listing) == \
        "https://tarnkappe.info/archiv/page/3/"


def test_a_handled_page_leaves_no_reference_cycle_behind() -> None:
    """A page's parsed tree is freed when its callback is done, not at the next older-generation garbage
    collection: Scrapy's cached selector and its response form a cycle, and listing pages that went through it
    piled up 15 MB of trees while the crawl walked the pagination."""
    instance = spider()

    def cyclic_garbage(callback: Callable[[Response], Iterable[object]], body: bytes, url: str) -> list[str]:
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable stays in gc.garbage to look at
        try:
            for _ in callback(respond(body, url=url)):
                pass
            gc.collect()
            return [type(o).__name__ for o in gc.garbage if isinstance(o, (Response, Selector, Document, Page))]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    assert cyclic_garbage(instance.parse_listing, LISTING, "https://tarnkappe.info/page/7/") == []
    assert cyclic_garbage(instance.parse_article, (SAMPLES / "live-approx-311235.html").read_bytes(), URL) == []
