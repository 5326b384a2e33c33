"""The Parquet writer: nested fields as Arrow list and struct columns, dates as UTC timestamps, batch by batch.

The article schema is written out (not inferred from the first rows) so every file of every archive has the
same column types, even when the first thousand articles have no tags: pandas reads ``authors`` as lists of
dicts and DuckDB as ``STRUCT(...)[]``, neither needs ``json.loads``. docs/schema.md lists the types.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ..exceptions import ConfigurationError

DATE_FIELDS = {"published", "modified", "captured_at", "removed_at", "fetched_at"}
INTEGER_COLUMNS = {"id", "article_id", "version", "versions", "position", "author_id", "image_id", "width",
                   "height", "site_author_id", "articles", "target_post_id", "post_id", "word_count",
                   "reading_time_minutes"}
BOOLEAN_COLUMNS = {"is_organization", "is_lead", "is_primary"}


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        # The interpreter's own pip: the hint works as pasted, in or outside a virtual environment.
        raise ConfigurationError(f"Parquet export needs pyarrow: {sys.executable} -m pip install 'pyarrow>=14'") \
            from error
    return pa, pq


def article_schema(pa: Any) -> Any:
    string, integer, timestamp = pa.string(), pa.int64(), pa.timestamp("s", tz="UTC")
    category = pa.struct([("name", string), ("slug", string), ("url", string), ("parent", string)])
    credit = pa.struct([("raw", string), ("creator", string), ("license", string), ("license_url", string),
                        ("source_url", string), ("applies_to", string)])
    author = pa.struct([("name", string), ("url", string), ("site_author_id", integer), ("bio", string),
                        ("avatar_url", string), ("forum_url", string), ("is_organization", pa.bool_())])
    image = pa.struct([("url", string), ("alt", string), ("caption", string), ("width", integer),
                       ("height", integer), ("is_lead", pa.bool_()), ("credit", credit)])
    capture = pa.struct([("warc_file", string), ("offset", integer), ("length", integer), ("record_id", string),
                         ("payload_digest", string), ("fetched_at", timestamp), ("url", string)])
    return pa.schema([
        ("id", integer), ("version", integer), ("versions", integer), ("url", string), ("post_id", integer),
        ("site", string), ("layout", string), ("title", string), ("lead", string), ("text", string),
        ("published", timestamp), ("published_raw", string), ("modified", timestamp), ("modified_raw", string),
        ("language", string), ("word_count", integer), ("reading_time_minutes", integer),
        ("authors", pa.list_(author)), ("primary_category", category), ("categories", pa.list_(category)),
        ("tags", pa.list_(pa.struct([("name", string), ("slug", string), ("url", string)]))),
        ("images", pa.list_(image)), ("credits", pa.list_(credit)), ("comments_url", string),
        ("links", pa.struct([("internal", pa.list_(string)), ("external", pa.list_(string))])),
        ("breadcrumb", pa.list_(string)), ("warnings", pa.list_(string)), ("captured_at", timestamp),
        ("extractor", string), ("field_sources", pa.map_(string, string)), ("capture", capture),
        ("removed_at", timestamp), ("removed_status", string),
    ])


def flat_schema(pa: Any, columns: list[str]) -> Any:
    """A companion table's schema from its column names (the names say the type)."""
    def type_of(name: str) -> Any:
        if name in DATE_FIELDS:
            return pa.timestamp("s", tz="UTC")
        if name in INTEGER_COLUMNS:
            return pa.int64()
        if name in BOOLEAN_COLUMNS:
            return pa.bool_()
        return pa.string()
    return pa.schema([(name, type_of(name)) for name in columns])


# The struct columns that hold a date (article_schema): only these are copied to convert it, the rest go to
# pyarrow as they are. A date left as text fails loudly (pyarrow refuses text for a timestamp column).
NESTED_DATES = {"capture": ("fetched_at",)}


def _datetime(value: Any) -> Any:
    """An exported ISO string (``…Z``) as a UTC datetime."""
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _column_value(value: Any, key: str) -> Any:
    """A row's value as its Parquet column takes it: dates as datetimes, a map as its item list."""
    if value is None:
        return None
    if key in DATE_FIELDS:
        return _datetime(value)
    if key == "field_sources" and isinstance(value, dict):
        return list(value.items())
    nested = NESTED_DATES.get(key)
    if nested and isinstance(value, dict):
        return value | {name: _datetime(value[name]) for name in nested if name in value}
    return value


def write_parquet(rows: Iterable[dict[str, Any]], path: str, table: str = "articles", batch: int = 1000,
                  columns: Callable[[], list[str]] | None = None) -> int:
    """Write the rows in batches of `batch`. An export of no rows still writes a file with the schema: the
    article schema, or a flat table's from `columns` (asked only then)."""
    pa, pq = _pyarrow()
    schema = article_schema(pa) if table == "articles" else None
    writer = None
    buffer: list[dict[str, Any]] = []
    count = 0

    def flush() -> None:
        nonlocal writer, schema
        if schema is None:
            if not buffer:
                return
            schema = flat_schema(pa, list(buffer[0]))
        if writer is None:
            writer = pq.ParquetWriter(path, schema)
        if buffer:
            names = schema.names
            records = [{name: _column_value(row.get(name), name) for name in names} for row in buffer]
            writer.write_table(pa.Table.from_pylist(records, schema=schema))
        buffer.clear()

    for row in rows:
        buffer.append(row)
        count += 1
        if len(buffer) >= batch:
            flush()
    if schema is None and not buffer and columns is not None:
        schema = flat_schema(pa, columns())
    flush()
    if writer is not None:
        writer.close()
    return count


def write_parquet_lines(chunks: Iterable[list[str]], path: str) -> int:
    """Write article rows given as chunks of JSON lines (article_export.rendered, ``parquet``): pyarrow's JSON
    reader parses each chunk into the article schema's columns in C++, one row group per chunk. The field-source
    map arrives as key/value entries (the reader has no maps) and becomes the map column here."""
    pa, pq = _pyarrow()
    import pyarrow.json as pj

    schema = article_schema(pa)
    index = schema.get_field_index("field_sources")
    entries = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
    options = pj.ParseOptions(explicit_schema=schema.set(index, pa.field("field_sources", entries)),
                              unexpected_field_behavior="error")
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for lines in chunks:
            if not lines:
                continue
            data = ("\n".join(lines) + "\n").encode()
            table = pj.read_json(io.BytesIO(data), parse_options=options,
                                 read_options=pj.ReadOptions(block_size=len(data)))
            listed = table.column(index).combine_chunks()
            mapped = pa.MapArray.from_arrays(listed.offsets, listed.values.field("key"), listed.values.field("value"))
            writer.write_table(table.set_column(index, schema.field(index), mapped))
            count += len(lines)
    return count
