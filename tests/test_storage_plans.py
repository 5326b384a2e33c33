"""PostgreSQL plans of the writer's lookups of capture rows: made for each execution, never kept from an empty
table."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from archiver.storage.db import ensure_schema, make_engine
from archiver.storage.repository import ArchiveStore
from archiver.storage.transactions import planned_each_time

# psycopg prepares a statement on its sixth execution in a session (run five times: its prepare_threshold).
RUNS = 8


def _prepared(conn: Connection, fragment: str) -> list[str]:
    return [statement for statement in conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
            if fragment in statement]


@pytest.mark.postgres
def test_the_capture_lookup_is_never_a_prepared_statement(pg_url: str) -> None:
    """Prepared in a fresh database, its generic plan scanned the whole captures table for every batch."""
    ensure_schema(pg_url)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            for _ in range(RUNS):  # what psycopg prepares: the same statement text, run again and again
                conn.execute(text("SELECT count(*) FROM captures WHERE url = :url"), {"url": "https://a.example/"})
            assert _prepared(conn, "FROM captures WHERE url"), "psycopg prepared nothing: this test proves nothing"
            for _ in range(RUNS):
                assert ArchiveStore._capture_ids(conn, ["<urn:uuid:1>", "<urn:uuid:2>"]) == {}
            assert _prepared(conn, "captures.record_id IN") == []
            store = ArchiveStore(engine)
            for _ in range(RUNS):  # one extraction failure's capture
                assert store.capture_id(conn, "<urn:uuid:1>") is None
            assert _prepared(conn, "captures.record_id =") == []
            with planned_each_time(conn):
                for _ in range(RUNS):
                    conn.execute(text("SELECT count(*) FROM articles WHERE url = :url"), {"url": "https://a.example/"})
            assert _prepared(conn, "FROM articles WHERE url") == []
            for _ in range(RUNS):  # and statements after it are prepared again
                conn.execute(text("SELECT count(*) FROM sites WHERE host = :host"), {"host": "a.example"})
            assert _prepared(conn, "FROM sites WHERE host")
    finally:
        engine.dispose()
