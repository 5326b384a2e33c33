"""The desk's clauses for a click on an author and for a search, and the plan each query runs them with.

Datasette runs one page's clauses in three kinds of query: the list (sorted, a page of rows), the count and the
facets (every matching row). A list sorted by date is fastest walking the date index newest first, testing each row
against the author's versions or the search's matches and stopping at a page, once those are many: the clause is
then written with a "+", which keeps SQLite off the other index. A count or a facet reads every matching row
anyway, and through that walk it would read the whole archive: ``planned`` takes an author's "+" away everywhere
but in a list sorted by date. ``search_planned`` decides a search's walk by its matches, counted first. A list
sorted by date breaks ties by the article, in the date index's own order, so that every plan lists the same page.
The count of a page filtered by one author alone is read from the kept counts (``KEPT_AUTHOR_COUNT``).
"""

from __future__ import annotations

import re

_VERSIONS_OF = ("version_id IN (SELECT aa.version_id FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                "WHERE au.name = :desk_author_{n})")
_WALKED = "+version_id IN (SELECT aa.version_id FROM article_authors aa"
# Datasette's list query ends with its sort: the desk's default, or a click on the column (either direction).
_SORTED_BY_DATE = "order by published_key"


def author_clause(n: int, many: bool) -> str:
    """The clause for the ``n``-th author of the page (its name bound as ``desk_author_{n}``)."""
    return ("+" if many else "") + _VERSIONS_OF.format(n=n)


# Datasette's list of the desk's view sorted by date: the sort, the page (one row more) and the offset of a later page.
_DATE_ORDER = re.compile(r"order by published_key( desc)? limit (\d+)( offset \d+)?$")
_PAGE = re.compile(r" limit (\d+)(?: offset (\d+))?$")


def planned(sql: str) -> str:
    """The query with each author's clause as it is fastest there (see the module's docstring), and a list sorted
    by date with its ties broken as the date index orders them, so that every plan lists the same page."""
    if _WALKED in sql and _SORTED_BY_DATE not in sql:
        sql = sql.replace(_WALKED, _WALKED[1:])
    if "from v_desk_articles " in sql:
        sql = _DATE_ORDER.sub(lambda m: f"order by published_key{m[1] or ''}, year{m[1] or ''}, "
                                        f"article_id{m[1] or ''} limit {m[2]}{m[3] or ''}", sql)
    return sql


# Datasette's count of a page filtered by one author and nothing else: its array clause, then the desk's.
_ONE_AUTHOR_COUNT = ('select count(*) from v_desk_articles where :p0 in (select value from json_each('
                     '"v_desk_articles"."authors")) and ' + _VERSIONS_OF.format(n=0) + " ")
# That count from the kept counts: the articles of each author of that name, less what namesakes on one article
# count twice. A current version naming k of them was counted k times; it names one that is not the name's most
# prolific author, so only those authors' few versions are looked at.
KEPT_AUTHOR_COUNT = """
WITH named AS (SELECT au.id, coalesce(s.total, 0) AS total FROM authors au LEFT JOIN stat_counts s
               ON s.kind = 'author' AND s.item = CAST(au.id AS TEXT) WHERE au.name = :desk_author_0),
     others AS (SELECT id FROM named WHERE id NOT IN (SELECT id FROM named ORDER BY total DESC, id LIMIT 1)),
     twice AS (SELECT count(*) - 1 AS extra FROM article_authors aa
               JOIN articles a ON a.current_version_id = aa.version_id
               WHERE aa.author_id IN (SELECT id FROM named)
                 AND aa.version_id IN (SELECT version_id FROM article_authors
                                       WHERE author_id IN (SELECT id FROM others))
               GROUP BY aa.version_id)
SELECT (SELECT coalesce(sum(total), 0) FROM named) - (SELECT coalesce(sum(extra), 0) FROM twice)
"""


def is_one_author_count(sql: str, params: object) -> bool:
    """Whether this is Datasette's count of a page filtered by one author's name alone (after ``planned``)."""
    return (sql == _ONE_AUTHOR_COUNT and isinstance(params, dict)
            and params.get("p0") is not None and params.get("p0") == params.get("desk_author_0"))


# Datasette's clause for a search (``_search``), and its matches counted from the full-text index alone.
_SEARCHED = "version_id in (select rowid from article_search where article_search match escape_fts(:search))"
SEARCH_MATCHES = "select count(*) from article_search where article_search match escape_fts(:search)"
# A search's list sorted by date walks the date index, testing each row against the matches, once the matches are
# many: it then reads about reach × rows / matches rows (the reach: the page and the pages before it), where
# reading every match to sort them reads as many rows as matches. Walking is the cheaper while
# matches² > reach × rows; twice that, for room.
WALK_FACTOR = 2.0


def is_search_list(sql: str) -> bool:
    """Whether this is the list of a search (Datasette's own clause), sorted by date."""
    return _SEARCHED in sql and _SORTED_BY_DATE in sql


def search_planned(sql: str, matches: int, rows: int) -> str:
    """A search's list as it is fastest for this many matches among this many rows (``is_search_list``). Not where
    an author's clause walks already: the walk would have to meet both; a later page walks past the earlier ones."""
    if _WALKED in sql:
        return sql
    page = _PAGE.search(sql)
    if page is None:
        return sql
    reach = int(page[1]) + int(page[2] or 0)
    return sql.replace(_SEARCHED, "+" + _SEARCHED) if matches * matches > WALK_FACTOR * reach * rows else sql
