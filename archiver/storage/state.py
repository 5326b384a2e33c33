"""What the archive already holds of one site, for update runs: known articles, their last change, when
they were last seen, and the validators (ETag, Last-Modified) of every URL's last full response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..exceptions import ArchiveNotFound, StorageError
from . import models as m
from .db import make_engine

# Re-check intervals that grow with an article's age: fresh news changes often, old articles rarely.
RECHECK_SCHEDULE: list[tuple[timedelta, timedelta]] = [
    (timedelta(days=2), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=365), timedelta(days=7)),
]
RECHECK_OLDEST = timedelta(days=30)


@dataclass(frozen=True)
class KnownArticle:
    url: str
    post_id: int | None
    published: datetime | None
    modified: datetime | None
    last_seen: datetime
    removed: bool = False  # taken down (docs/schema.md): asked for again in every update run


@dataclass
class ArchiveState:
    articles: dict[str, KnownArticle] = field(default_factory=dict)
    post_ids: set[int] = field(default_factory=set)
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    last_run_started: datetime | None = None
    # URLs archived and stored by runs that were interrupted since the last finished run: a resumed run
    # does not fetch them again.
    done_in_interrupted_runs: set[str] = field(default_factory=set)

    def is_known(self, url: str) -> bool:
        return url in self.articles

    def is_removed(self, url: str) -> bool:
        known = self.articles.get(url)
        return known is not None and known.removed

    def changed_since_seen(self, url: str, lastmod: datetime | None) -> bool:
        known = self.articles.get(url)
        if known is None or lastmod is None:
            return known is None
        reference = known.modified or known.last_seen
        return lastmod > reference + timedelta(seconds=1)

    def due_for_recheck(self, url: str, now: datetime | None = None) -> bool:
        known = self.articles.get(url)
        if known is None or known.removed:
            return True
        now = now or datetime.now(UTC)
        age = now - (known.published or known.last_seen)
        interval = next((every for limit, every in RECHECK_SCHEDULE if age <= limit), RECHECK_OLDEST)
        return now - known.last_seen >= interval

    def conditional_headers(self, url: str) -> dict[str, str]:
        etag, last_modified = self.validators.get(url, (None, None))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_state(db_url: str, host: str, current_run: int | None = None) -> ArchiveState:
    """The archive's knowledge of ``host``; empty for a database that does not exist yet."""
    state = ArchiveState()
    try:
        engine = make_engine(db_url, readonly=True)
    except (ArchiveNotFound, StorageError):
        return state
    a, v, s, c, r = (m.Article.__table__, m.ArticleVersion.__table__, m.Site.__table__, m.Capture.__table__,
                     m.CrawlRun.__table__)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(a.c.url, a.c.post_id, a.c.last_seen, v.c.published, v.c.modified,
                                       a.c.removed_at)
                                .select_from(a.join(s, s.c.id == a.c.site_id)
                                             .join(v, v.c.id == a.c.current_version_id))
                                .where(s.c.host == host))
            for url, post_id, last_seen, published, modified, removed_at in rows:
                state.articles[url] = KnownArticle(url, post_id, _utc(published), _utc(modified), _utc(last_seen)
                                                   or datetime.now(UTC), removed_at is not None)
                if post_id is not None:
                    state.post_ids.add(post_id)
            prefix = f"%://{host}/%"
            captures = conn.execute(select(c.c.url, c.c.etag, c.c.last_modified)
                                    .where(c.c.url.like(prefix), c.c.status == 200,
                                           (c.c.etag.is_not(None)) | (c.c.last_modified.is_not(None)))
                                    .order_by(c.c.fetched_at))
            for url, etag, last_modified in captures:
                state.validators[url] = (etag, last_modified)
            started = conn.execute(select(r.c.started_at).where(r.c.finish_reason == "finished")
                                   .order_by(r.c.started_at.desc()).limit(1)).scalar_one_or_none()
            state.last_run_started = _utc(started)
            interrupted = []
            for run_id, reason in conn.execute(select(r.c.id, r.c.finish_reason).order_by(r.c.id.desc())):
                if run_id == current_run:
                    continue
                if reason not in (None, "interrupted"):
                    break
                interrupted.append(run_id)
            if interrupted:
                state.done_in_interrupted_runs = set(conn.execute(
                    select(c.c.url).where(c.c.run_id.in_(interrupted), c.c.url.like(prefix))).scalars())
    except SQLAlchemyError:
        return ArchiveState()  # no schema yet: nothing archived
    finally:
        engine.dispose()
    return state
