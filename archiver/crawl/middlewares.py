"""Downloader middlewares for politeness that holds over months: RFC 9309 robots.txt failures and
``Retry-After`` on 429/503."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from twisted.internet import reactor as _reactor

from ._compat import RobotsTxtHooks

logger = logging.getLogger(__name__)
reactor: Any = _reactor


class DisallowAll:
    """The robots.txt policy while robots.txt answers 5xx or cannot be fetched (RFC 9309, section 2.3.1.4)."""

    def allowed(self, url: str, user_agent: str | bytes) -> bool:
        return False


# Why a host could not be reached at all, by exception class name: Scrapy 2.19 raises its own download errors,
# older releases Twisted's; both are matched along the class hierarchy.
UNREACHABLE = {
    "CannotResolveHostError": "its name does not resolve (DNS lookup failed)",
    "DNSLookupError": "its name does not resolve (DNS lookup failed)",
    "DownloadConnectionRefusedError": "the connection was refused",
    "ConnectionRefusedError": "the connection was refused",
    "DownloadTimeoutError": "the connection timed out",
    "TCPTimedOutError": "the connection timed out",
    "TimeoutError": "the connection timed out",
    "NoRouteError": "there is no route to it",
}


def unreachable_reason(error: BaseException) -> str | None:
    """What kept a host out of reach, when the error says so; None for every other failure."""
    for cls in type(error).__mro__:
        if cls.__name__ in UNREACHABLE:
            return UNREACHABLE[cls.__name__]
    return None


class _UnreachableWithoutTraceback(logging.Filter):
    """Scrapy logs a failed robots.txt download with its traceback; for a host out of reach the one line says
    all there is (the run summary names the reason), so the forty lines of Twisted frames are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and unreachable_reason(record.exc_info[1]):
            record.exc_info, record.exc_text = None, None
        return True


class RobotsPolicyMiddleware(RobotsTxtHooks):
    """Scrapy's robots.txt middleware, but an unreachable or failing robots.txt forbids everything.

    Every request to that host is then refused; the run report carries the reason in the stat
    ``archiver/robots_unavailable`` and the CLI exits 1 naming it. A host that cannot be reached at all
    (DNS, refused, timeout) is reported as unreachable instead (``archiver/site_unreachable``): nothing
    forbade anything there.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        scrapy_logger = logging.getLogger(RobotsTxtMiddleware.__module__)
        if not any(isinstance(f, _UnreachableWithoutTraceback) for f in scrapy_logger.filters):
            scrapy_logger.addFilter(_UnreachableWithoutTraceback())

    def robots_answer(self, response: Response, netloc: str) -> bool:
        if response.status < 500 and response.status != 429:
            return False  # Scrapy parses it
        self.robots_stats.inc_value("robotstxt/response_count")
        self.robots_stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self._disallow(netloc, f"robots.txt answered {response.status}")
        return True

    def robots_failure(self, error: Exception, netloc: str) -> None:
        self.robots_stats.inc_value(f"robotstxt/exception_count/{type(error)}")
        why = unreachable_reason(error)
        if why is not None:
            self.robots_stats.set_value("archiver/site_unreachable", f"{netloc}: {why} ({type(error).__name__})")
        self._disallow(netloc, f"robots.txt could not be fetched ({type(error).__name__})")

    def _disallow(self, netloc: str, reason: str) -> None:
        self.robots_stats.set_value("archiver/robots_unavailable", reason)
        logger.error("%s for %s: treating the whole host as disallowed", reason, netloc)
        self.disallow_host(netloc, DisallowAll())  # duck-typed RobotParser: only allowed() is ever called


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


# Download-slot attributes that randomize delays (Scrapy 2.14+: jitter; earlier: randomize_delay).
RANDOMNESS: dict[str, Any] = {"jitter": 0.0, "randomize_delay": False}


class RetryAfterMiddleware:
    """On 429/503 with ``Retry-After``, pause the whole host's download slot that long (capped).

    Runs before Scrapy's RetryMiddleware, which then schedules the retry into the paused slot.
    """

    def __init__(self, crawler: Crawler, cap: float) -> None:
        self.crawler = crawler
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("ARCHIVER_RETRY_AFTER_MAX"))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status not in (429, 503):
            return response
        seconds = retry_after_seconds((response.headers.get(b"Retry-After") or b"").decode("latin-1"))
        if seconds is None or self.crawler.engine is None:
            return response
        seconds = min(seconds, self.cap)
        key = request.meta.get("download_slot") or urlsplit(request.url).hostname or ""
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            previous = {name: getattr(slot, name) for name in RANDOMNESS if hasattr(slot, name)}
            previous["delay"] = slot.delay
            slot.delay = max(slot.delay, seconds)
            for name in previous:  # a randomized delay could undercut what the server asked for
                if name in RANDOMNESS:
                    setattr(slot, name, RANDOMNESS[name])
            slot.lastseen = time.monotonic()
            reactor.callLater(seconds, self._restore, slot, previous)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("archiver/retry_after/pauses")
        stats.max_value("archiver/retry_after/max_seconds", seconds)
        logger.warning("%s answered %d with Retry-After %s: pausing %s for %.0f s", request.url, response.status,
                       response.headers.get(b"Retry-After"), key, seconds)
        return response

    @staticmethod
    def _restore(slot: Any, previous: dict[str, Any]) -> None:
        for name, value in previous.items():
            setattr(slot, name, value)
