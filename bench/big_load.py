"""Bulk loading of the big archive's rows into a database the migrations created (bench/big_archive.py).

The rows come encoded (bench/big_encode.py). SQLite: ``sqlite3`` ``executemany`` of tuples, one transaction per
chunk, with foreign-key checks, the rollback journal and fsync off while loading (the rows are consistent by
construction, tests/test_big_archive.py checks them with ``PRAGMA foreign_key_check``; a build that fails is built
again from scratch) and a cache large enough to hold the indexes that grow in random order. The FTS5 triggers are
set aside and each version's rows in both search indexes (plain and stemmed) are inserted with it: what the triggers
insert, the stemmed document computed by the generator (each distinct word stemmed once); the triggers are put
back exactly as the migrations wrote them (read from ``sqlite_master``), and WAL mode with them.
PostgreSQL: ``COPY`` text (psycopg), with the secondary indexes and foreign keys dropped for the load and recreated
from their own definitions (``pg_get_indexdef``/``pg_get_constraintdef``) afterwards, which also validates every key.
"""

from __future__ import annotations

import sqlite3
from queue import Queue
from threading import Thread

from big_encode import Encoded
from sqlalchemy import MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url

from archiver.storage import models as m


def tables() -> dict[str, Table]:
    metadata: MetaData = m.Base.metadata
    return dict(metadata.tables)


class SqliteLoader:
    backend = "sqlite"

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        assert database, url
        self.connection = sqlite3.connect(database, isolation_level=None)
        cursor = self.connection
        self.triggers = [sql for (sql,) in cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'article_versions'")]
        for (name,) in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name = 'article_versions'").fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')
        for pragma in ("foreign_keys=OFF", "journal_mode=OFF", "synchronous=OFF", "cache_size=-2000000",
                       "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):
            cursor.execute(f"PRAGMA {pragma}")

    def load(self, encoded: Encoded) -> None:
        cursor = self.connection
        cursor.execute("BEGIN")
        for name, columns, batch in encoded:
            cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' * len(columns))})", batch)
        cursor.execute("COMMIT")

    def flush(self) -> None:
        """Nothing is pending: load() commits before it returns."""

    def finish(self) -> None:
        cursor = self.connection
        cursor.execute("BEGIN")
        for sql in self.triggers:
            cursor.execute(sql)
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA locking_mode=NORMAL")
        cursor.execute("PRAGMA journal_mode=WAL")
        self.connection.close()


class PostgresLoader:
    """``COPY`` on ``connections`` connections at once, a chunk each: the server's work (above all the German
    ``to_tsvector`` of the generated ``search_vector`` column) is most of the load, and one backend uses one core."""

    backend = "postgresql"

    def __init__(self, url: str, connections: int = 2) -> None:
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.chunks: Queue[Encoded | None] = Queue(maxsize=connections)
        self.errors: list[BaseException] = []
        self.copiers = [Thread(target=self._copy, args=(conninfo,), daemon=True) for _ in range(connections)]
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
        for copier in self.copiers:
            copier.start()

    def _copy(self, conninfo: str) -> None:
        import psycopg

        with psycopg.connect(conninfo) as raw:
            while (encoded := self.chunks.get()) is not None:
                if self.errors:
                    continue  # keep taking chunks so that load() never waits on a copier that has failed
                try:
                    with raw.cursor() as cursor:
                        for name, columns, payload in encoded:
                            with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                                copy.write(payload)
                    raw.commit()
                except BaseException as error:  # raised again in the loading thread
                    self.errors.append(error)

    def load(self, encoded: Encoded) -> None:
        if self.errors:
            raise self.errors[0]
        self.chunks.put(encoded)

    def flush(self) -> None:
        """Wait for the chunks handed to load() to be committed."""
        for _ in self.copiers:
            self.chunks.put(None)
        for copier in self.copiers:
            copier.join()
        if self.errors:
            raise self.errors[0]

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


def loader(url: str) -> SqliteLoader | PostgresLoader:
    return PostgresLoader(url) if url.startswith("postgresql") else SqliteLoader(url)
