"""The big archive's rows (bench/big_rows.py) encoded for the bulk load (bench/big_load.py), table by table.

SQLite gets tuples for ``executemany`` with the values SQLAlchemy's types would have bound (dates as
``YYYY-MM-DD HH:MM:SS.ffffff``, JSON through ``json.dumps``, a JSON ``None`` as ``null``, booleans as 0/1), and
the two FTS5 indexes' rows the triggers would have written. PostgreSQL gets the text of ``COPY … FROM STDIN``.
The encoders are generated per table from the models' column types: one call per row instead of one per value is
most of what a Python bulk load can save.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from big_rows import STEMMED, Rows
from sqlalchemy import JSON, Boolean, DateTime

from archiver.storage import models as m

# (table, columns, payload): payload a list of tuples (SQLite) or COPY text (PostgreSQL).
Encoded = list[tuple[str, tuple[str, ...], Any]]
PLAIN_SEARCH = "article_search"


def _kind(table: str, column: str) -> str:
    if table not in m.Base.metadata.tables:
        return "plain"
    kind = m.Base.metadata.tables[table].c[column].type
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Boolean):
        return "bool"
    return "plain"


def _sqlite_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_json(value: Any) -> str:
    return json.dumps(value)


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return str(value)


def _copy_json(value: Any) -> str:
    return "\\N" if value is None else _copy_text(json.dumps(value, ensure_ascii=False))


SQLITE = {"datetime": "_sqlite_datetime", "json": "_sqlite_json", "bool": "_sqlite_bool", "plain": ""}
COPY = {"datetime": "_copy_text", "json": "_copy_json", "bool": "_copy_text", "plain": "_copy_text"}


@cache
def row_encoder(backend: str, table: str, columns: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    """A function of one row dict: its tuple (SQLite) or its COPY line (PostgreSQL), generated once."""
    functions = SQLITE if backend == "sqlite" else COPY
    values = ", ".join(f"{functions[_kind(table, c)]}(r[{c!r}])" for c in columns)
    body = f"({values},)" if backend == "sqlite" else f"'\\t'.join(({values},)) + '\\n'"
    namespace = dict(globals())
    exec(f"def encode(r): return {body}", namespace)  # code built from the models' column names
    return namespace["encode"]  # type: ignore[no-any-return]


def encode(rows: Rows, backend: str) -> Encoded:
    out: Encoded = []
    for table, batch in rows.items():
        if not batch or (table == STEMMED and backend != "sqlite"):
            continue
        columns = tuple(batch[0])
        row = row_encoder(backend, table, columns)
        if backend == "sqlite":
            out.append((table, columns, [row(r) for r in batch]))
        else:
            out.append((table, columns, "".join([row(r) for r in batch])))
        if table == "article_versions" and backend == "sqlite":
            # What the trigger article_search_ai inserts into the plain (external-content) index.
            out.append((PLAIN_SEARCH, ("rowid", "title", "lead", "text"),
                        [(r["id"], r["title"], r["lead"] or "", r["text"]) for r in batch]))
    return out
