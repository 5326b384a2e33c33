"""Full-text search over the current version of every article, one syntax and one function for both backends.

The query is parsed once (archiver/storage/query_syntax.py) and stemmed as PostgreSQL's ``german``
configuration stems; SQLite matches it against ``article_search_stemmed`` (bm25 ranking, the snippet from the
unstemmed ``article_search``), PostgreSQL against the GIN-indexed German tsvector (``ts_rank``). Both answer
the total number of matches beside the best ``limit`` hits. All values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from .filters import PG_DOCUMENT, ArticleFilter
from .query_syntax import BadQuery, parse

__all__ = ["BadQuery", "Hit", "SearchResult", "search_articles"]

MAX_QUERY_LENGTH = 1000


@dataclass(frozen=True)
class Hit:
    article_id: int
    url: str
    title: str
    published: str | None
    authors: list[str]
    snippet: str
    rank: float


@dataclass(frozen=True)
class SearchResult:
    total: int  # every match, not only the hits returned
    hits: list[Hit]


def _clean(query: str) -> str:
    query = query.replace("\x00", " ").strip()
    if not query:
        raise BadQuery("the search query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise BadQuery(f"the search query is longer than {MAX_QUERY_LENGTH} characters")
    return query


def search_articles(engine: Engine, query: str, limit: int = 20, filters: ArticleFilter | None = None) -> SearchResult:
    """The best `limit` current versions matching `query` and `filters` (whose own query is ignored)."""
    parsed = parse(_clean(query))
    filters = replace(filters or ArticleFilter(), query=None)
    dialect = engine.dialect.name
    if dialect == "postgresql":
        clauses, params = filters.sql(dialect)
        where = "".join(f" AND {clause}" for clause in clauses)
        document = PG_DOCUMENT.format(v="v")
        source = ("FROM articles a JOIN article_versions v ON v.id = a.current_version_id "
                  f"WHERE {document} @@ to_tsquery('simple', :query){where}")
        hits_sql = (f"SELECT a.id, a.url, v.title, v.published, ts_rank({document}, to_tsquery('simple', :query)) "
                    "AS rank, ts_headline('german', v.text, to_tsquery('simple', :query), "
                    "'StartSel=[, StopSel=], MaxWords=30, MinWords=12') AS snippet "
                    f"{source} ORDER BY rank DESC, v.published DESC, a.id LIMIT :limit")
        params["query"] = parsed.tsquery()
    else:
        source, params = _sqlite_matches(filters)
        hits_sql = _sqlite_hits(source)
        params |= {"query": parsed.fts5(), "highlight": parsed.highlight_fts5()}
    params["limit"] = max(1, min(limit, 1000))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(hits_sql), params).all()
            total = len(rows) if len(rows) < params["limit"] else \
                int(conn.execute(text(f"SELECT count(*) {source}"), params).scalar_one())
            authors = _authors(conn, [row.id for row in rows])
    except DBAPIError as error:
        message = str(error.orig).strip().splitlines()[0] if error.orig else "query failed"
        if "fts5" in message or "syntax" in message or "tsquery" in message:
            raise BadQuery(f"cannot parse the search query: {message}") from None
        raise
    hits = [Hit(row.id, row.url, row.title, _iso(row.published), authors.get(row.id, []), row.snippet or "",
                float(-row.rank if dialect == "sqlite" else row.rank)) for row in rows]
    return SearchResult(total, hits)


def _sqlite_matches(filters: ArticleFilter) -> tuple[str, dict[str, Any]]:
    """FROM and WHERE of the current versions matching ``:query`` and the filters. Without a date filter the
    version rows stay out: a row's ``published`` sits behind its text and HTML (overflow pages), and reading it for
    every match of a common word was most of what a search took."""
    fts = "article_search_stemmed"
    if filters.since is None and filters.until is None:
        clauses, params = filters.sql("sqlite", version_id=f"{fts}.rowid")
        joins = f"JOIN articles a ON a.current_version_id = {fts}.rowid"
    else:
        clauses, params = filters.sql("sqlite")
        joins = f"JOIN article_versions v ON v.id = {fts}.rowid JOIN articles a ON a.current_version_id = v.id"
    where = "".join(f" AND {clause}" for clause in clauses)
    return f"FROM {fts} {joins} WHERE {fts} MATCH :query{where}", params


def _sqlite_hits(source: str) -> str:
    """The best ``:limit`` hits, ranked from the index alone: only the matches ranked as well as the limit-th
    (ties included, so the order by date among equal ranks stays exact) are joined to their version rows. The
    snippet comes from the unstemmed index, marking the words that begin with a query stem, and is made for the
    hits shown only (in the ranking query SQLite would make one for every match before sorting)."""
    rank = "bm25(article_search_stemmed)"
    return ("SELECT a.id, a.url, v.title, v.published, r.rank, "
            "coalesce((SELECT snippet(article_search, 2, '[', ']', '…', 20) FROM article_search "
            "WHERE article_search MATCH :highlight AND article_search.rowid = v.id), substr(v.text, 1, 200)) "
            f"AS snippet FROM (SELECT article_search_stemmed.rowid AS version_id, {rank} AS rank {source} "
            f"AND {rank} <= (SELECT max(best.rank) FROM (SELECT {rank} AS rank {source} ORDER BY rank "
            "LIMIT :limit) best)) r "
            "JOIN article_versions v ON v.id = r.version_id JOIN articles a ON a.current_version_id = v.id "
            "ORDER BY r.rank, v.published DESC, a.id LIMIT :limit")


def _authors(conn: Any, article_ids: list[int]) -> dict[int, list[str]]:
    if not article_ids:
        return {}
    found: dict[int, list[str]] = {}
    placeholders = ", ".join(f":a{n}" for n in range(len(article_ids)))
    rows = conn.execute(text(
        "SELECT a.id, au.name FROM articles a JOIN article_authors aa ON aa.version_id = a.current_version_id "
        f"JOIN authors au ON au.id = aa.author_id WHERE a.id IN ({placeholders}) ORDER BY a.id, aa.position"),
        {f"a{n}": value for n, value in enumerate(article_ids)})
    for article_id, name in rows:
        found.setdefault(article_id, []).append(name)
    return found


def _iso(value: Any) -> str | None:
    from .reader import iso

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return iso(value)
