"""Full-text search over the current version of every article, one function for both backends.

SQLite: FTS5 (``article_search``) with its query syntax (phrases in quotes, ``OR``, ``NOT``, ``prefix*``),
ranked by bm25. PostgreSQL: the German text-search configuration (stemming) with web-search syntax
(phrases in quotes, ``OR``, ``-word``), ranked by ``ts_rank``. All values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ..exceptions import ConfigurationError

MAX_QUERY_LENGTH = 1000


class BadQuery(ConfigurationError):
    """The search query cannot be parsed by the backend's full-text syntax."""


@dataclass(frozen=True)
class Hit:
    article_id: int
    url: str
    title: str
    published: str | None
    authors: list[str]
    snippet: str
    rank: float


def _filters(author: str | None, category: str | None, tag: str | None, since: datetime | None,
             until: datetime | None, version: str = "v.id") -> tuple[str, dict[str, Any]]:
    """The filters as SQL on the version whose ID is the expression ``version``."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if author:
        clauses.append("EXISTS (SELECT 1 FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                       f"WHERE aa.version_id = {version} AND lower(au.name) = lower(:author))")
        params["author"] = author
    if category:
        clauses.append("EXISTS (SELECT 1 FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
                       f"WHERE ac.version_id = {version} AND c.slug = :category)")
        params["category"] = category
    if tag:
        clauses.append("EXISTS (SELECT 1 FROM article_tags at JOIN tags t ON t.id = at.tag_id "
                       f"WHERE at.version_id = {version} AND t.slug = :tag)")
        params["tag"] = tag
    dates = [("v.published >= :since", "since", since), ("v.published < :until", "until", until)]
    for clause, name, value in dates:
        if value is None:
            continue
        params[name] = value
        clauses.append(clause if version == "v.id" else
                       f"EXISTS (SELECT 1 FROM article_versions v WHERE v.id = {version} AND {clause})")
    return "".join(f" AND {c}" for c in clauses), params


def search_articles(engine: Engine, query: str, limit: int = 20, author: str | None = None,
                    category: str | None = None, tag: str | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> list[Hit]:
    query = query.replace("\x00", " ").strip()
    if not query:
        raise BadQuery("the search query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise BadQuery(f"the search query is longer than {MAX_QUERY_LENGTH} characters")
    sqlite = engine.dialect.name != "postgresql"
    where, params = _filters(author, category, tag, since, until, "article_search.rowid" if sqlite else "v.id")
    params |= {"query": query, "limit": max(1, min(limit, 1000))}
    if engine.dialect.name == "postgresql":
        # search_vector is the stored German tsvector of title, lead and text (migration 0008): ranking reads it
        # instead of stemming every matching text again.
        sql = ("SELECT a.id, a.url, v.title, v.published, ts_rank(v.search_vector, q) AS rank, "
               "ts_headline('german', v.text, q, 'StartSel=[, StopSel=], MaxWords=30, MinWords=12') AS snippet "
               "FROM articles a JOIN article_versions v ON v.id = a.current_version_id, "
               "websearch_to_tsquery('german', :query) q "
               f"WHERE v.search_vector @@ q{where} ORDER BY rank DESC, v.published DESC LIMIT :limit")
    else:
        # Ranked from the index alone: a version row holds its text and HTML, and reading one (its `published`
        # sits behind them, on overflow pages) for every match of a common word was most of the time a search
        # took. Only the matches ranked as well as the limit-th (ties included, so the order by date among equal
        # ranks stays exact) are read; their snippets are made in a second query (in the ranking query SQLite
        # would make one for every match before sorting).
        matches = ("FROM article_search JOIN articles a ON a.current_version_id = article_search.rowid "
                   f"WHERE article_search MATCH :query{where}")
        sql = ("SELECT a.id, a.url, v.id AS version_id, v.title, v.published, r.rank FROM "
               f"(SELECT article_search.rowid AS version_id, bm25(article_search) AS rank {matches} "
               f"AND bm25(article_search) <= (SELECT max(rank) FROM (SELECT bm25(article_search) AS rank {matches} "
               "ORDER BY rank LIMIT :limit))) r "
               "JOIN article_versions v ON v.id = r.version_id JOIN articles a ON a.current_version_id = v.id "
               "ORDER BY r.rank, v.published DESC LIMIT :limit")
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
            if not sqlite:
                snippets = {row.id: row.snippet for row in rows}
            else:
                snippets = _sqlite_snippets(conn, query, {row.version_id: row.id for row in rows})
            authors = _authors(conn, [row.id for row in rows])
    except DBAPIError as error:
        message = str(error.orig).strip().splitlines()[0] if error.orig else "query failed"
        if "fts5" in message or "syntax" in message or "unterminated" in message or "no such column" in message:
            raise BadQuery(f"cannot parse the search query: {message}") from None
        raise
    return [Hit(row.id, row.url, row.title, _iso(row.published), authors.get(row.id, []), snippets.get(row.id, ""),
                float(-row.rank if engine.dialect.name == "sqlite" else row.rank)) for row in rows]


def _sqlite_snippets(conn: Any, query: str, articles: dict[int, int]) -> dict[int, str]:
    """Article ID -> the snippet of its hit (version ID -> article ID given), from the FTS5 index."""
    if not articles:
        return {}
    placeholders = ", ".join(f":v{n}" for n in range(len(articles)))
    rows = conn.execute(text(
        "SELECT rowid, snippet(article_search, 2, '[', ']', '…', 20) FROM article_search "
        f"WHERE article_search MATCH :query AND rowid IN ({placeholders})"),
        {"query": query} | {f"v{n}": version for n, version in enumerate(articles)})
    return {articles[version]: snippet for version, snippet in rows}


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
