"""What a run shows about itself while it goes on: a live progress line (rich, only when stderr is a terminal)
and the peak depth of the request queue."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ProgressExtension:
    def __init__(self, crawler: Crawler, console: Console) -> None:
        self.crawler = crawler
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task = self.progress.add_task("starting", total=None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("ARCHIVER_PROGRESS"):
            raise NotConfigured  # off unless stderr is a terminal: the normal case, not worth a warning
        extension = cls(crawler, Console(stderr=True))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.update, signal=signals.response_received)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Any) -> None:
        self.progress.start()

    def update(self, **kwargs: Any) -> None:
        stats = self.crawler.stats
        assert stats is not None
        get = stats.get_value
        self.progress.update(self.task, description=(
            f"{get('response_received_count', 0)} pages · {get('archiver/articles/new', 0)} new · "
            f"{get('archiver/articles/changed', 0)} changed · {get('archiver/articles/not_modified', 0)} not modified"
            f" · {get('archiver/extraction_failures', 0)} failures"))

    def closed(self, spider: Any) -> None:
        self.progress.stop()


class QueuePeakExtension:
    """Records the deepest the scheduler queue got (stat ``archiver/queue/peak``): the crawl's memory follows it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QueuePeakExtension:
        extension = cls(crawler)
        crawler.signals.connect(extension.scheduled, signal=signals.request_scheduled)
        return extension

    def scheduled(self, **kwargs: Any) -> None:
        stats = self.crawler.stats
        assert stats is not None
        waiting = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        stats.max_value("archiver/queue/peak", waiting)
