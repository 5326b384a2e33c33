"""The crawl's stats collector: Scrapy's in-memory one, with plain attribute access."""

from __future__ import annotations

from typing import Any

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    """``MemoryStatsCollector`` without the per-read deprecation shim (``STATS_CLASS``).

    Scrapy routes every attribute read of a stats collector through ``__getattribute__`` to warn callers that
    still pass the deprecated ``spider`` argument; reading the collector's own ``_stats`` raises and catches an
    AttributeError inside it each time, many times slower than the read itself, and a response makes a few dozen
    such calls (Scrapy's downloader, scheduler and scraper counters, then the archiver's). The methods still
    accept ``spider``; only the warning is gone.
    """

    __getattribute__ = object.__getattribute__


def finish_reason(stats: dict[str, Any], reason: str | None = None) -> str:
    """The run's finish reason: Scrapy's, unless the WARC files or the database failed. Such a failure can surface
    while the engine is already closing (the WARC writer's last answers are read then), when Scrapy has already
    settled on "finished"."""
    reason = reason or str(stats.get("finish_reason", "unknown"))
    if stats.get("archiver/storage/error"):
        return "storage_error"
    if stats.get("archiver/warc/error"):
        return "warc_error"
    return reason


__all__ = ["PlainStatsCollector", "finish_reason"]
