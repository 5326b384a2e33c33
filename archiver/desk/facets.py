"""The desk's facets: cached per archive state, and a list facet for the JSON-list columns.

Facet counts are a scan of every row the page lists; on a large archive they take longer than a page may
(``facet_time_limit_ms``), and a page of several facets would wait for each in turn: the facets of one page share
one budget (``FACETS_PER_PAGE_MS``). Each facet's answer is therefore kept per page address. One that ran out of
time is computed in the background without any limit, one page's facets at a time, so the next load has it. When the
archive's files change (a run commits) the kept answer is still shown and computed again in the background: the
list itself is always current, its facet counts at most one computation behind, and a run that commits every few
seconds costs the server one facet scan at a time, not one per page load. ``value`` is Datasette's column facet
so kept; ``list`` counts JSON lists.

The list facet (``_facet_list=COLUMN``, for authors, categories, tags, licenses):

Datasette's own array facet first de-duplicates the items with ``SELECT DISTINCT item, inner.*``, which computes
every column of every row of the view (each a subquery here) and compares whole rows; the lists of
``v_desk_articles`` hold no duplicates (names come from primary keys, licenses are DISTINCT), so counting the items
of the one column asked for is enough, and SQLite then computes only that column. Selecting a value uses
Datasette's ``COLUMN__arraycontains`` filter, as its array facet does.

The landing page (the view unfiltered) takes its facets from the counts every write keeps (``stat_counts``,
archiver/storage/counts.py) instead: the same numbers, read from a few thousand rows instead of every article.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasette.database import QueryInterrupted
from datasette.database import Results as QueryResults
from datasette.facets import ColumnFacet, Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from .clauses import planned

Results = tuple[list[dict[str, Any]], list[str]]
VIEW = "v_desk_articles"
# All the facets of one page together get this long in the request (each also within facet_time_limit_ms); the
# rest are counted in the background and shown from the next load on.
FACETS_PER_PAGE_MS = 250.0
# And none runs in a request past this long after it started (``REQUEST_STARTED``, stamped by the plugin's ASGI
# wrapper): Datasette lists and counts before it computes facets, and where those took long (an author of a quarter
# of the archive, a cache still cold) the facets' own budget on top would take the page past half a second.
PAGE_MS = 400.0
REQUEST_STARTED = "archiver_request_started"
# The time limit of a facet query that starts once the budget is spent.
SPENT_MS = 0.001
_KEPT = ("SELECT {value} AS value, sum(s.total) AS count FROM stat_counts s {join} WHERE s.kind = '{kind}' "
         "AND s.total > 0 {where} GROUP BY 1 ORDER BY count DESC, value LIMIT {{limit}}")
_TOTAL = "(SELECT coalesce(sum(total), 0) FROM stat_counts WHERE kind = '{kind}')"
# Each facet of the unfiltered view as the kept counts give it (the view's columns: docs/schema.md).
KEPT_FACETS = {
    "year": _KEPT.format(value="s.item", join="", kind="year", where="AND s.item <> ''"),
    "category": _KEPT.format(value="coalesce(c.name, c.slug)", kind="primary_category", where="",
                             join="JOIN categories c ON c.id = CAST(s.item AS INTEGER)"),
    "authors": _KEPT.format(value="au.name", kind="author", where="",
                            join="JOIN authors au ON au.id = CAST(s.item AS INTEGER)"),
    "tags": _KEPT.format(value="coalesce(t.name, t.slug)", kind="tag", where="",
                         join="JOIN tags t ON t.id = CAST(s.item AS INTEGER)"),
    "licenses": _KEPT.format(value="s.item", join="", kind="article_license", where=""),
    # Removed: the articles with a removal month; not removed: the others.
    "removed": (f"SELECT value, count FROM (SELECT 'no' AS value, {_TOTAL.format(kind='year')} - "
                f"{_TOTAL.format(kind='removal_month')} AS count UNION ALL SELECT 'yes', "
                f"{_TOTAL.format(kind='removal_month')}) WHERE count > 0 ORDER BY count DESC, value LIMIT {{limit}}"),
}
# Page address and facet -> (archive state, answer).
_cache: dict[tuple[Any, ...], tuple[tuple[int, ...], Results]] = {}
_running: set[tuple[Any, ...]] = set()
_tasks: set[asyncio.Task[None]] = set()
_one_at_a_time: asyncio.Lock | None = None


def archive_state(path: str | None) -> tuple[int, ...]:
    """Changes whenever a run commits: the database file's and its WAL's size and modification time."""
    if not path:
        return ()
    state: list[int] = []
    for name in (path, path + "-wal"):
        try:
            info = Path(name).stat()
        except FileNotFoundError:
            continue
        state += [info.st_size, info.st_mtime_ns]
    return tuple(state)


def column_of(config: dict[str, Any]) -> str:
    """The column a facet's configuration names (``{"column": …}``, or a bare name)."""
    return str(config.get("column") or config["simple"])


class _Unhurried:
    """The Datasette instance as a facet sees it in the background: its queries run without a time limit."""

    def __init__(self, datasette: Any) -> None:
        self._datasette = datasette

    def __getattr__(self, name: str) -> Any:
        return getattr(self._datasette, name)

    async def execute(self, database: str, sql: str, params: Any = None, **_limits: Any) -> QueryResults:
        def run(conn: Any) -> QueryResults:
            cursor = conn.execute(planned(sql), params or {})
            return QueryResults(cursor.fetchall(), False, cursor.description)

        return await self._datasette.get_database(database).execute_fn(run)


class _Budgeted:
    """The Datasette instance as a facet sees it in a request: no facet query may run past what the page's budget
    has left when it starts, so that a page of several facets (a list facet runs one query per column) is not held
    for each one's full time limit in turn."""

    def __init__(self, datasette: Any, remaining_ms: Callable[[], float]) -> None:
        self._datasette, self._remaining_ms = datasette, remaining_ms

    def __getattr__(self, name: str) -> Any:
        return getattr(self._datasette, name)

    def setting(self, name: str) -> Any:
        value = self._datasette.setting(name)
        if name != "facet_time_limit_ms":
            return value
        # Never 0, which Datasette reads as no limit (its SQL time limit): a microsecond interrupts at once.
        return max(SPENT_MS, min(value, self._remaining_ms()))


class CachedFacet(Facet):  # type: ignore[misc]
    ds: Any  # the Datasette instance (Facet sets it); a request's facets see it through _Budgeted

    async def facet_results(self) -> Results:
        if self.table == VIEW and self.sql.rstrip().endswith(f"from {VIEW}"):
            counted = await self.from_kept_counts()
            if counted is not None:
                return counted
        key = (self.type, self.request.path, self.request.query_string, self.sql, repr(self.params))
        state = archive_state(self.ds.get_database(self.database).path)
        kept = _cache.get(key)
        if kept is not None and kept[0] == state:
            return kept[1]
        if kept is not None:  # the archive changed: the last answer now, a fresh one in the background
            self._in_background(key)
            return kept[1]
        remaining_ms = self._remaining_ms()
        if remaining_ms <= 0 or key in _running:  # the page's facets have had their time, or it is being counted
            self._in_background(key)
            return [], [column_of(config["config"]) for config in self.get_configs()]
        datasette = self.ds
        self.ds = _Budgeted(datasette, self._remaining_ms)
        try:
            results, timed_out = await self.compute()
        finally:
            self.ds = datasette
        if timed_out:
            self._in_background(key)
        else:
            self._keep(key, state, (results, timed_out))
        return results, timed_out

    def _remaining_ms(self) -> float:
        """What is left of the page's facet budget (``FACETS_PER_PAGE_MS``, counted from its first facet), and of
        the page's own time (``PAGE_MS``, counted from the request's start)."""
        scope = self.request.scope
        deadline = scope.setdefault("archiver_facets_until", time.monotonic() + FACETS_PER_PAGE_MS / 1000)
        if REQUEST_STARTED in scope:
            deadline = min(deadline, scope[REQUEST_STARTED] + PAGE_MS / 1000)
        return float((deadline - time.monotonic()) * 1000)

    @staticmethod
    def _keep(key: tuple[Any, ...], state: tuple[int, ...], results: Results) -> None:
        if len(_cache) > 500:  # many filtered pages seen: start again rather than grow without bound
            _cache.clear()
        _cache[key] = (state, results)

    def _in_background(self, key: tuple[Any, ...]) -> None:
        if key in _running:
            return
        _running.add(key)
        task = asyncio.get_running_loop().create_task(self._compute_patiently(key))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    async def compute(self) -> Results:
        raise NotImplementedError

    def facet(self, column: str, source: str, rows: list[Any], size: int) -> dict[str, Any]:
        raise NotImplementedError

    async def from_kept_counts(self) -> Results | None:
        """The facets of the unfiltered view from ``stat_counts``; None where a facet is not kept there (or the
        archive predates the table): then they are counted from the rows."""
        results = []
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = column_of(config)
            if column not in KEPT_FACETS:
                return None
            try:
                rows = await self.ds.execute(self.database, KEPT_FACETS[column].format(limit=size + 1),
                                             truncate=False)
            except sqlite3.OperationalError:
                return None
            results.append(self.facet(column, source, rows.rows, size))
        return results, []

    async def _compute_patiently(self, key: tuple[Any, ...]) -> None:
        global _one_at_a_time
        if _one_at_a_time is None:
            _one_at_a_time = asyncio.Lock()
        patient = type(self)(_Unhurried(self.ds), self.request, self.database, sql=self.sql, table=self.table,
                             params=self.params, metadata=self.metadata, row_count=self.row_count)
        try:
            async with _one_at_a_time:
                state = archive_state(self.ds.get_database(self.database).path)
                results = await patient.compute()
            self._keep(key, state, results)
        finally:
            _running.discard(key)


class ValueFacet(CachedFacet, ColumnFacet):  # type: ignore[misc]
    """Datasette's column facet (``_facet_value=COLUMN``), cached."""

    type = "value"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def compute(self) -> Results:
        results: Results = await ColumnFacet.facet_results(self)
        for facet in results[0]:
            facet["type"] = self.type
        return results

    def facet(self, column: str, source: str, rows: list[Any], size: int) -> dict[str, Any]:
        """What ColumnFacet.facet_results gives for one column (the view has no foreign keys to label)."""
        pairs = self.get_querystring_pairs()
        values = []
        for row in rows[:size]:
            selected = (column, str(row["value"])) in pairs
            path = (path_with_removed_args(self.request, {column: str(row["value"])}) if selected
                    else path_with_added_args(self.request, {column: row["value"]}))
            values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                           "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                           "selected": selected})
        return {"name": column, "type": self.type, "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                "results": values, "truncated": len(rows) > size}


class ListFacet(CachedFacet):
    type = "list"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def compute(self) -> Results:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = column_of(config)
            sql = (f"SELECT item.value AS value, count(*) AS count FROM ({self.sql}) AS inner_rows, "
                   f"json_each(inner_rows.{escape_sqlite(column)}) AS item GROUP BY item.value "
                   f"ORDER BY count(*) DESC, item.value LIMIT {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            results.append(self.facet(column, source, rows.rows, size))
        return results, timed_out

    def facet(self, column: str, source: str, rows: list[Any], size: int) -> dict[str, Any]:
        pairs = self.get_querystring_pairs()
        values = []
        for row in rows[:size]:
            value = str(row["value"])
            argument = {f"{column}__arraycontains": value}
            selected = (f"{column}__arraycontains", value) in pairs
            path = (path_with_removed_args(self.request, argument) if selected
                    else path_with_added_args(self.request, argument))
            values.append({"value": value, "label": value, "count": row["count"],
                           "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
        return {"name": column, "type": self.type, "results": values, "hideable": source != "metadata",
                "toggle_url": self.ds.absolute_url(self.request, path_with_removed_args(
                    self.request, {"_facet_list": column})),
                "truncated": len(rows) > size}
