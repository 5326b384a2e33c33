"""Full-text search over the current version of every article, one syntax and one function for both backends.

The query is parsed once (archiver/storage/query_syntax.py) and stemmed as PostgreSQL's ``german``
configuration stems; SQLite matches it against ``article_search_stemmed`` (bm25 ranking, the snippet from the
unstemmed ``article_search``), PostgreSQL against the GIN-indexed German tsvector (``ts_rank``). Both answer
the total number of matches beside the best ``limit`` hits. All values are bound parameters.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from array import array
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from .filters import PG_DOCUMENT, SQLITE_DATES_BY_ID, ArticleFilter, has_dates_by_id
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
        params: dict[str, Any] = {"query": parsed.tsquery()}
    else:
        params = {"query": parsed.fts5(), "highlight": parsed.highlight_fts5()}
    params["limit"] = max(1, min(limit, 1000))
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                total, rows = _postgres_search(conn, filters, params)
            else:
                source, filtered = _sqlite_matches(filters, has_dates_by_id(conn))
                total, rows = _sqlite_search(conn, source, params | filtered)
            authors = _authors(conn, [row.id for row in rows])
    except DBAPIError as error:
        _refuse_unparsable(error.orig)
        raise
    hits = [Hit(row.id, row.url, row.title, _iso(row.published), authors.get(row.id, []), row.snippet or "",
                float(-row.rank if dialect == "sqlite" else row.rank)) for row in rows]
    return SearchResult(total, hits)


# A word in a quarter of a million-article archive's versions: with the server's default work_mem (4 MB) the bitmap
# of its matches no longer fits and turns lossy, and every version on a lossy page is read and its vector
# decompressed again to recheck it; the ranked matches' sort spills to disk. The search's own transaction gets at
# least SEARCH_WORK_MEM_KB (an operator's larger setting is kept), and no JIT: compiling the plan of such a search
# costs more than it saves.
SEARCH_WORK_MEM_KB = 64 * 1024
_SEARCH_SETTINGS = text(
    "SELECT set_config('work_mem', greatest(setting::bigint, :kb) || 'kB', true), set_config('jit', 'off', true) "
    "FROM pg_settings WHERE name = 'work_mem'")


def _postgres_search(conn: Connection, filters: ArticleFilter, params: dict[str, Any]) -> tuple[int, list[Any]]:
    """The best ``:limit`` hits and the total in one scan of the matches: the count is a window over the ranked
    matches, not a second query that finds them all again. The snippet is made for the hits only, outside the
    window, so that PostgreSQL cannot make one for every match."""
    conn.execute(_SEARCH_SETTINGS, {"kb": SEARCH_WORK_MEM_KB})
    clauses, filtered = filters.sql("postgresql")
    where = "".join(f" AND {clause}" for clause in clauses)
    document = PG_DOCUMENT.format(v="v")
    rows = conn.execute(text(
        "SELECT b.id, b.url, b.title, b.published, b.rank, b.total, ts_headline('german', hv.text, "
        "to_tsquery('simple', :query), 'StartSel=[, StopSel=], MaxWords=30, MinWords=12') AS snippet "
        "FROM (SELECT a.id, a.url, v.title, v.published, v.id AS version_id, "
        f"ts_rank({document}, to_tsquery('simple', :query)) AS rank, count(*) OVER () AS total "
        "FROM articles a JOIN article_versions v ON v.id = a.current_version_id "
        f"WHERE {document} @@ to_tsquery('simple', :query){where} "
        "ORDER BY rank DESC, v.published DESC, a.id LIMIT :limit) b "
        "JOIN article_versions hv ON hv.id = b.version_id ORDER BY b.rank DESC, b.published DESC, b.id"),
        params | filtered).all()
    return (int(rows[0].total) if rows else 0), list(rows)


def _sqlite_matches(filters: ArticleFilter, dates_by_id: bool) -> tuple[str, dict[str, Any]]:
    """FROM and WHERE of the current versions matching ``:query`` and the filters. Without a date filter the
    version rows stay out: a row's ``published`` sits behind its text and HTML (overflow pages), and reading it for
    every match of a common word was most of what a search took. With one, each match's date is read from the
    index of dates by version ID where the archive has it (``dates_by_id``): SQLite would otherwise look the ID up
    in the table itself, the rowid being its key."""
    fts = "article_search_stemmed"
    if not filters.dated():
        clauses, params = filters.sql("sqlite", version_id=f"{fts}.rowid")
        joins = f"JOIN articles a ON a.current_version_id = {fts}.rowid"
    else:
        clauses, params = filters.sql("sqlite")
        versions = f"article_versions v INDEXED BY {SQLITE_DATES_BY_ID}" if dates_by_id else "article_versions v"
        joins = f"JOIN {versions} ON v.id = {fts}.rowid JOIN articles a ON a.current_version_id = v.id"
    where = "".join(f" AND {clause}" for clause in clauses)
    return f"FROM {fts} {joins} WHERE {fts} MATCH :query{where}", params


def _refuse_unparsable(error: BaseException | None) -> None:
    """A query the database could not parse is the user's to fix: one clear error, not the database's."""
    message = str(error).strip().splitlines()[0] if error else "query failed"
    if "fts5" in message or "syntax" in message or "tsquery" in message:
        raise BadQuery(f"cannot parse the search query: {message}") from None


class _Ranked(NamedTuple):
    id: int
    url: str
    title: str
    published: Any
    rank: float
    snippet: str | None


def _sqlite_search(conn: Connection, source: str, params: dict[str, Any]) -> tuple[int, list[Any]]:
    """Every match's rank, read in one pass over the index, gives the total and the best ``:limit`` hits: only the
    matches ranked as well as the limit-th (ties included, so the order by date among equal ranks stays exact) are
    joined to their version rows. bm25 reads each match's column sizes, which is what a common word costs; one
    pass, not one for the limit-th rank, one for the hits and one for the count. The snippet comes from the
    unstemmed index, marking the words that begin with a query stem, and is made for the hits shown only."""
    ids, ranks = array("q"), array("d")
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    ranked = f"SELECT article_search_stemmed.rowid, bm25(article_search_stemmed) {source}"
    try:
        for version_id, rank in cursor.execute(ranked, params):
            ids.append(version_id)
            ranks.append(rank)
    except sqlite3.Error as error:  # the driver's own cursor: raised as SQLAlchemy raises the driver's errors
        raise DBAPIError.instance(ranked, params, error, sqlite3.Error) from error
    finally:
        cursor.close()
    limit = params["limit"]
    if not ids:
        return 0, []
    worst = max(ranks) if len(ranks) <= limit else heapq.nsmallest(limit, ranks)[-1]
    best = {version_id: rank for version_id, rank in zip(ids, ranks, strict=True) if rank <= worst}
    # Equal ranks get one position: the order among them is the date's (then the ID's), decided in SQL.
    positions = {rank: n for n, rank in enumerate(sorted(set(best.values())))}
    rows = conn.execute(text(
        "SELECT a.id, a.url, v.title, v.published, v.id AS version_id, "
        "coalesce((SELECT snippet(article_search, 2, '[', ']', '…', 20) FROM article_search "
        "WHERE article_search MATCH :highlight AND article_search.rowid = v.id), substr(v.text, 1, 200)) AS snippet "
        "FROM (SELECT json_extract(value, '$[0]') AS version_id, json_extract(value, '$[1]') AS rank "
        "FROM json_each(:best)) r "
        "JOIN article_versions v ON v.id = r.version_id JOIN articles a ON a.current_version_id = v.id "
        "ORDER BY r.rank, v.published DESC, a.id LIMIT :limit"),
        {"best": json.dumps([[version_id, positions[rank]] for version_id, rank in best.items()]),
         "highlight": params["highlight"], "limit": limit}).all()
    return len(ids), [_Ranked(row.id, row.url, row.title, row.published, best[row.version_id], row.snippet)
                      for row in rows]


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
