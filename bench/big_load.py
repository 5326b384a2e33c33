"""Bulk loading of the big archive's rows into a database the migrations created (bench/big_archive.py).

SQLite: SQLAlchemy Core ``insert()`` executemany, one transaction per chunk, foreign-key checks off while loading
(the rows are consistent by construction; tests/test_big_archive.py checks them with ``PRAGMA foreign_key_check``).
The FTS5 triggers are set aside and both search indexes (plain and stemmed) are filled once at the end, which is
faster than a trigger per row; the triggers are put back exactly as the migrations wrote them
(read from ``sqlite_master``).
PostgreSQL: ``COPY`` (psycopg), with the secondary indexes and foreign keys dropped for the load and recreated from
their own definitions (``pg_get_indexdef``/``pg_get_constraintdef``) afterwards, which also validates every key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, event, insert, text

from archiver.storage import models as m
from archiver.storage import stemming

JSON_COLUMNS = {"breadcrumb", "warnings", "diff", "field_sources", "stats", "software"}


def tables() -> dict[str, Table]:
    metadata: MetaData = m.Base.metadata
    return dict(metadata.tables)


class SqliteLoader:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

        @event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()
            stemming.register(dbapi_connection)  # the stemmed index is filled through the archive's SQL function

        self.tables = tables()
        with self.engine.begin() as conn:
            self.triggers = [sql for (sql,) in conn.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'article_versions'"))]
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                             "AND tbl_name = 'article_versions'")).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))

    def load(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        with self.engine.begin() as conn:
            for name, batch in rows.items():
                if batch:
                    conn.execute(insert(self.tables[name]), batch)

    def finish(self) -> None:
        with self.engine.begin() as conn:
            for sql in self.triggers:
                conn.execute(text(sql))
            conn.execute(text("INSERT INTO article_search(article_search) VALUES ('rebuild')"))
            # The same statement revision 0008 fills an existing archive with.
            conn.execute(text(f"INSERT INTO article_search_stemmed(rowid, doc) SELECT v.id, "
                              f"{stemming.SQL_FUNCTION}(v.title, v.lead, v.text) FROM article_versions v"))
        with self.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        self.engine.dispose()


class PostgresLoader:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.tables = tables()
        names = list(self.tables)
        with self.engine.begin() as conn:
            self.foreign_keys = [(table, name, definition) for table, name, definition in conn.execute(text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:names)"), {"names": names})]
            self.indexes = [(name, definition) for name, definition in conn.execute(text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(:names) AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"), {"names": names})]
            for table, name, _ in self.foreign_keys:
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            for name, _ in self.indexes:
                conn.execute(text(f"DROP INDEX {name}"))

    def load(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for name, batch in rows.items():
                if not batch:
                    continue
                columns = list(batch[0])
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in batch:
                        copy.write_row([_pg_value(column, row[column]) for column in columns])
            raw.commit()
        finally:
            raw.close()

    def finish(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '512MB'"))
            for _, definition in self.indexes:
                conn.execute(text(definition))
            for table, name, definition in self.foreign_keys:
                conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
            for table in self.tables:  # the sequences behind the IDs the rows brought
                column = self.tables[table].c.get("id")
                if column is not None and column.primary_key:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))
        # Autovacuum would analyze the fresh tables within minutes; do it now so the planner sees them.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        self.engine.dispose()


def _pg_value(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return value


def loader(url: str) -> SqliteLoader | PostgresLoader:
    return PostgresLoader(url) if url.startswith("postgresql") else SqliteLoader(url)


def load_all(target: SqliteLoader | PostgresLoader, batches: Iterable[dict[str, list[dict[str, Any]]]]) -> None:
    for rows in batches:
        target.load(rows)


def engine_for(url: str) -> Engine:
    from archiver.storage.db import make_engine

    return make_engine(url, readonly=True)
