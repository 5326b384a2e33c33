"""What the archive already holds of the site being crawled: the extension the crawl policy asks.

``crawler.get_extension(ArchiveView)``. Loaded once, when the spider starts: an update run compares what it
discovers with the known articles (their last change, when they were last seen, their validators); any run
skips what an interrupted run already archived and stored (resume).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from ..exceptions import ConfigurationError
from ..locations import resolve_db_url
from ..normalize.urls import post_id_from_url
from ..storage.state import ArchiveState, load_state
from .rest import REST_CHECK_BATCH, published_ids

logger = logging.getLogger(__name__)
CHANGE_SIGNALS = ("rest", "lastmod", "feed", "conditional", "recheck")  # ARCHIVER_CHANGE_SIGNALS


def change_signals(settings: BaseSettings) -> frozenset[str]:
    """ARCHIVER_CHANGE_SIGNALS, checked: a name it does not know is a ConfigurationError."""
    signals = frozenset(name.strip() for name in settings.getlist("ARCHIVER_CHANGE_SIGNALS") if name.strip())
    if unknown := signals - set(CHANGE_SIGNALS):
        raise ConfigurationError(f"ARCHIVER_CHANGE_SIGNALS: unknown {', '.join(sorted(unknown))}; "
                                 f"choose from {', '.join(CHANGE_SIGNALS)}")
    return signals


class ArchiveView:
    def __init__(self, crawler: Crawler, db_url: str, distributed: bool,
                 signals: frozenset[str] = frozenset(CHANGE_SIGNALS)) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.distributed = distributed
        self.signals = signals
        self.mode = "crawl"
        self.state = ArchiveState()
        self.done_posts: set[int] = set()
        self.loaded = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveView:
        settings = crawler.settings
        return cls(crawler, resolve_db_url(settings.get("ARCHIVER_DB_URL")),
                   bool(settings.get("ARCHIVER_DISTRIBUTED_RUN")), change_signals(settings))

    def load(self, host: str, mode: str, is_article: Callable[[str], bool]) -> None:
        """Read the archive's knowledge of ``host`` (once; the storage pipeline has opened this run by now)."""
        if self.loaded:
            return
        self.loaded, self.mode = True, mode
        stats = self.crawler.stats
        assert stats is not None
        state = load_state(self.db_url, host, stats.get_value("archiver/run_id"))
        done = set() if self.distributed else state.done_in_interrupted_runs
        # The shared queue and its leases are what a distributed run resumes from; and an interrupted run's
        # article page counts as done only if its article reached the database (its capture row may have been
        # committed before the article's batch was).
        done = {url for url in done if state.is_known(url) or post_id_from_url(url) in state.post_ids
                or not is_article(url)}
        self.done_posts = {post_id for post_id in map(post_id_from_url, done) if post_id is not None}
        # A full crawl uses the archive only to resume: what an interrupted run finished is not fetched again.
        self.state = state if mode == "update" else ArchiveState()
        self.state.done_in_interrupted_runs = done
        if done:
            logger.warning("resuming: %d pages were archived by the interrupted run", len(done))
        logger.info("%s: %d known articles", mode, len(self.state.articles))

    @property
    def last_run_started(self) -> datetime | None:
        return self.state.last_run_started

    def finished_before(self, url: str) -> bool:
        """Archived and stored by an interrupted run (under this URL, or its post under another path)."""
        return url in self.state.done_in_interrupted_runs or (
            bool(self.done_posts) and post_id_from_url(url) in self.done_posts)

    def recheck_due(self, url: str) -> bool:
        """A taken-down article always; a live one when the re-check schedule says so (and is switched on)."""
        return self.state.is_removed(url) or ("recheck" in self.signals and self.state.due_for_recheck(url))

    def due_for_recheck(self, with_post_id: bool = True) -> list[str]:
        """Known articles whose re-check is due (update runs): silent edits leave no other trace. Taken-down
        articles are always due. ``with_post_id=False``: only those the REST check cannot ask about."""
        return [url for url, known in sorted(self.state.articles.items()) if self.recheck_due(url)
                and (with_post_id or known.post_id is None)]

    def rest_check_batches(self) -> list[list[tuple[int, str]]]:
        """Every known article with a post ID, as (post ID, URL), REST_CHECK_BATCH to a batch: the REST check
        asks for all of them in each update run, a few hundred bytes per hundred articles."""
        known = sorted((a.post_id, url) for url, a in self.state.articles.items() if a.post_id is not None)
        return [known[n:n + REST_CHECK_BATCH] for n in range(0, len(known), REST_CHECK_BATCH)]

    def after_rest_check(self, answer: Response | Failure) -> list[tuple[str, bool]]:
        """The pages a REST check's answer calls for, as (URL, unpublished): the posts it no longer lists (their
        page says how they were taken down), the taken-down posts it lists again and the due re-checks. When
        the API does not answer (an error, not JSON, robots.txt), every due one of the batch."""
        request = answer.request if isinstance(answer, Response) else getattr(answer, "request", None)
        if request is None:
            return []
        batch: list[tuple[int, str]] = request.meta["archiver_rest_check"]
        listed = published_ids(answer) if isinstance(answer, Response) else None
        if listed is None:
            return [(url, False) for _, url in batch if self.recheck_due(url)]
        return [(url, post_id not in listed) for post_id, url in batch
                if post_id not in listed or self.recheck_due(url)]
