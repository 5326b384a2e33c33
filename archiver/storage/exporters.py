"""Export shapes per table and the JSONL / CSV / Parquet writers (all streaming, constant memory).

``articles`` rows are the item shape (docs/schema.md); ``authors``, ``credits`` and ``images`` are
flat rows, one per entity (authors) or per occurrence in a current version (credits, images).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Engine, text

from .reader import iso, iter_articles

TABLES = ("articles", "authors", "credits", "images")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

FLAT_QUERIES = {
    "authors": ("SELECT au.id, s.host AS site, au.name, au.url, au.site_author_id, au.bio, au.avatar_url, "
                "au.forum_url, au.is_organization, (SELECT count(DISTINCT a.id) FROM article_authors aa "
                "JOIN articles a ON a.current_version_id = aa.version_id WHERE aa.author_id = au.id) AS articles "
                "FROM authors au JOIN sites s ON s.id = au.site_id ORDER BY au.id"),
    "credits": ("SELECT cr.id, a.id AS article_id, a.url AS article_url, v.title AS article_title, v.published, "
                "cr.raw, cr.creator, cr.license, cr.license_url, cr.source_url, cr.applies_to "
                "FROM credits cr JOIN article_versions v ON v.id = cr.version_id "
                "JOIN articles a ON a.current_version_id = v.id {where} ORDER BY a.id, cr.position"),
    "images": ("SELECT im.id, a.id AS article_id, a.url AS article_url, im.url, ai.alt, ai.caption, ai.width, "
               "ai.height, ai.is_lead, ai.position FROM article_images ai JOIN images im ON im.id = ai.image_id "
               "JOIN article_versions v ON v.id = ai.version_id JOIN articles a ON a.current_version_id = v.id "
               "{where} ORDER BY a.id, ai.position"),
}
BOOLEAN_COLUMNS = {"is_organization", "is_lead"}


def iter_rows(engine: Engine, table: str, versions: str = "latest",
              since: datetime | None = None) -> Iterator[dict[str, Any]]:
    if table == "articles":
        yield from iter_articles(engine, versions=versions, since=since)
        return
    where = "WHERE v.published >= :since" if since is not None and table != "authors" else ""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=500).execute(
            text(FLAT_QUERIES[table].format(where=where)), {"since": since} if where else {})
        for row in result.mappings():
            record = dict(row)
            for key, value in record.items():
                if isinstance(value, datetime):
                    record[key] = iso(value)
                elif key in BOOLEAN_COLUMNS and value is not None:
                    record[key] = bool(value)
            if table == "credits" and isinstance(record.get("published"), str) and "T" not in record["published"]:
                record["published"] = iso(datetime.fromisoformat(record["published"]))
            yield record


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def neutralize(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return neutralize(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return neutralize(str(value))


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    writer: csv.DictWriter[str] | None = None
    count = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=sorted(row), extrasaction="ignore")
            writer.writeheader()
        writer.writerow({key: _cell(value) for key, value in row.items()})
        count += 1
    return count


def write_parquet(rows: Iterable[dict[str, Any]], path: str, batch: int = 1000) -> int:
    """Nested fields (authors, images, …) become JSON strings; dates become UTC timestamps."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        import sys

        from ..exceptions import ConfigurationError

        # The interpreter's own pip: the hint works as pasted, in or outside a virtual environment.
        raise ConfigurationError(f"Parquet export needs pyarrow: {sys.executable} -m pip install 'pyarrow>=14'") \
            from error
    writer = None
    buffer: list[dict[str, Any]] = []
    count = 0

    def flush() -> None:
        nonlocal writer
        if not buffer:
            return
        columns = sorted(buffer[0])
        arrays = [_parquet_column(pa, name, [row.get(name) for row in buffer]) for name in columns]
        table = pa.Table.from_arrays(arrays, names=columns)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table.cast(writer.schema))
        buffer.clear()

    for row in rows:
        buffer.append(row)
        count += 1
        if len(buffer) >= batch:
            flush()
    flush()
    if writer is not None:
        writer.close()
    return count


DATE_COLUMNS = {"published", "modified", "captured_at", "removed_at"}


def _parquet_column(pa: Any, name: str, values: list[Any]) -> Any:
    if name in DATE_COLUMNS:
        return pa.array([datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None for v in values],
                        type=pa.timestamp("s", tz="UTC"))
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, (dict, list)):
        return pa.array([json.dumps(v, ensure_ascii=False, sort_keys=True) if v is not None else None
                         for v in values], type=pa.string())
    if isinstance(sample, bool):
        return pa.array(values, type=pa.bool_())
    if isinstance(sample, int):
        return pa.array(values, type=pa.int64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())
