"""The article rows of an export, rendered by the database (article_sql.py) chunk by chunk, in order.

One ordered query streams the chosen version IDs (a server-side cursor on PostgreSQL); each chunk of ``BATCH``
IDs is rendered by one query, on ``WORKERS`` connections at once (the database renders while Python writes the
chunk before), and the chunks are handed on in order. Memory holds at most ``WORKERS + 1`` rendered chunks.
"""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, text

from .article_sql import KEYS, UNRENDERED, Dialect, csv_cells, csv_line, jsonl_line
from .filters import ArticleFilter
from .reader import BATCH, version_item

WORKERS = 2
IDS_QUERY = "SELECT v.id FROM articles a JOIN {versions} ON {join} {where} ORDER BY {order}"
SQLITE_PUBLISHED = "ix_article_versions_published"  # every revision has it (since 0013 with the article beside)
# The chunk's versions in the order of its IDs (a JSON array on SQLite, an array on PostgreSQL).
CHUNK = {
    "sqlite": ("FROM json_each(:ids) k CROSS JOIN article_versions v ON v.id = k.value", "k.key"),
    "postgresql": ("FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY k(id, n) "
                   "JOIN article_versions v ON v.id = k.id", "k.n"),
}
# Unordered: the rows are put in order here (the database sorted the rendered text, and PostgreSQL spilled it to
# disk); the driver's own placeholders, as the query runs on the driver's connection (below).
RENDER_QUERY = ("SELECT {order}, v.id AS id, {columns} {chunk} JOIN articles a ON a.id = v.article_id "
                "JOIN sites s ON s.id = a.site_id LEFT JOIN captures c ON c.id = v.capture_id {joins}")


def render_query(dialect: str, fmt: str) -> str:
    """The query rendering one chunk: ``jsonl`` lines, ``parquet`` lines (the field-source map as entries), or
    ``csv`` cells."""
    d = Dialect(sqlite=dialect == "sqlite", map_entries=fmt == "parquet")
    chunk, order = CHUNK["sqlite" if d.sqlite else "postgresql"]
    if fmt == "csv":
        # Rendered once, then quoted (CSV quoting in Python's csv module cost as much as the rendering).
        cells = csv_cells(d)
        names = [f"c{index}" for index in range(len(cells))]
        inner = RENDER_QUERY.format(columns=", ".join(f"{cell} AS c{index}" for index, cell in enumerate(cells)),
                                    chunk=chunk, joins=" ".join(d.joins), order=f"{order} AS n")
        sql = f"WITH r AS MATERIALIZED ({inner}) SELECT n, id, {csv_line(d, names)} FROM r"
    else:
        sql = RENDER_QUERY.format(columns=jsonl_line(d), chunk=chunk, joins=" ".join(d.joins), order=order)
    # psycopg's placeholders: a literal % doubled (format()'s templates), the parameter named.
    return sql if d.sqlite else sql.replace("%", "%%").replace(":ids", "%(ids)s")


def ids_query(engine: Engine, versions: str, filters: ArticleFilter) -> tuple[str, dict[str, Any]]:
    """The ordered query of the chosen version IDs and its parameters."""
    clauses, params = filters.sql(engine.dialect.name)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    if versions != "latest":  # a date filter walks the published index here, then sorts
        return IDS_QUERY.format(versions="article_versions v", join="v.article_id = a.id", where=where,
                                order="a.id, v.version"), params
    table = "article_versions v"
    if engine.dialect.name == "sqlite" and filters.dated():
        # The date range from the published index (it holds each version's ID), then sorted by article. Left to
        # itself SQLite walks every article and reads each current version's date from its row, behind the text
        # and HTML, for a range of any width.
        table += f" INDEXED BY {SQLITE_PUBLISHED}"
    # One version per article: the article orders them.
    return IDS_QUERY.format(versions=table, join="v.id = a.current_version_id", where=where, order="a.id"), params


def rendered(engine: Engine, fmt: str, versions: str = "latest", filters: ArticleFilter | None = None,
             limit: int | None = None, workers: int = WORKERS) -> Iterator[list[str]]:
    """The export's rows in chunks: JSONL lines (``jsonl``, ``parquet``) or lists of CSV cells (``csv``), in
    ``a.id, v.version`` order, streamed."""
    dialect = engine.dialect.name
    render = render_query(dialect, fmt)
    sql, params = ids_query(engine, versions, filters or ArticleFilter())
    if limit is not None:
        sql += f" LIMIT {int(limit)}"

    def chunk(ids: list[int]) -> list[str]:
        with engine.connect() as conn:
            found = _run(conn, render, ids)
            found.sort(key=itemgetter(0))
            rows: list[str] = [row[2] for row in found]
            for index, row in enumerate(found):
                if UNRENDERED in row[2]:
                    rows[index] = _in_python(conn, row[1], fmt)
        return rows

    with engine.connect() as conn, ThreadPoolExecutor(max(1, workers)) as pool:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(sql), params)
        pending: deque[Future[list[str]]] = deque()
        for ids in result.scalars().partitions(BATCH):
            pending.append(pool.submit(chunk, list(ids)))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _run(conn: Connection, sql: str, ids: list[int]) -> list[Any]:
    """One chunk's query on the driver's connection (no SQLAlchemy row objects). PostgreSQL prepares it with a
    generic plan, the same for every chunk: planned for the values of the first chunks it scanned whole
    relation tables, and planning a query with a thousand values took as long as running it."""
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        return list(driver.execute(sql, {"ids": json.dumps(ids)}).fetchall())  # type: ignore[union-attr]
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(sql, {"ids": ids}, prepare=True)
        return list(cursor.fetchall())


def _in_python(conn: Connection, version_id: int, fmt: str) -> Any:
    """A row SQL could not render, rendered from its item as the Python writers render it."""
    from .exporters import _cell, _encode
    from .parquet import _column_value

    item = version_item(conn, version_id)
    if fmt == "csv":
        line = io.StringIO()
        csv.writer(line).writerow([_cell(item[key]) for key in KEYS])
        return line.getvalue().removesuffix("\r\n")
    if fmt == "parquet":
        item["field_sources"] = [{"key": k, "value": v} for k, v in _column_value(item["field_sources"],
                                                                               "field_sources")]
    return _encode(item)
