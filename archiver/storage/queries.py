"""The researcher commands' reads: find an article, its versions with their diffs, the archive's statistics."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, inspect, select, text

from ..exceptions import ConfigurationError
from ..items import FILLED_FIELDS
from . import models as m
from .reader import iso, iter_articles


def find_article(engine: Engine, reference: str) -> int:
    """Article ID from an ID, a URL or a WordPress post ID (``post:311235`` or a bare number)."""
    with engine.connect() as conn:
        if reference.startswith(("http://", "https://")):
            found = conn.execute(text("SELECT id FROM articles WHERE url = :u"), {"u": reference}).scalar()
        elif reference.startswith("post:") and reference[5:].isdigit():
            found = conn.execute(text("SELECT id FROM articles WHERE post_id = :p"),
                                 {"p": int(reference[5:])}).scalar()
        elif reference.isdigit():
            found = conn.execute(text("SELECT id FROM articles WHERE id = :i OR post_id = :i ORDER BY "
                                      "CASE WHEN id = :i THEN 0 ELSE 1 END"), {"i": int(reference)}).scalar()
        else:
            raise ConfigurationError(f"ARTICLE must be an ID, a post ID or a URL, got {reference!r}")
    if found is None:
        raise ConfigurationError(f"no article {reference!r} in the archive")
    return int(found)


def article_versions(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    """Every stored version of one article in the item shape, oldest first."""
    return list(iter_articles(engine, versions="all", article_id=article_id))


def version_diffs(engine: Engine, article_id: int) -> dict[int, Any]:
    """Version number -> the field diff against the version before it (None for the first)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version, diff FROM article_versions WHERE article_id = :a"),
                            {"a": article_id})
        return {version: json.loads(diff) if isinstance(diff, str) else diff for version, diff in rows}


STATS_QUERIES = {
    # Read from the published index, not the version rows: a row's date sits behind its text and HTML (overflow
    # pages on SQLite), so the join read every current version whole. "+v.id" keeps SQLite from looking each
    # current version up by its ID.
    "articles_per_year": "SELECT substr(CAST(v.published AS TEXT), 1, 4) AS year, count(*) FROM article_versions v "
                         "WHERE +v.id IN (SELECT current_version_id FROM articles) GROUP BY 1 ORDER BY 1",
    "articles_per_category": "SELECT c.slug, count(*) FROM article_categories ac JOIN categories c ON c.id = "
                             "ac.category_id JOIN articles a ON a.current_version_id = ac.version_id GROUP BY 1 "
                             "ORDER BY 2 DESC, 1",
    "authors_by_articles": "SELECT au.name, count(*) FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                           "JOIN articles a ON a.current_version_id = aa.version_id GROUP BY 1 ORDER BY 2 DESC, 1",
    "credits_by_license": "SELECT coalesce(cr.license, '(none)'), count(*) FROM credits cr JOIN articles a ON "
                          "a.current_version_id = cr.version_id GROUP BY 1 ORDER BY 2 DESC, 1",
    "captures_by_type": "SELECT record_type, count(*) FROM captures GROUP BY 1 ORDER BY 1",
    "versions_per_article": "SELECT version_count, count(*) FROM articles GROUP BY 1 ORDER BY 1",
    # Articles taken down and not back, by the month (UTC) an update first found them gone.
    "removals_per_month": "SELECT substr(CAST(removed_at AS TEXT), 1, 7) AS month, count(*) FROM articles "
                          "WHERE removed_at IS NOT NULL GROUP BY 1 ORDER BY 1",
}


# SQLite walks the articles' current_version_id index in order and looks each version's rows up in the relation's
# (version_id, …) index: the lookups then go through that index in order too, which on an archive larger than the
# page cache is what keeps them cheap (the plain join drives from the relation table and probes articles at
# random). CROSS JOIN is how SQLite is told the join order; the counts are grouped by ID, then named.
SQLITE_STATS_QUERIES = {
    "articles_per_category": "SELECT c.slug, sum(x.n) FROM (SELECT ac.category_id AS cid, count(*) AS n FROM "
                             "articles a CROSS JOIN article_categories ac ON ac.version_id = a.current_version_id "
                             "GROUP BY ac.category_id) x JOIN categories c ON c.id = x.cid "
                             "GROUP BY 1 ORDER BY 2 DESC, 1",
    "authors_by_articles": "SELECT au.name, sum(x.n) FROM (SELECT aa.author_id AS aid, count(*) AS n FROM "
                           "articles a CROSS JOIN article_authors aa ON aa.version_id = a.current_version_id "
                           "GROUP BY aa.author_id) x JOIN authors au ON au.id = x.aid GROUP BY 1 ORDER BY 2 DESC, 1",
    "credits_by_license": "SELECT coalesce(cr.license, '(none)'), count(*) FROM articles a CROSS JOIN credits cr "
                          "INDEXED BY ix_credits_version_license ON cr.version_id = a.current_version_id "
                          "GROUP BY 1 ORDER BY 2 DESC, 1",
}


# The same reports from the kept counts (archiver/storage/counts.py): names joined, ordered as above.
_KEPT = ("SELECT {key}, sum(s.total) FROM stat_counts s {join} WHERE s.kind = '{kind}' AND s.total > 0 "
         "GROUP BY 1 ORDER BY {order}")
COUNTS_QUERIES = {
    "articles_per_year": _KEPT.format(key="nullif(s.item, '')", join="", kind="year", order="1"),
    "articles_per_category": _KEPT.format(key="c.slug", join="JOIN categories c ON c.id = CAST(s.item AS INTEGER)",
                                          kind="category", order="2 DESC, 1"),
    "authors_by_articles": _KEPT.format(key="au.name", join="JOIN authors au ON au.id = CAST(s.item AS INTEGER)",
                                        kind="author", order="2 DESC, 1"),
    "credits_by_license": _KEPT.format(key="coalesce(nullif(s.item, ''), '(none)')", join="", kind="license",
                                       order="2 DESC, 1"),
    "captures_by_type": _KEPT.format(key="s.item", join="", kind="capture_type", order="1"),
    "versions_per_article": _KEPT.format(key="CAST(s.item AS INTEGER)", join="", kind="versions", order="1"),
    "removals_per_month": _KEPT.format(key="s.item", join="", kind="removal_month", order="1"),
}


def archive_statistics(engine: Engine, last_runs: int = 5, recounted: bool = False) -> dict[str, Any]:
    """Counts per year, category, author, credit license, capture type and version count; the last runs.

    Read from the kept counts; ``recounted`` (or an archive not yet upgraded to them): counted from the rows
    (``STATS_QUERIES``)."""
    report: dict[str, Any] = {}
    recounted = recounted or not inspect(engine).has_table("stat_counts")
    queries = (STATS_QUERIES | (SQLITE_STATS_QUERIES if engine.dialect.name == "sqlite" else {}) if recounted
               else COUNTS_QUERIES)
    with engine.connect() as conn:
        for name, sql in queries.items():
            report[name] = {str(key): int(count) for key, count in conn.execute(text(sql))}
        runs = m.CrawlRun.__table__
        report["last_runs"] = [
            {"id": r.id, "spider": r.spider, "mode": r.mode, "started_at": iso(r.started_at),
             "finished_at": iso(r.finished_at), "finish_reason": r.finish_reason}
            for r in conn.execute(select(runs.c.id, runs.c.spider, runs.c.mode, runs.c.started_at,
                                         runs.c.finished_at, runs.c.finish_reason)
                                  .order_by(runs.c.id.desc()).limit(last_runs))]
    return report


_HAS = "sum(CASE WHEN EXISTS (SELECT 1 FROM {table} x WHERE x.version_id = v.id) THEN 1 ELSE 0 END)"
# How the database says an article has each of the items' FILLED_FIELDS (a field added there needs its line here).
_FILLED_SQL = {
    "authors": _HAS.format(table="article_authors"),
    "published": "sum(CASE WHEN v.published IS NOT NULL THEN 1 ELSE 0 END)",
    "categories": _HAS.format(table="article_categories"), "tags": _HAS.format(table="article_tags"),
    "lead": "sum(CASE WHEN v.lead IS NOT NULL AND v.lead <> '' THEN 1 ELSE 0 END)",
    "images": _HAS.format(table="article_images"), "credits": _HAS.format(table="credits"),
}
FILL_QUERY = (
    "SELECT count(*), " + ", ".join(_FILLED_SQL[name] for name in FILLED_FIELDS)
    + " FROM articles a JOIN article_versions v ON v.id = a.current_version_id JOIN sites s ON s.id = a.site_id"
    " WHERE s.host = :host")


def field_fill_rates(engine: Engine, host: str) -> tuple[int, dict[str, float]]:
    """How many of a site's archived articles (current versions) have each field: (articles, field -> share)."""
    with engine.connect() as conn:
        row = conn.execute(text(FILL_QUERY), {"host": host}).one()
    articles = int(row[0] or 0)
    return articles, {name: int(value or 0) / articles if articles else 0.0
                      for name, value in zip(FILLED_FIELDS, row[1:], strict=True)}
