"""The baseline: a bare Scrapy CrawlSpider that follows every link of the site and keeps nothing.

Run by bench/crawl.py as ``scrapy runspider bare_spider.py -a base_url=URL -a out=FILE`` with the
archiver's concurrency; it writes its stats as JSON to FILE.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class BareSpider(CrawlSpider):
    name = "bare"

    def __init__(self, base_url: str, out: str, *args: Any, **kwargs: Any) -> None:
        self.start_urls = [base_url.rstrip("/") + "/"]
        self.allowed_domains = [urlsplit(base_url).hostname or ""]
        self.out = out
        # Off-site links are dropped by Scrapy's OffsiteMiddleware (LinkExtractor's allow_domains ignores ports).
        self.rules = (Rule(LinkExtractor(), follow=True),)
        super().__init__(*args, **kwargs)

    def closed(self, reason: str) -> None:
        write_responses(self, self.out, reason)


def write_responses(spider: Spider, out: str, reason: str) -> None:
    """What the benchmark reads of a bare spider's run: why it closed and how many responses it downloaded."""
    stats = spider.crawler.stats.get_stats()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"reason": reason, "responses": stats.get("downloader/response_count", 0)}, handle)
