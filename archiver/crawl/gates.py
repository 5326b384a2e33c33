"""The run's verdict: the exit code and its one-line reason, from the crawl's stats and the quality gates.

Gates are settings, read the Scrapy way: ``ARCHIVER_MAX_ERROR_RATE`` (failed or 5xx requests per request; above it
the crawl failed, exit 1), ``ARCHIVER_MAX_FAILURE_RATE`` (extraction failures per parsed article page; exit 3),
``ARCHIVER_STALE_DAYS`` (0 = off; the newest stored article older than this, exit 3), and the drift alarm (exit 3):
a field that the site's archived articles had in at least ``ARCHIVER_DRIFT_BASELINE`` of them is missing in more
than ``ARCHIVER_DRIFT_MAX_MISSING`` of this run's new and changed articles — how a theme change shows itself
(``ARCHIVER_DRIFT_MIN_ARTICLES`` on both sides, else no judgement). The extension records the
verdict in the stats (``archiver/verdict/code``, ``archiver/verdict/reason``) when the spider closes, so
``scrapy crawl -s …`` and ``archiver crawl -s …`` judge a run alike; the CLI turns it into its exit code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from sqlalchemy.exc import SQLAlchemyError

from ..exceptions import ArchiveNotFound, StorageError
from ..items import FILLED_FIELDS
from ..locations import resolve_db_url
from .stats import finish_reason

logger = logging.getLogger(__name__)
OK, FAILED, QUALITY = 0, 1, 3


@dataclass(frozen=True)
class Gates:
    max_error_rate: float
    max_failure_rate: float
    stale_days: int
    drift_baseline: float = 0.9
    drift_max_missing: float = 0.2
    drift_min_articles: int = 5

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Gates:
        return cls(settings.getfloat("ARCHIVER_MAX_ERROR_RATE"), settings.getfloat("ARCHIVER_MAX_FAILURE_RATE"),
                   settings.getint("ARCHIVER_STALE_DAYS"), settings.getfloat("ARCHIVER_DRIFT_BASELINE"),
                   settings.getfloat("ARCHIVER_DRIFT_MAX_MISSING"), settings.getint("ARCHIVER_DRIFT_MIN_ARTICLES"))


# (articles the archive held before the run, field -> the share of them that had it)
Baseline = tuple[int, dict[str, float]]


def fill_rates(stats: dict[str, Any]) -> dict[str, float]:
    """This run's share of new and changed articles that have each field (empty when it stored none)."""
    articles = stats.get("archiver/fill/articles", 0)
    return {name: stats.get(f"archiver/fill/{name}", 0) / articles for name in FILLED_FIELDS} if articles else {}


def drift(stats: dict[str, Any], gates: Gates, baseline: Baseline | None) -> str | None:
    """The first field this run lost against the archive, with the layout that lost it most; None if none."""
    articles = stats.get("archiver/fill/articles", 0)
    if baseline is None or min(baseline[0], articles) < gates.drift_min_articles:
        return None
    for name, rate in fill_rates(stats).items():
        missing = articles - stats.get(f"archiver/fill/{name}", 0)
        if baseline[1].get(name, 0.0) >= gates.drift_baseline and missing / articles > gates.drift_max_missing:
            prefix, suffix = "archiver/fill/layout/", f"/missing/{name}"
            by_layout = {key[len(prefix):-len(suffix)]: count for key, count in stats.items()
                         if key.startswith(prefix) and key.endswith(suffix)}
            layout = max(by_layout, key=by_layout.__getitem__)
            return (f"drift: {name} missing in {missing} of this run's {articles} new and changed articles "
                    f"({by_layout[layout]} of them layout {layout}), {1 - rate:.0%} against "
                    f"{1 - baseline[1][name]:.0%} of the archive's {baseline[0]}: did the site change its theme?")
    return None


def verdict(stats: dict[str, Any], gates: Gates, newest: datetime | None,
            baseline: Baseline | None = None) -> tuple[int, str]:
    """(exit code, reason) of a finished run from its stats and the newest publication in the archive."""
    if stats.get("archiver/site_unreachable"):
        return FAILED, f"site unreachable: {stats['archiver/site_unreachable']}"
    if stats.get("archiver/robots_unavailable"):
        return FAILED, f"{stats['archiver/robots_unavailable']}: the site's robots.txt forbids crawling (RFC 9309)"
    reason = finish_reason(stats)
    # CLOSESPIDER_* limits are the operator's own stopping rule, not a failure.
    if reason != "finished" and not reason.startswith("closespider_"):
        return FAILED, f"run ended with {reason}"
    requests = stats.get("downloader/request_count", 0)
    if not stats.get("downloader/response_count", 0):
        run_responses = stats.get("archiver/distributed/run_responses", 0)
        if not run_responses:
            return FAILED, "nothing was fetched"
        return OK, f"ok (this worker found no work left; the run fetched {run_responses} responses)"
    errors = stats.get("downloader/exception_count", 0) + sum(
        value for key, value in stats.items() if key.startswith("downloader/response_status_count/5"))
    if errors / max(1, requests) > gates.max_error_rate:
        return FAILED, f"error rate {errors}/{requests} above {gates.max_error_rate:.0%}"
    failures = stats.get("archiver/extraction_failures", 0)
    parsed = sum(stats.get(f"archiver/articles/{status}", 0) for status in ("new", "changed", "unchanged"))
    if failures / max(1, parsed + failures) > gates.max_failure_rate:
        return QUALITY, f"extraction failure rate above {gates.max_failure_rate:.0%}"
    if gates.stale_days and (newest is None or newest < datetime.now(UTC) - timedelta(days=gates.stale_days)):
        return QUALITY, f"no article published in the last {gates.stale_days} days"
    drifted = drift(stats, gates, baseline)
    if drifted is not None:
        return QUALITY, drifted
    return OK, "ok"


class QualityGatesExtension:
    def __init__(self, crawler: Crawler, gates: Gates, db_url: str) -> None:
        self.crawler, self.gates, self.db_url = crawler, gates, db_url
        self.baseline: Baseline | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QualityGatesExtension:
        extension = cls(crawler, Gates.from_settings(crawler.settings),
                        resolve_db_url(crawler.settings.get("ARCHIVER_DB_URL")))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """The archive's fill rates before this run stores anything: what the drift alarm compares with."""
        host = getattr(spider, "host", None)
        if host is None:
            return
        from ..storage.db import make_engine
        from ..storage.queries import field_fill_rates

        try:
            engine = make_engine(self.db_url, readonly=True)
            try:
                self.baseline = field_fill_rates(engine, host)
            finally:
                engine.dispose()
        except (ArchiveNotFound, StorageError, SQLAlchemyError):
            self.baseline = None  # a first crawl: nothing to compare with

    def newest_publication(self) -> datetime | None:
        if not self.gates.stale_days:
            return None
        from ..storage.db import make_engine
        from ..storage.summary import newest_publication

        try:
            engine = make_engine(self.db_url, readonly=True)
            try:
                return newest_publication(engine)
            finally:
                engine.dispose()
        except StorageError:
            return None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        values = {**stats.get_stats(), "finish_reason": reason}
        code, why = verdict(values, self.gates, self.newest_publication(), self.baseline)
        for name, rate in fill_rates(values).items():
            stats.set_value(f"archiver/fill_rate/{name}", round(rate, 4))
        stats.set_value("archiver/verdict/code", code)
        stats.set_value("archiver/verdict/reason", why)
        if code:
            logger.error("the run failed its checks (exit %d): %s", code, why)
