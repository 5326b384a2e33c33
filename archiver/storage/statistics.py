"""Planner statistics for a PostgreSQL archive that a writer has just started to fill.

PostgreSQL plans with the statistics ANALYZE gathers; a table never analyzed gets defaults, among them 200
distinct values in every column. A batch's join from its few articles to their link rows (the kept counts read
each batch's articles back) is then estimated at a two-hundredth of the link table per article, and planned as a
scan of the whole table: every batch of a reparse into a fresh database read all link rows written so far, until
autovacuum's first ANALYZE (a minute after the load started, at the earliest). One ANALYZE, once the writer has
stored enough articles for the statistics to tell what a column holds, gives plans that stay right as the tables
grow: the distinct values of a key column are kept as a fraction of the rows.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

# The tables a writer fills, ANALYZEd if they never were (not the authors, categories, tags and sites: a few
# thousand rows, which the batches' statements reach by primary key).
FILLED = ("articles", "article_versions", "article_authors", "article_categories", "article_tags",
          "article_images", "credits", "links", "captures", "images", "desk_articles", "stat_counts")
# Articles stored by one writer before it looks: enough rows for a sample that knows the key columns.
ANALYZE_AFTER = 1_000
# No column statistics at all: never analyzed, or analyzed while empty (which leaves the defaults in place).
_NEVER_ANALYZED = text(
    "SELECT relname FROM pg_class WHERE relname IN :tables AND relkind = 'r' "
    "AND relnamespace = current_schema()::regnamespace "
    "AND NOT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = relname) "
    "ORDER BY relname COLLATE \"C\""
).bindparams(bindparam("tables", expanding=True))


# Writers of a distributed crawl reach ANALYZE_AFTER together: one analyzes, the others go on writing.
_LOCK_KEY = 0x61_6E_61_6C_79_7A_65  # "analyze"
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
_HELD_BEFORE = text("SELECT count(*) FROM (SELECT 1 FROM articles LIMIT :enough) AS held")


def never_analyzed(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return _never_analyzed(conn)


def _never_analyzed(conn: Connection) -> list[str]:
    return list(conn.execute(_NEVER_ANALYZED, {"tables": list(FILLED)}).scalars())


def analyze_never_analyzed(engine: Engine) -> list[str]:
    """ANALYZE the tables of ``FILLED`` that have no statistics, each in a transaction of its own (it takes a lock
    that would otherwise wait for the others); which ones it analyzed. Nothing while another writer is at it."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(_TRY_LOCK, {"key": _LOCK_KEY}).scalar_one():
            return []
        try:
            tables = _never_analyzed(conn)
            for table in tables:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
            return tables
        finally:
            conn.execute(_UNLOCK, {"key": _LOCK_KEY})


class FirstStatistics:
    """Counts the articles a writer stored into a database it found (nearly) empty; once past ``ANALYZE_AFTER``,
    analyzes what has no statistics, once. An archive that already held more when the writer began is left to
    autovacuum: analyzing its big tables would hold up the writer. A failure is logged, not raised: the batch
    before it is committed, and the statistics only speed the next ones up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stored = 0
        self.done = engine.dialect.name != "postgresql"

    def stored_articles(self, count: int) -> None:
        if self.done:
            return
        try:
            if self.stored == 0 and self._held_more_than(ANALYZE_AFTER + count):
                self.done = True
                return
            self.stored += count
            if self.stored >= ANALYZE_AFTER:
                self.done = True
                analyze_never_analyzed(self.engine)
        except SQLAlchemyError as error:
            self.done = True
            logger.warning("could not analyze the archive's new tables (%s); autovacuum will",
                           str(error).splitlines()[0])

    def _held_more_than(self, articles: int) -> bool:
        with self.engine.connect() as conn:
            return int(conn.execute(_HELD_BEFORE, {"enough": articles + 1}).scalar_one()) > articles
