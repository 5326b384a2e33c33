"""The archive's counts (``stat_counts``): what ``stats`` and the desk's landing page report, kept by every write
(and with them the desk's rows: ``desk_rows``).

Counting them from the rows walks every current version's relations: seconds at 100,000 articles, ten times that
at a million. So every writer keeps one row per (kind, item) current, in the transaction that changes what it
counts, and ``stats`` reads a few thousand rows.

What is counted is a sum over articles (each article's current version gives its year, categories, authors and
credit licenses; the article row its version count and removal month) plus one per capture. A write therefore
keeps the counts by subtraction: ``CountChange.before`` takes what the articles it is about to change count now,
``commit`` adds what they count once the rows are written, both by the same query (``CONTRIBUTION``), and stores
the difference. Whatever the write did to those articles (new version, restore, removal, rewritten relations),
the counts follow; no writer has to know which kinds its change touches. Captures are counted as they are
inserted. ``recount`` counts everything again from the rows (the migration's backfill, ``archiver stats
--recount``, bulk loads that bypass the writers).

Items: ``year`` (first four characters of the current version's published date), ``removal_month`` (first seven
of ``removed_at``), ``license`` (credits per license), ``article_license`` (articles with a credit under it) and
``capture_type`` hold the value itself, '' for NULL; ``category``, ``primary_category``, ``author`` and ``tag`` the
row's ID (names are joined when read: a renamed author keeps their count); ``versions`` the version count. The
desk's landing page (the view ``v_desk_articles`` unfiltered) takes its row count and facets from them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from . import desk_rows
from .bulk import insert_rows
from .models import StatCount, table_of

# One row per kind, item and what it counts, from the articles named by {where} (all of them when empty). The
# expressions are the ones `stats` always grouped by, so the counts keep its meaning on both databases.
_PER_ARTICLE = """
SELECT 'year', coalesce(substr(CAST(v.published AS TEXT), 1, 4), ''), count(*)
  FROM articles a JOIN article_versions v ON v.id = a.current_version_id {where} GROUP BY 2
UNION ALL SELECT 'category', CAST(ac.category_id AS TEXT), count(*)
  FROM articles a JOIN article_categories ac ON ac.version_id = a.current_version_id {where} GROUP BY 2
UNION ALL SELECT 'author', CAST(aa.author_id AS TEXT), count(*)
  FROM articles a JOIN article_authors aa ON aa.version_id = a.current_version_id {where} GROUP BY 2
UNION ALL SELECT 'license', coalesce(cr.license, ''), count(*)
  FROM articles a JOIN credits cr ON cr.version_id = a.current_version_id {where} GROUP BY 2
UNION ALL SELECT 'primary_category', CAST(ac.category_id AS TEXT), count(*)
  FROM articles a JOIN article_categories ac ON ac.version_id = a.current_version_id AND ac.is_primary {and_where}
  GROUP BY 2
UNION ALL SELECT 'tag', CAST(at.tag_id AS TEXT), count(*)
  FROM articles a JOIN article_tags at ON at.version_id = a.current_version_id {where} GROUP BY 2
UNION ALL SELECT 'article_license', cr.license, count(DISTINCT cr.version_id)
  FROM articles a JOIN credits cr ON cr.version_id = a.current_version_id AND cr.license IS NOT NULL {and_where}
  GROUP BY 2
UNION ALL SELECT 'versions', CAST(a.version_count AS TEXT), count(*) FROM articles a {where} GROUP BY 2
UNION ALL SELECT 'removal_month', substr(CAST(a.removed_at AS TEXT), 1, 7), count(*)
  FROM articles a {where_removed} GROUP BY 2
"""
CONTRIBUTION = text(_PER_ARTICLE.format(where="WHERE a.id IN :ids", and_where="AND a.id IN :ids",
                                        where_removed="WHERE a.id IN :ids AND a.removed_at IS NOT NULL")
                    ).bindparams(bindparam("ids", expanding=True))
EVERYTHING = text(_PER_ARTICLE.format(where="", and_where="", where_removed="WHERE a.removed_at IS NOT NULL")
                  + "UNION ALL SELECT 'capture_type', coalesce(record_type, ''), count(*) FROM captures GROUP BY 2")
_ADD_CONFLICT = "ON CONFLICT (kind, item) DO UPDATE SET total = stat_counts.total + excluded.total"
_ADD = text(f"INSERT INTO stat_counts (kind, item, total) VALUES (:kind, :item, :total) {_ADD_CONFLICT}")
_STAT_COUNTS = table_of(StatCount)
# Only the rows this change lowered to zero: other writers' rows stay untouched (and unlocked).
_DROP_ZERO = text("DELETE FROM stat_counts WHERE kind = :kind AND item = :item AND total = 0")
_SERIAL = text("SET LOCAL max_parallel_workers_per_gather = 0")
# Articles in chunks: SQLite's bound-parameter limit, and a big rewrite's statements stay small.
CHUNK = 5_000

Key = tuple[str, str]


def _rows(conn: Connection, ids: list[int]) -> Iterable[tuple[str, str, int]]:
    for start in range(0, len(ids), CHUNK):
        yield from conn.execute(CONTRIBUTION, {"ids": ids[start:start + CHUNK]})


class CountChange:
    """The change one transaction makes to the counts; ``commit`` stores it (in that transaction, at its end)."""

    def __init__(self) -> None:
        self.delta: Counter[Key] = Counter()
        self.touched: set[int] = set()
        self._serial = False  # this transaction plans without parallel workers

    def created(self, article_ids: Iterable[int]) -> None:
        """Articles this transaction inserted: they counted nothing before it."""
        self.touched.update(article_ids)

    def before(self, conn: Connection, article_ids: Iterable[int], locked: bool = False) -> None:
        """Call before the first change to these articles' rows (their versions' relations included) in this
        transaction; articles already taken are skipped, so calling it again after a change is harmless.
        ``locked``: this transaction has already written (so locked) their rows."""
        fresh = sorted(set(article_ids) - self.touched)
        if not fresh:
            return
        if conn.dialect.name == "postgresql" and not locked:
            # Another writer must not change them between this count and the commit. In the order the item
            # pipelines' batches lock articles (by natural key), so that the two cannot deadlock.
            conn.execute(text("SELECT id FROM articles WHERE id IN :ids ORDER BY key, site_id FOR UPDATE")
                         .bindparams(bindparam("ids", expanding=True)), {"ids": fresh})
        self.touched.update(fresh)
        for kind, item, total in self._contributions(conn, fresh):
            self.delta[(kind, item or "")] -= int(total)

    def captures(self, record_types: Iterable[str | None]) -> None:
        """Capture rows this transaction inserted."""
        for record_type in record_types:
            self.delta[("capture_type", record_type or "")] += 1

    def commit(self, conn: Connection) -> None:
        if self.touched:
            for kind, item, total in self._contributions(conn, sorted(self.touched)):
                self.delta[(kind, item or "")] += int(total)
        # The desk's rows of the same articles (and of any naming an entity this transaction renamed).
        desk_rows.keep(conn, self.touched)
        changed: list[dict[str, Any]] = [{"kind": kind, "item": item, "total": total}
                   for (kind, item), total in sorted(self.delta.items()) if total]
        # In key order: concurrent writers lock the rows they share in the same order and cannot deadlock.
        if changed:
            insert_rows(conn, _STAT_COUNTS, changed, conflict=_ADD_CONFLICT, each=_ADD)
            lowered = [row for row in changed if row["total"] < 0]
            if lowered:
                conn.execute(_DROP_ZERO, lowered)
        self.delta.clear()
        self.touched.clear()
        self._serial = False

    def _contributions(self, conn: Connection, ids: list[int]) -> Iterable[tuple[str, str, int]]:
        if conn.dialect.name == "postgresql" and not self._serial:
            # For a batch's articles PostgreSQL planned the nine joins as a parallel append: starting its workers
            # took five times as long as the query, on cores the writer's own workers need. For the rest of this
            # transaction only: the writers' other reads are of a batch's rows too (the articles naming a renamed
            # author are the largest), and PostgreSQL runs no write in parallel.
            conn.execute(_SERIAL)
            self._serial = True
        return _rows(conn, ids)


def counted(conn: Connection) -> dict[Key, int]:
    """The counts as the rows give them now (every article and capture counted again)."""
    return {(kind, item or ""): int(total) for kind, item, total in conn.execute(EVERYTHING)}


def stored(conn: Connection) -> dict[Key, int]:
    return {(kind, item): int(total) for kind, item, total in
            conn.execute(text("SELECT kind, item, total FROM stat_counts WHERE total <> 0"))}


def _differences(now: dict[Key, int], kept: dict[Key, int]) -> dict[str, Any]:
    return {f"{kind} {item}": {"stored": kept.get((kind, item), 0), "counted": now.get((kind, item), 0)}
            for kind, item in sorted(set(now) | set(kept)) if now.get((kind, item), 0) != kept.get((kind, item), 0)}


def drift(conn: Connection) -> dict[str, Any]:
    """Where the stored counts differ from a recount: {"kind item": {"stored": n, "counted": m}}."""
    return _differences(counted(conn), stored(conn))


def recount(conn: Connection) -> dict[str, Any]:
    """Replace the stored counts by a count of the rows, and the desk's rows by the computed ones
    (``desk_rows.rebuild``), in the caller's transaction; returns which counts differed."""
    if conn.dialect.name == "postgresql":
        # No writer may commit between the count and the replacement (its change would be lost or counted twice);
        # readers go on. SQLite's write transaction (BEGIN IMMEDIATE) already excludes other writers.
        conn.execute(text("LOCK TABLE articles, captures, stat_counts IN EXCLUSIVE MODE"))
    if desk_rows.has_rows(conn):
        desk_rows.rebuild(conn)
    now, kept = counted(conn), stored(conn)
    conn.execute(text("DELETE FROM stat_counts"))
    if now:
        conn.execute(text("INSERT INTO stat_counts (kind, item, total) VALUES (:kind, :item, :total)"),
                     [{"kind": kind, "item": item, "total": total} for (kind, item), total in sorted(now.items())])
    return _differences(now, kept)


def refresh_counts(engine: Engine) -> dict[str, Any]:
    """``recount`` in a transaction of its own (bulk loads call it once they are done)."""
    with engine.begin() as conn:
        return recount(conn)
