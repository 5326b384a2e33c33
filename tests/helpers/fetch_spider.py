"""A test spider that fetches the given URLs through the archiver's downloader stack and keeps nothing.

``scrapy runspider tests/helpers/fetch_spider.py -a urls='["http://…"]'`` from the project root, so
the capture extension archives every exchange exactly as in a real crawl.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import scrapy


class FetchSpider(scrapy.Spider):
    name = "fetch"

    def __init__(self, urls: str = "[]", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls: list[str] = json.loads(urls)

    async def start(self) -> Any:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> Iterator[Any]:
        return iter(())

    def failed(self, failure: Any) -> None:
        self.logger.info("request failed: %s", failure.value)
