"""Scrapy's floor: a spider that fetches a fixed list of URLs and does nothing with the responses.

Run by bench/distributed.py as ``scrapy runspider floor_spider.py -a urls=FILE -a out=FILE -a part=I -a parts=N``
with the archiver's concurrency, N processes side by side, each fetching every N-th URL of the list the
archiver's own crawl fetched. No discovery, no capture, no extraction, no storage, no shared queue: what Scrapy
itself costs per response, the most any Scrapy crawler of the same pages could reach. It writes its stats as
JSON to ``out``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from bare_spider import write_responses  # scrapy runspider imports this file with its directory on sys.path
from scrapy import Request, Spider
from scrapy.http import Response


class FloorSpider(Spider):
    name = "floor"

    def __init__(self, urls: str, out: str, part: str = "0", parts: str = "1", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = urls
        self.out = out
        self.part = int(part)
        self.parts = int(parts)

    async def start(self) -> AsyncIterator[Request]:
        with open(self.urls, encoding="utf-8") as lines:
            for number, line in enumerate(lines):
                if number % self.parts == self.part and line.strip():
                    # The list has no duplicates, and a redirect's target is on it too: Scrapy's filter would only
                    # add its fingerprinting, following the redirect would fetch the target twice.
                    yield Request(line.strip(), callback=self.nothing, dont_filter=True,
                                  meta={"dont_redirect": True, "handle_httpstatus_all": True})

    def nothing(self, response: Response) -> Iterable[Any]:
        return ()

    def closed(self, reason: str) -> None:
        write_responses(self, self.out, reason)
