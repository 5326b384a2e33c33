"""Writes to the archive database: idempotent upserts on natural keys, one transaction per batch of articles.

``INSERT … ON CONFLICT`` is used on both dialects so concurrent writers never create
duplicates. A re-crawl of an unchanged article adds no version (content hash); a changed
one adds a version with a field-level diff and leaves the old versions intact.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError

from ..items import ArticleItem, ExtractionFailure
from . import models as m
from . import removals
from .bulk import insert_rows, update_rows
from .counts import CountChange
from .models import table_of as _t
from .relations import RelationWriter, Upserts
from .statistics import FirstStatistics
from .transactions import Transaction, is_transient, planned_each_time, storage_error
from .versions import LinkRows, content_hash, extracted, field_diff, parse_iso, summary, version_summary

RETRIES = 6
T = TypeVar("T")


@dataclass(frozen=True)
class CaptureRecord:
    """Where one archived exchange sits in the WARC files (produced by the WARC writer)."""

    url: str
    status: int
    fetched_at: datetime
    warc_file: str
    warc_offset: int
    warc_length: int
    record_id: str
    record_type: str
    payload_digest: str | None
    content_type: str | None = None
    worker: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class StoreResult:
    article_id: int
    version: int
    status: str  # "new" | "changed" | "unchanged" | "restored" (answers again after a take-down)


_ARTICLES, _VERSIONS = _t(m.Article), _t(m.ArticleVersion)
# Statements of the per-article hot path, built once (SQLAlchemy construction costs more than SQLite's work).
_CURRENT_VERSIONS = (select(_ARTICLES.c.id.label("article_id"), _VERSIONS.c.id, _VERSIONS.c.content_hash,
                            _VERSIONS.c.version, _ARTICLES.c.removed_at, _ARTICLES.c.removed_status)
                     .select_from(_ARTICLES.join(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id))
                     .where(_ARTICLES.c.id.in_(bindparam("articles", expanding=True))))
_INSERT_VERSION = _VERSIONS.insert().returning(_VERSIONS.c.article_id, _VERSIONS.c.id)
_CAPTURES = _t(m.Capture)
_CAPTURE_BY_RECORD = select(_CAPTURES.c.id).where(_CAPTURES.c.record_id == bindparam("record_id"))
_CAPTURES_BY_RECORD = select(_CAPTURES.c.record_id, _CAPTURES.c.id).where(
    _CAPTURES.c.record_id.in_(bindparam("record_ids", expanding=True)))


class ArchiveStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._upserts = Upserts(self.dialect)
        self._insert = self._upserts.insert
        self._relations = RelationWriter(self._upserts)
        self._site_ids: dict[str, int] = {}
        self._statistics = FirstStatistics(engine)

    def site_id(self, conn: Connection, host: str) -> int:
        if host not in self._site_ids:
            self._site_ids[host] = self._upserts.upsert(conn, _t(m.Site), {"host": host, "created_at": _now()},
                                                ["host"], preserve=("created_at",))
        return self._site_ids[host]

    # --- runs and captures ------------------------------------------------------------------------
    def start_run(self, spider: str, mode: str, software: dict[str, Any], worker: str | None = None) -> int:
        with self._begin() as conn:
            result = conn.execute(_t(m.CrawlRun).insert().values(
                spider=spider, mode=mode, started_at=_now(), software=software, worker=worker
            ).returning(_t(m.CrawlRun).c.id))
            return int(result.scalar_one())

    def close_interrupted_runs(self, current_run: int) -> int:
        """Runs that never finished (killed) get finish reason ``interrupted``; the caller holds the run lock."""
        runs = _t(m.CrawlRun)
        with self._begin() as conn:
            result = conn.execute(update(runs).where(runs.c.finished_at.is_(None), runs.c.id != current_run)
                                  .values(finish_reason="interrupted", finished_at=_now()))
            return int(result.rowcount or 0)

    def finish_run(self, run_id: int, reason: str, stats: dict[str, Any]) -> None:
        with self._begin() as conn:
            conn.execute(update(_t(m.CrawlRun)).where(_t(m.CrawlRun).c.id == run_id).values(
                finished_at=_now(), finish_reason=reason, stats=json.loads(json.dumps(stats, default=str))))

    def record_captures(self, records: list[CaptureRecord], run_id: int | None) -> None:
        """Insert capture rows in one statement; a record already known (same WARC-Record-ID) is skipped."""
        if not records:
            return
        with self._begin() as conn:
            change = CountChange()
            self._insert_captures(conn, records, run_id, change)
            change.commit(conn)

    def _insert_captures(self, conn: Connection, records: list[CaptureRecord], run_id: int | None,
                         change: CountChange) -> None:
        statement = (self._insert(_CAPTURES).on_conflict_do_nothing(index_elements=["record_id"])
                     .returning(_CAPTURES.c.record_type))  # a record already known returns no row: not counted
        # vars(), not dataclasses.asdict: asdict deep-copies every value, the datetime included.
        inserted = insert_rows(conn, _CAPTURES, [{**vars(record), "run_id": run_id} for record in records],
                               conflict="ON CONFLICT (record_id) DO NOTHING", each=statement, returning="record_type")
        if inserted is not None:
            change.captures(inserted.scalars())

    def mark_seen(self, urls: list[str]) -> None:
        """Articles confirmed unchanged (304): their last_seen moves on, so re-checks follow the schedule."""
        if not urls:
            return
        with self._begin() as conn:
            conn.execute(update(_ARTICLES).where(_ARTICLES.c.url.in_(urls)).values(last_seen=_now()))

    def mark_removed(self, removed: list[tuple[str, str, datetime | None]]) -> int:
        """Articles taken down, as (URL, status, time of the answer); how many were live until now
        (see ``removals``)."""
        if not removed:
            return 0
        # It locks articles a concurrent batch may hold: retried as a batch is.
        return self._retried(lambda conn: removals.mark_removed(conn, removed, _now()))

    def _retried(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a transaction of its own, run again after a short random wait while the database reports a
        transient failure (a deadlock, a lost connection), at most ``RETRIES`` times."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except DBAPIError as error:
                self._relations.forget()  # ids cached during the rolled-back transaction may not exist
                self._site_ids.clear()
                if not is_transient(error) or attempt == RETRIES:
                    raise storage_error(error) from error
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _capture_ids(conn: Connection, record_ids: list[str]) -> dict[str, int]:
        if not record_ids:
            return {}
        with planned_each_time(conn):
            return {record_id: capture_id for record_id, capture_id in
                    conn.execute(_CAPTURES_BY_RECORD, {"record_ids": record_ids})}

    def capture_id(self, conn: Connection, record_id: str | None) -> int | None:
        if record_id is None:
            return None
        # One statement built at import: building it per article cost more than the query.
        with planned_each_time(conn):
            return conn.execute(_CAPTURE_BY_RECORD, {"record_id": record_id}).scalar_one_or_none()

    def record_failure(self, failure: ExtractionFailure, run_id: int | None) -> None:
        with self._begin() as conn:
            capture_id = self.capture_id(conn, failure.capture.record_id if failure.capture else None)
            conn.execute(_t(m.ExtractionFailure).insert().values(
                run_id=run_id, capture_id=capture_id, url=failure.url, reason=failure.reason,
                layout=failure.layout, created_at=_now()))

    # --- articles ---------------------------------------------------------------------------------
    def store_articles(self, items: list[ArticleItem], captures: list[CaptureRecord] | None = None,
                       run_id: int | None = None, digests: list[str] | None = None) -> list[StoreResult]:
        """Store a batch in one transaction, in natural-key order, retried when the database detects a deadlock;
        ``captures`` (the rows the articles point to, and any others) are inserted first, in the same transaction;
        ``digests``: the items' ``content_hash``, where the caller's workers computed them already.

        Articles are written in key order so that concurrent batches lock rows in the same order.
        """
        order = sorted(range(len(items)), key=lambda n: _article_key(items[n]))

        def store(conn: Connection) -> list[StoreResult]:
            results: dict[int, StoreResult] = {}
            change = CountChange()
            if captures:
                self._insert_captures(conn, captures, run_id, change)
            # One query for the batch's capture rows, not one per article.
            record_ids = [item.capture.record_id for item in items if item.capture and item.capture.record_id]
            known = self._capture_ids(conn, record_ids)
            # A batch's link rows (authors, categories, tags, images, credits, links of each version) go in one
            # statement per table at its end, not one per table per article (round trips to PostgreSQL).
            links = LinkRows(self._relations.image_ids)
            for segment in _distinct_key_runs(order, items):
                results.update(self._store_segment(conn, segment, known, links, change, digests))
            links.insert(conn)
            change.commit(conn)
            return [results[n] for n in range(len(items))]

        stored = self._retried(store)
        self._statistics.stored_articles(len(items))
        return stored

    def store_article(self, item: ArticleItem) -> StoreResult:
        return self.store_articles([item])[0]

    def _store_segment(self, conn: Connection, entries: list[tuple[int, ArticleItem]], captures: dict[str, int],
                       links: LinkRows, change: CountChange,
                       digests: list[str] | None = None) -> dict[int, StoreResult]:
        """Store articles with distinct natural keys, in their order: one statement each for the articles, their
        current versions, the new versions and the new current versions (four per article before)."""
        if not entries:
            return {}
        now = _now()
        keys = [(self.site_id(conn, item.site), _article_key(item)) for _, item in entries]
        article_ids = self._article_ids(conn, [
            {"site_id": site_id, "key": key, "post_id": item.post_id, "url": item.url,
             "first_seen": now, "last_seen": now, "version_count": 0}
            for (site_id, key), (_, item) in zip(keys, entries, strict=True)])
        site_ids, ids = [site_id for site_id, _ in keys], [article_ids[key] for key in keys]
        previous = {row.article_id: row for row in conn.execute(_CURRENT_VERSIONS, {"articles": ids})}
        if previous:
            links.insert(conn)  # a previous version may be this batch's: its rows must be there to compare
        results: dict[int, StoreResult] = {}
        new: list[tuple[int, ArticleItem, int, int, int]] = []  # (n, item, site, article, version)
        rows: list[dict[str, Any]] = []
        for site_id, article_id, (n, item) in zip(site_ids, ids, entries, strict=True):
            digest = content_hash(item) if digests is None else digests[n]
            before = previous.get(article_id)
            restored = before is not None and before.removed_at is not None
            if before is not None and before.content_hash == digest and not restored:
                results[n] = StoreResult(article_id, before.version, "unchanged")
                continue
            version = (before.version if before else 0) + 1
            # ``captures`` holds every capture row this batch's items name: one missing is not in the database.
            record_id = item.capture.record_id if item.capture else None
            rows.append(dict(
                article_id=article_id, version=version, **extracted(item, digest),
                captured_at=parse_iso(item.capture.fetched_at if item.capture else None) or now,
                capture_id=captures.get(record_id) if record_id else None,
                diff=field_diff(version_summary(conn, before.id), summary(item)) if before else None))
            if restored and before is not None:
                rows[-1]["diff"] = removals.restored_diff(rows[-1]["diff"], before.removed_at, before.removed_status)
            new.append((n, item, site_id, article_id, version))
            results[n] = StoreResult(article_id, version, "restored" if restored else "changed" if before else "new")
        if not rows:
            return results
        changing = [article_id for _, _, _, article_id, _ in new]
        change.before(conn, [article_id for article_id in changing if article_id in previous], locked=True)
        change.created(article_id for article_id in changing if article_id not in previous)
        inserted = insert_rows(conn, _VERSIONS, rows, each=_INSERT_VERSION, returning="article_id, id")
        version_ids: dict[int, int] = {row.article_id: row.id for row in inserted or ()}
        for _, item, site_id, article_id, _ in new:
            self._relations.store(conn, site_id, version_ids[article_id], item, links)
        update_rows(conn, _ARTICLES, "id", [{"id": article_id, "current_version_id": version_ids[article_id],
                                             "version_count": version} for _, _, _, article_id, version in new],
                    nulls=("removed_at", "removed_status"))
        return results

    def rewrite_versions(self, rewrites: list[tuple[int, ArticleItem, str]]) -> int:
        """Replace what stored versions say with new extractions of their own captures (``archiver reextract``),
        given as (version id, item, the item's ``content_hash``): the rows and their authors, categories, tags,
        images, credits and links, in one transaction. Their numbers, captures and diffs stay: re-extraction is not
        a new version. Returns how many rows changed; a row that already says exactly that is left alone."""
        if not rewrites:
            return 0
        with self.engine.begin() as conn:
            stored = {row.id: row for row in conn.execute(
                select(_VERSIONS.c.id, _VERSIONS.c.content_hash, _VERSIONS.c.extractor, _ARTICLES.c.site_id,
                       _VERSIONS.c.article_id)
                .select_from(_VERSIONS.join(_ARTICLES, _ARTICLES.c.id == _VERSIONS.c.article_id))
                .where(_VERSIONS.c.id.in_([version_id for version_id, _, _ in rewrites])))}
            changed = [(version_id, item, digest) for version_id, item, digest in rewrites
                       if (stored[version_id].content_hash, stored[version_id].extractor) != (digest, item.extractor)]
            if not changed:
                return 0
            ids = [version_id for version_id, _, _ in changed]
            change = CountChange()  # a rewritten current version may name other authors, categories, a new date
            change.before(conn, [stored[version_id].article_id for version_id in ids])
            for table in (m.ArticleAuthor, m.ArticleCategory, m.ArticleTag, m.ArticleImage, m.Credit, m.Link):
                conn.execute(delete(_t(table)).where(_t(table).c.version_id.in_(ids)))
            rows = [{"version_id": version_id, **{f"new_{name}": value for name, value in
                                                  extracted(item, digest).items()}}
                    for version_id, item, digest in changed]
            # One statement for the batch: building an UPDATE with its values per row cost more than running it.
            conn.execute(update(_VERSIONS).where(_VERSIONS.c.id == bindparam("version_id")).values(
                {name.removeprefix("new_"): bindparam(name) for name in rows[0] if name != "version_id"}), rows)
            links = LinkRows(self._relations.image_ids)
            for version_id, item, _ in changed:
                self._relations.store(conn, stored[version_id].site_id, version_id, item, links)
            links.insert(conn)
            change.commit(conn)
        return len(changed)

    def _article_ids(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[tuple[int, str], int]:
        """Upsert articles (distinct keys, in key order) in one statement; (site_id, key) → id."""
        statement = self._upserts.statement(_ARTICLES, list(rows[0]), ["site_id", "key"],
                                           preserve=("first_seen", "version_count"),
                                           returning=(_ARTICLES.c.site_id, _ARTICLES.c.key))
        return {(row.site_id, row.key): row.id for row in conn.execute(statement, rows)}

    # --- plumbing ---------------------------------------------------------------------------------
    def _begin(self) -> Any:
        return Transaction(self.engine)


def _article_key(item: ArticleItem) -> str:
    return f"post:{item.post_id}" if item.post_id is not None else f"url:{item.url}"


def _distinct_key_runs(order: list[int], items: list[ArticleItem]) -> list[list[tuple[int, ArticleItem]]]:
    """The batch in ``order``, cut where an article comes again (an edit fetched twice in one batch): the second
    copy must see the first as its previous version."""
    runs: list[list[tuple[int, ArticleItem]]] = [[]]
    keys: set[tuple[str, str]] = set()
    for n in order:
        key = (items[n].site, _article_key(items[n]))
        if key in keys:
            runs.append([])
            keys.clear()
        keys.add(key)
        runs[-1].append((n, items[n]))
    return runs


def _now() -> datetime:
    return datetime.now(UTC)
