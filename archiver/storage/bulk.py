"""Many rows in one statement: on PostgreSQL, each column sent as one array and the rows made by ``unnest``.

An executemany sends one execution per row: psycopg pipelines them, but the server still binds, plans and runs
each one, and the client builds a message for each. A reparse writes about thirty link rows per article, so that
per-row cost was most of the server's work. ``unnest`` over one array per column turns the batch into one
execution of one prepared statement, whatever its size. SQLite runs in the writer's own process, where an
executemany costs no round trip: it keeps it.

The rows keep their order (``WITH ORDINALITY … ORDER BY``): writers that lock shared rows (the kept counts) rely
on taking them in the order they were given.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, Table, TextClause, Update, bindparam, text, update
from sqlalchemy.dialects import postgresql

_POSTGRESQL = postgresql.dialect()


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], conflict: str = "",
                each: Executable | None = None) -> None:
    """``INSERT`` the rows (dicts with the same keys, named as the table's columns); ``conflict``: an ``ON
    CONFLICT`` clause. Elsewhere than on PostgreSQL, ``each`` (by default the table's plain insert) is run once per
    row, as before: it must mean the same."""
    if not rows:
        return
    columns = tuple(rows[0])
    if not _unnests(conn, columns, rows):
        conn.execute(table.insert() if each is None else each, list(rows))
        return
    conn.execute(_insert_unnested(table, columns, conflict), _arrays(columns, rows))


def update_rows(conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]],
                nulls: tuple[str, ...] = ()) -> None:
    """``UPDATE table SET column = value, … WHERE key = value`` for each row (dicts keyed by column names, ``key``
    among them), and ``nulls`` set to NULL in every row."""
    if not rows:
        return
    columns = tuple(rows[0])
    if not _unnests(conn, columns, rows):
        conn.execute(_update_each(table, key, columns, nulls), [{f"given_{name}": value for name, value in row.items()}
                                                                 for row in rows])
        return
    conn.execute(_update_unnested(table, key, columns, nulls), _arrays(columns, rows))


def _unnests(conn: Connection, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> bool:
    return conn.dialect.name == "postgresql" and len(rows) > 1 and all(tuple(row) == columns for row in rows)


def _arrays(columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    return {f"c{n}": [row[column] for row in rows] for n, column in enumerate(columns)}


def _array_type(table: Table, column: str) -> str:
    return f"{table.c[column].type.compile(dialect=_POSTGRESQL)}[]"


@cache
def _insert_unnested(table: Table, columns: tuple[str, ...], conflict: str) -> TextClause:
    arrays = ", ".join(f"CAST(:c{n} AS {_array_type(table, column)})" for n, column in enumerate(columns))
    names = ", ".join(columns)
    return text(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "
                f"AS given ({names}, given_order) ORDER BY given_order {conflict}")


@cache
def _update_each(table: Table, key: str, columns: tuple[str, ...], nulls: tuple[str, ...]) -> Update:
    # Bound as "given_…": SQLAlchemy reserves a column's own name for the SET clause it would build itself.
    return (update(table).where(table.c[key] == bindparam(f"given_{key}"))
            .values({**{column: bindparam(f"given_{column}") for column in columns if column != key},
                     **dict.fromkeys(nulls)}))


@cache
def _update_unnested(table: Table, key: str, columns: tuple[str, ...], nulls: tuple[str, ...]) -> TextClause:
    arrays = ", ".join(f"CAST(:c{n} AS {_array_type(table, column)})" for n, column in enumerate(columns))
    assignments = [f"{column} = given.{column}" for column in columns if column != key]
    assignments += [f"{column} = NULL" for column in nulls]
    return text(f"UPDATE {table.name} SET {', '.join(assignments)} FROM unnest({arrays}) AS given "
                f"({', '.join(columns)}) WHERE {table.name}.{key} = given.{key}")
