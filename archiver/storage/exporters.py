"""Export shapes per table and the JSONL / CSV writers (all streaming, constant memory); Parquet in parquet.py.

``articles`` rows are the item shape (docs/schema.md); ``authors`` is one flat row per author; the other
tables are flat companion rows, one per occurrence in an exported version, keyed by ``article_id`` and
``version``. In CSV a nested cell (only the article rows have them) is JSON text with sorted keys.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

from sqlalchemy import Engine, inspect, text

from .filters import SQLITE_DATES_BY_ID, ArticleFilter, has_dates_by_id
from .parquet import BOOLEAN_COLUMNS, write_parquet, write_parquet_lines
from .reader import BATCH, iso_column, iter_articles

__all__ = ["TABLES", "export", "iter_rows", "table_columns", "write_csv", "write_jsonl", "write_parquet"]

TABLES = ("articles", "authors", "article_authors", "categories", "tags", "images", "credits", "links")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Companion tables: one row per occurrence in an exported version, keyed by article_id and version (and
# position) so they join to the article rows. {join} chooses current or all versions, {where} the filters.
# ``{dates}``: on SQLite with a date filter, each version's date is read from the index of dates by ID (revision
# 0014), not from the version's row, where it sits behind the text and HTML: the filter then skips the versions
# outside the dates without reading them. ``{vid}`` is then ``+v.id``: an expression, not a column, so SQLite cannot
# carry the equality over to the article's current version and read every article's rows of the table (images
# and their URLs) before the date is tested.
VERSIONS = "JOIN article_versions v {dates}ON {vid} = x.version_id JOIN articles a ON {join}"
COMPANION_QUERIES = {
    "article_authors": ("SELECT a.id AS article_id, v.version, x.position, au.id AS author_id, au.name, au.url "
                        f"FROM article_authors x {VERSIONS} JOIN authors au ON au.id = x.author_id {{where}} "
                        "ORDER BY a.id, v.version, x.position"),
    "categories": ("SELECT a.id AS article_id, v.version, x.position, c.slug, c.name, c.url, p.slug AS parent, "
                   f"x.is_primary FROM article_categories x {VERSIONS} JOIN categories c ON c.id = x.category_id "
                   "LEFT JOIN categories p ON p.id = c.parent_id {where} ORDER BY a.id, v.version, x.position"),
    "tags": ("SELECT a.id AS article_id, v.version, x.position, t.slug, t.name, t.url "
             f"FROM article_tags x {VERSIONS} JOIN tags t ON t.id = x.tag_id {{where}} "
             "ORDER BY a.id, v.version, x.position"),
    "images": ("SELECT a.id AS article_id, v.version, x.position, im.id AS image_id, a.url AS article_url, im.url, "
               f"x.alt, x.caption, x.width, x.height, x.is_lead FROM article_images x {VERSIONS} "
               "JOIN images im ON im.id = x.image_id {where} ORDER BY a.id, v.version, x.position"),
    "credits": ("SELECT a.id AS article_id, v.version, x.position, x.id, a.url AS article_url, "
                "v.title AS article_title, v.published, x.raw, x.creator, x.license, x.license_url, x.source_url, "
                f"x.applies_to FROM credits x {VERSIONS} {{where}} ORDER BY a.id, v.version, x.position"),
    "links": ("SELECT a.id AS article_id, v.version, x.kind, x.position, x.url, x.target_post_id "
              f"FROM links x {VERSIONS} {{where}} ORDER BY a.id, v.version, x.kind, x.position"),
}
# Authors are entities: one row each, with how many current articles name them (taken-down ones included); with
# filters, only the authors of the chosen versions. The count is the one the writers keep in stat_counts (kind
# 'author': rows of article_authors on current versions, one per article since (version_id, author_id) is the
# key), read per author instead of aggregated over every byline; an archive from before those counts (revision
# 0012, which export does not require) has them aggregated, once for all authors.
_AUTHORS = (
    "SELECT au.id, s.host AS site, au.name, au.url, au.site_author_id, au.bio, au.avatar_url, au.forum_url, "
    "au.is_organization, coalesce(n.{total}, 0) AS articles FROM authors au JOIN sites s ON s.id = au.site_id "
    "LEFT JOIN {counts} {{where}} ORDER BY au.id")
# The item is the author's ID as the writers spell it (CAST … AS TEXT), so the join probes stat_counts' key.
AUTHORS_QUERY = _AUTHORS.format(total="total",
                                counts="stat_counts n ON n.kind = 'author' AND n.item = CAST(au.id AS TEXT)")
AUTHORS_COUNTED_QUERY = _AUTHORS.format(
    total="articles", counts="(SELECT caa.author_id, count(DISTINCT ca.id) AS articles FROM article_authors caa "
    "JOIN articles ca ON ca.current_version_id = caa.version_id GROUP BY caa.author_id) n ON n.author_id = au.id")
AUTHORS_OF = ("WHERE au.id IN (SELECT x.author_id FROM article_authors x " + VERSIONS + " {where})")
DATE_COLUMNS = {"published", "modified", "captured_at", "removed_at"}


def export(engine: Engine, table: str, fmt: str, out: IO[str] | str, versions: str = "latest",
           filters: ArticleFilter | None = None, limit: int | None = None) -> int:
    """Write one export table as `fmt` (``jsonl``, ``csv`` to a text stream; ``parquet`` to a file path), at most
    `limit` rows; how many were written. Article rows are rendered by the database (article_export.py), in the
    bytes the dict writers below give them; the flat tables go through those writers."""
    if table == "articles":
        from .article_export import rendered

        chunks = rendered(engine, fmt, versions, filters, limit)
        if fmt == "parquet":
            assert isinstance(out, str)
            return write_parquet_lines(chunks, out)
        assert not isinstance(out, str)
        return write_csv_cells(chunks, out) if fmt == "csv" else write_jsonl_lines(chunks, out)
    rows: Iterable[dict[str, Any]] = iter_rows(engine, table, versions, filters)
    if limit is not None:
        rows = islice(rows, limit)
    if fmt == "parquet":
        assert isinstance(out, str)
        return write_parquet(rows, out, table, columns=lambda: table_columns(engine, table))
    assert not isinstance(out, str)
    return (write_csv if fmt == "csv" else write_jsonl)(rows, out)


def write_jsonl_lines(chunks: Iterable[list[str]], out: IO[str]) -> int:
    count = 0
    for lines in chunks:
        if lines:
            out.write("\n".join(lines))
            out.write("\n")
            count += len(lines)
    return count


def write_csv_cells(chunks: Iterable[list[str]], out: IO[str]) -> int:
    """CSV lines already rendered (article_export.rendered, ``csv``), after the article keys as the header."""
    from .article_sql import KEYS

    count = 0
    for lines in chunks:
        if lines and not count:
            csv.writer(out).writerow(KEYS)
        if lines:
            out.write("\r\n".join(lines))
            out.write("\r\n")
            count += len(lines)
    return count


def iter_rows(engine: Engine, table: str, versions: str = "latest",
              filters: ArticleFilter | None = None) -> Iterator[dict[str, Any]]:
    """The rows of one export table, streamed: `versions` is ``latest`` or ``all``, `filters` choose them."""
    if table == "articles":
        yield from iter_articles(engine, versions=versions, filters=filters)
        return
    join = "a.current_version_id = v.id" if versions == "latest" else "a.id = v.article_id"
    chosen = filters or ArticleFilter()
    clauses, params = chosen.sql(engine.dialect.name)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    with engine.connect() as conn:
        by_date = engine.dialect.name == "sqlite" and chosen.dated() and has_dates_by_id(conn)
        versions_of = {"join": join, "where": where, "dates": f"INDEXED BY {SQLITE_DATES_BY_ID} " if by_date else "",
                       "vid": "+v.id" if by_date else "v.id"}
        if table == "authors":
            sql = authors_query(engine).format(where=AUTHORS_OF.format(**versions_of) if clauses else "")
        else:
            sql = COMPANION_QUERIES[table].format(**versions_of)
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(sql), params)
        names = list(result.keys())
        converters = [(index, _converter(name)) for index, name in enumerate(names)
                      if name in DATE_COLUMNS or name in BOOLEAN_COLUMNS]
        for chunk in result.partitions(BATCH):
            for row in chunk:
                values = list(row)
                for index, convert in converters:
                    values[index] = convert(values[index])
                yield dict(zip(names, values, strict=True))


def authors_query(engine: Engine) -> str:
    """The authors query this archive can answer: from the kept counts, or counted on an archive without them."""
    return AUTHORS_QUERY if inspect(engine).has_table("stat_counts") else AUTHORS_COUNTED_QUERY


def _converter(name: str) -> Callable[[Any], Any]:
    if name in DATE_COLUMNS:
        return iso_column
    return lambda value: None if value is None else bool(value)


def table_columns(engine: Engine, table: str) -> list[str]:
    """A flat table's column names, read from its query (for a Parquet file of no rows)."""
    sql = authors_query(engine).format(where="") if table == "authors" else \
        COMPANION_QUERIES[table].format(join="a.current_version_id = v.id", where="", dates="", vid="v.id")
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM ({sql}) q LIMIT 0")).keys())


# json.dumps(row, ensure_ascii=False, sort_keys=True), without building an encoder for every row.
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
WRITE_EVERY = 1000  # rows joined into one write


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    lines: list[str] = []
    for row in rows:
        lines.append(_encode(row))
        count += 1
        if len(lines) >= WRITE_EVERY:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")
    return count


def neutralize(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value: Any) -> str:
    if value.__class__ is str:  # most cells
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return neutralize(_encode(value))
    return neutralize(str(value))


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """The first row's keys are the header (as exported); a key a later row lacks is an empty cell."""
    writer = csv.writer(out)
    fields: list[str] | None = None
    count = 0
    for row in rows:
        if fields is None:
            fields = list(row)
            writer.writerow(fields)
        writer.writerow([_cell(row.get(key)) for key in fields])
        count += 1
    return count
