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

from ..locations import resolve_db_url
from ..normalize.urls import post_id_from_url
from ..storage.state import ArchiveState, load_state

logger = logging.getLogger(__name__)


class ArchiveView:
    def __init__(self, crawler: Crawler, db_url: str, distributed: bool) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.distributed = distributed
        self.mode = "crawl"
        self.state = ArchiveState()
        self.done_posts: set[int] = set()
        self.loaded = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveView:
        settings = crawler.settings
        return cls(crawler, resolve_db_url(settings.get("ARCHIVER_DB_URL")),
                   bool(settings.get("ARCHIVER_DISTRIBUTED_RUN")))

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

    def due_for_recheck(self) -> list[str]:
        """Known articles whose re-check is due (update runs): silent edits leave no other trace."""
        return [url for url in sorted(self.state.articles) if self.state.due_for_recheck(url)]
