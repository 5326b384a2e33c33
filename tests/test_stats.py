"""The crawl's stats collector: Scrapy's in-memory collector, less the shim on every attribute read."""

from __future__ import annotations

from scrapy import Spider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from archiver.crawl import settings as project_settings
from archiver.crawl.stats import PlainStatsCollector


def test_the_crawl_uses_it_and_it_reads_attributes_plainly() -> None:
    crawler = get_crawler(Spider, {"STATS_CLASS": project_settings.STATS_CLASS})
    assert isinstance(crawler.stats, PlainStatsCollector)
    # Scrapy's StatsCollector.__getattribute__ wraps methods to warn about a `spider` argument; ours does not.
    assert type(crawler.stats).__getattribute__ is object.__getattribute__
    assert type(crawler.stats).inc_value is MemoryStatsCollector.inc_value


def test_it_counts_like_scrapys_collector() -> None:
    crawler = get_crawler(Spider)
    ours, scrapys = PlainStatsCollector(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, scrapys):
        stats.open_spider()
        stats.inc_value("pages")
        stats.inc_value("pages", 4)
        stats.max_value("queue/peak", 7)
        stats.max_value("queue/peak", 3)
        stats.min_value("first", 5)
        stats.min_value("first", 2)
        stats.set_value("mode", "crawl")
    assert ours.get_stats() == scrapys.get_stats() == {"pages": 5, "queue/peak": 7, "first": 2, "mode": "crawl"}
    assert ours.get_value("missing", 0) == 0
