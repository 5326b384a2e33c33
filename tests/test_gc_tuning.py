"""The crawl's garbage-collector threshold: raised while the spider runs, Python's own again afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archiver.crawl import settings as project_settings
from archiver.crawl.gc_tuning import GarbageCollectorTuning


@pytest.fixture
def python_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 11, 12)
    yield 700, 11, 12
    gc.set_threshold(*before)


def test_threshold_is_raised_while_the_spider_runs_and_restored_after(
        python_thresholds: tuple[int, int, int]) -> None:
    crawler = get_crawler(Spider, {"ARCHIVER_GC_THRESHOLD": 5000})
    extension = GarbageCollectorTuning.from_crawler(crawler)  # signals hold their receivers weakly
    spider = Spider("s")
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert gc.get_threshold() == (5000, 11, 12)  # the older generations keep their ratios
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert gc.get_threshold() == python_thresholds
    assert extension.previous is None


def test_zero_leaves_the_collector_alone(python_thresholds: tuple[int, int, int]) -> None:
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(get_crawler(Spider, {"ARCHIVER_GC_THRESHOLD": 0}))
    assert gc.get_threshold() == python_thresholds


def test_the_project_enables_it() -> None:
    assert "archiver.crawl.gc_tuning.GarbageCollectorTuning" in project_settings.EXTENSIONS
    assert project_settings.ARCHIVER_GC_THRESHOLD == 7000
