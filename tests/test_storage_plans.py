"""PostgreSQL plans: the writer's lookups of capture rows (made for each execution, never kept from an empty
table), its statistics and counts, and the settings a search runs with."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from archiver.storage.db import ensure_schema, make_engine
from archiver.storage.filters import ArticleFilter
from archiver.storage.repository import ArchiveStore
from archiver.storage.transactions import planned_each_time
from tests.helpers.replica_items import items

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


@pytest.mark.postgres
def test_a_writer_filling_a_fresh_database_analyzes_it_once_it_has_enough_articles(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without statistics PostgreSQL planned each batch's read-back of its articles' link rows as a scan of whole
    link tables; the writer that fills a fresh database analyzes the tables once it has stored enough."""
    from archiver.storage import statistics
    from archiver.storage.statistics import FILLED, never_analyzed

    monkeypatch.setattr(statistics, "ANALYZE_AFTER", 4)
    ensure_schema(pg_url)
    engine = make_engine(pg_url)
    try:
        _without_autovacuum(engine)
        assert never_analyzed(engine) == sorted(FILLED), "a fresh schema should have no statistics yet"
        store = ArchiveStore(engine)
        store.store_articles(items(range(3)))
        assert never_analyzed(engine) == sorted(FILLED)
        store.store_articles(items(range(3, 5)))
        with engine.connect() as conn:
            empty = sorted(table for table in FILLED
                           if not conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar_one())
        assert "article_tags" not in empty and len(empty) < len(FILLED)
        assert never_analyzed(engine) == empty, "a table holding rows is still without statistics"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'articles'")).scalar_one() == 5
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_kept_counts_are_read_without_parallel_workers(pg_url: str) -> None:
    """A batch's nine-join read of its articles' counts was planned as a parallel append, whose workers took five
    times as long to start as the query took; the writer's transaction turns parallel plans off, and only it."""
    from archiver.storage.counts import CountChange

    ensure_schema(pg_url)
    engine = make_engine(pg_url)
    show = text("SHOW max_parallel_workers_per_gather")
    try:
        with engine.connect() as conn:
            default = conn.execute(show).scalar_one()
            assert default != "0", "the server runs nothing in parallel anyway: this test proves nothing"
            conn.rollback()
            with conn.begin():
                CountChange().before(conn, [1, 2])
                assert conn.execute(show).scalar_one() == "0"
            assert conn.execute(show).scalar_one() == default
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_writer_joining_a_filled_archive_leaves_its_statistics_to_autovacuum(
        pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Analyzing a big archive's tables would hold a writer up; and a failed ANALYZE must not undo a stored batch."""
    from archiver.storage import statistics
    from archiver.storage.statistics import analyze_never_analyzed, never_analyzed

    monkeypatch.setattr(statistics, "ANALYZE_AFTER", 2)
    ensure_schema(pg_url)
    engine = make_engine(pg_url)
    try:
        _without_autovacuum(engine)
        filling = ArchiveStore(engine)
        filling._statistics.done = True  # the archive was filled by some other way
        filling.store_articles(items(range(5)))
        joining = ArchiveStore(engine)
        joining.store_articles(items(range(5, 7)))
        joining.store_articles(items(range(7, 9)))
        assert "articles" in never_analyzed(engine)

        with engine.connect() as other:  # another writer analyzing: this one goes on
            assert other.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": statistics._LOCK_KEY}).scalar()
            assert analyze_never_analyzed(engine) == []
            other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": statistics._LOCK_KEY})
            other.commit()

        def refused(engine: object) -> list[str]:
            raise OperationalError("ANALYZE", {}, Exception("canceling statement due to lock timeout"))

        monkeypatch.setattr(statistics, "analyze_never_analyzed", refused)
        failing = ArchiveStore(engine)
        monkeypatch.setattr(failing._statistics, "_held_more_than", lambda articles: False)
        results = failing.store_articles(items(range(9, 12)))
        assert [result.status for result in results] == ["new"] * 3
        assert "could not analyze" in caplog.text
    finally:
        engine.dispose()


def _without_autovacuum(engine: Engine) -> None:
    """Autovacuum may analyze a table the test wants without statistics (it is off on some servers, not all)."""
    from archiver.storage.statistics import FILLED

    with engine.begin() as conn:
        for table in FILLED:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))


def test_a_search_has_room_for_an_exact_bitmap_of_its_matches_and_no_jit(pg_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A very common word's matches overflowed the server's default work_mem: the bitmap turned lossy and every
    version on a lossy page was read again. The search's transaction raises work_mem to at least its floor, keeps
    an operator's larger setting, turns JIT off, and leaves the connection's settings as they were."""
    import psycopg

    from archiver.storage import search
    from tests.conftest import PG_ADMIN_URL

    ensure_schema(pg_url)
    during: list[tuple[str, str]] = []
    ranked = search._postgres_search

    def recording(conn: Connection, filters: ArticleFilter, params: dict[str, Any]) -> tuple[int, list[Any]]:
        found = ranked(conn, filters, params)
        during.append(tuple(conn.execute(text("SELECT current_setting('work_mem'), current_setting('jit')")).one()))
        conn.commit()  # a session-wide setting would outlive the commit; a transaction's own does not
        return found

    monkeypatch.setattr(search, "_postgres_search", recording)
    name = pg_url.rsplit("/", 1)[1]
    after = []
    for configured in ("1MB", "256MB"):
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE \"{name}\" SET work_mem = '{configured}'")
        engine = make_engine(pg_url)
        try:
            assert search.search_articles(engine, "Razzia").total == 0
            with engine.connect() as conn:
                after.append(conn.execute(text("SHOW work_mem")).scalar_one())
        finally:
            engine.dispose()
    assert during == [("64MB", "off"), ("256MB", "off")]
    assert after == ["1MB", "256MB"]
