"""Many rows in one statement: on PostgreSQL, each column sent as one array and the rows made by ``unnest``.

An executemany sends one execution per row: psycopg pipelines them, but the server still binds, plans and runs
each one, and the client builds a message for each. A reparse writes about thirty link rows per article, so that
per-row cost was most of the server's work. SQLAlchemy sends a batch of versions or captures as one multi-row
``VALUES`` statement instead, whose thousands of placeholders psycopg rewrites in Python for every batch (too long
for its cache of statements): a fifth of the writer's CPU. ``unnest`` over one array per column turns a batch into
one execution of one short prepared statement, whatever its size. SQLite runs in the writer's own process, where
an executemany costs no round trip: it keeps it.

Only columns whose values psycopg can send as one array take this path: integers, strings, booleans, timestamps
(all with a zone or all without), and JSON, bound as SQLAlchemy binds each value (its ``None`` is JSON's null), each
column's values of one Python type (psycopg sends a list with one dumper, where one value at a time it casts each).
Anything else, a single row, or rows that do not all name the same columns go to the executemany as before.
Strings are cast to ``TEXT[]``, not to the column's ``VARCHAR(n)[]``: an explicit cast would cut a long value
where an insert refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Executable,
    Integer,
    String,
    Table,
    TextClause,
    Update,
    bindparam,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import CursorResult

_POSTGRESQL = postgresql.dialect()
_quote = _POSTGRESQL.identifier_preparer.quote
_PLAIN_TYPES = (Integer, String, Boolean, DateTime)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], conflict: str = "",
                each: Executable | None = None, returning: str = "") -> CursorResult[Any] | None:
    """``INSERT`` the rows (dicts keyed by the table's column names); ``conflict``: an ``ON CONFLICT`` clause,
    which no two rows may both hit (PostgreSQL refuses to change a row twice in one statement); ``returning``: the
    columns of a ``RETURNING`` clause, whose rows come in no promised order. The rows go in in their order (``WITH
    ORDINALITY … ORDER BY``): writers that lock shared rows, the kept counts, rely on taking them in the order given.
    Where the rows cannot be arrays, ``each`` (by default the table's plain insert) is run once per row: it must
    mean the same. Returns the statement's result (None for no rows)."""
    if not rows:
        return None
    arrays = _arrays(conn, table, rows, defaults=True)
    if arrays is None:
        return conn.execute(table.insert() if each is None else each, list(rows))
    return conn.execute(_insert_unnested(table, tuple(arrays), conflict, returning), _bound(arrays))


def update_rows(conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]],
                nulls: tuple[str, ...] = ()) -> None:
    """``UPDATE table SET column = value, … WHERE key = value`` for each row (dicts keyed by column names, ``key``
    among them, no key twice), and ``nulls`` set to NULL in every row. The rows are locked in the order the server
    finds them: callers hold their locks already (the articles a batch upserted, in key order)."""
    if not rows:
        return
    arrays = _arrays(conn, table, rows, defaults=False)
    if arrays is None:
        columns = tuple(rows[0])
        conn.execute(_update_each(table, key, columns, nulls), [{f"given_{name}": value for name, value in row.items()}
                                                                 for row in rows])
        return
    conn.execute(_update_unnested(table, key, tuple(arrays), nulls), _bound(arrays))


def _arrays(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], defaults: bool
            ) -> dict[str, list[Any]] | None:
    """One list per column, or None where the rows must go one by one."""
    if conn.dialect.name != "postgresql" or len(rows) < 2:
        return None
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        return None
    arrays: dict[str, list[Any]] = {}
    for column in columns:
        kind = table.c[column].type
        if isinstance(kind, JSON):
            # What SQLAlchemy binds for each value (None included: JSON's null), so the array holds the same.
            process = kind.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            values = [row[column] for row in rows] if process is None else [process(row[column]) for row in rows]
        elif isinstance(kind, _PLAIN_TYPES):
            values = [row[column] for row in rows]
        else:
            return None
        if len({_kind(value) for value in values if value is not None}) > 1:
            return None
        arrays[column] = values
    if defaults:  # what SQLAlchemy's insert fills in for a column the rows leave out (is_primary, is_lead)
        for omitted in table.c:
            if omitted.name not in arrays and omitted.default is not None and omitted.default.is_scalar:
                if not isinstance(omitted.type, _PLAIN_TYPES):
                    return None
                arrays[omitted.name] = [omitted.default.arg] * len(rows)  # type: ignore[attr-defined]
    return arrays


def _kind(value: Any) -> tuple[type, bool]:
    return type(value), getattr(value, "tzinfo", None) is None


def _bound(arrays: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {f"c{n}": values for n, values in enumerate(arrays.values())}


def _array_type(table: Table, column: str) -> str:
    kind = table.c[column].type
    return "TEXT[]" if isinstance(kind, String) else f"{kind.compile(dialect=_POSTGRESQL)}[]"


@cache
def _insert_unnested(table: Table, columns: tuple[str, ...], conflict: str, returning: str) -> TextClause:
    arrays = ", ".join(f"CAST(:c{n} AS {_array_type(table, column)})" for n, column in enumerate(columns))
    names = ", ".join(_quote(column) for column in columns)
    return text(f"INSERT INTO {_quote(table.name)} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "
                f"AS given ({names}, given_order) ORDER BY given_order {conflict}"
                + (f" RETURNING {returning}" if returning else ""))


@cache
def _update_each(table: Table, key: str, columns: tuple[str, ...], nulls: tuple[str, ...]) -> Update:
    # Bound as "given_…": SQLAlchemy reserves a column's own name for the SET clause it would build itself.
    return (update(table).where(table.c[key] == bindparam(f"given_{key}"))
            .values({**{column: bindparam(f"given_{column}") for column in columns if column != key},
                     **dict.fromkeys(nulls)}))


@cache
def _update_unnested(table: Table, key: str, columns: tuple[str, ...], nulls: tuple[str, ...]) -> TextClause:
    arrays = ", ".join(f"CAST(:c{n} AS {_array_type(table, column)})" for n, column in enumerate(columns))
    assignments = [f"{_quote(column)} = given.{_quote(column)}" for column in columns if column != key]
    assignments += [f"{_quote(column)} = NULL" for column in nulls]
    names = ", ".join(_quote(column) for column in columns)
    return text(f"UPDATE {_quote(table.name)} SET {', '.join(assignments)} FROM unnest({arrays}) AS given ({names}) "
                f"WHERE {_quote(table.name)}.{_quote(key)} = given.{_quote(key)}")
