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

from sqlalchemy import Engine, bindparam, text

# The tables a writer fills, ANALYZEd if they never were.
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


def never_analyzed(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(_NEVER_ANALYZED, {"tables": list(FILLED)}).scalars())


def analyze_never_analyzed(engine: Engine) -> list[str]:
    """ANALYZE the tables of ``FILLED`` that have no statistics; which ones it analyzed."""
    tables = never_analyzed(engine)
    if tables:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
    return tables


class FirstStatistics:
    """Counts the articles a writer stored; once past ``ANALYZE_AFTER``, analyzes what never was (once)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stored = 0
        self.done = engine.dialect.name != "postgresql"

    def stored_articles(self, count: int) -> None:
        if self.done:
            return
        self.stored += count
        if self.stored >= ANALYZE_AFTER:
            self.done = True
            analyze_never_analyzed(self.engine)
