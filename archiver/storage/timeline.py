"""Series over time for the desk's charts and ``archiver stats --plot``: counts per UTC month, per license.

Every query reads current versions only (one row per article) except the version series, which counts each stored
version by the month it was captured; months are ``YYYY-MM`` in UTC on both dialects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

MONTH = "substr(CAST({column} AS TEXT), 1, 7)"

QUERIES = {
    "articles_per_month": (
        f"SELECT {MONTH.format(column='v.published')} AS month, coalesce((SELECT c.name FROM article_categories ac "
        "JOIN categories c ON c.id = ac.category_id WHERE ac.version_id = v.id AND ac.is_primary = :yes LIMIT 1), "
        "'(none)') AS category, count(*) FROM articles a JOIN article_versions v ON v.id = a.current_version_id "
        "WHERE v.published IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"),
    "authors_per_month": (
        f"SELECT {MONTH.format(column='v.published')} AS month, au.name, count(*) FROM articles a "
        "JOIN article_versions v ON v.id = a.current_version_id JOIN article_authors aa ON aa.version_id = v.id "
        "JOIN authors au ON au.id = aa.author_id WHERE v.published IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"),
    "credits_by_license": (
        "SELECT coalesce(cr.license, '(none)'), count(*) FROM credits cr JOIN articles a "
        "ON a.current_version_id = cr.version_id GROUP BY 1 ORDER BY 2 DESC, 1"),
    "changes_per_month": (
        f"SELECT {MONTH.format(column='captured_at')} AS month, count(*) FROM article_versions WHERE version > 1 "
        "GROUP BY 1 ORDER BY 1"),
    "removals_per_month": (
        f"SELECT {MONTH.format(column='removed_at')} AS month, count(*) FROM articles WHERE removed_at IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"),
}


@dataclass
class Timeline:
    """What the charts draw. Series are month -> name -> count; months sorted, gaps not filled."""

    articles_per_month: dict[str, dict[str, int]] = field(default_factory=dict)
    authors_per_month: dict[str, dict[str, int]] = field(default_factory=dict)
    credits_by_license: dict[str, int] = field(default_factory=dict)
    changes_per_month: dict[str, int] = field(default_factory=dict)
    removals_per_month: dict[str, int] = field(default_factory=dict)


def _nested(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for month, name, count in rows:
        out[str(month)][str(name)] = int(count)
    return dict(out)


def read_timeline(engine: Engine) -> Timeline:
    """The archive's series, read in one connection."""
    with engine.connect() as conn:
        def rows(name: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(text(QUERIES[name]), {"yes": True})]

        return Timeline(
            articles_per_month=_nested(rows("articles_per_month")),
            authors_per_month=_nested(rows("authors_per_month")),
            credits_by_license={str(k): int(n) for k, n in rows("credits_by_license")},
            changes_per_month={str(k): int(n) for k, n in rows("changes_per_month")},
            removals_per_month={str(k): int(n) for k, n in rows("removals_per_month")})
