"""The baseline: a bare Scrapy CrawlSpider that follows every link of the site and keeps nothing.

Run by bench/crawl.py as ``scrapy runspider bare_spider.py -a base_url=URL -a out=FILE`` with the
archiver's concurrency; it writes its stats as JSON to FILE.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

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
        stats = self.crawler.stats.get_stats()
        with open(self.out, "w", encoding="utf-8") as handle:
            json.dump({"reason": reason, "responses": stats.get("downloader/response_count", 0)}, handle)
