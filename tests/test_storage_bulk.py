"""Many rows in one statement (``archiver.storage.bulk``): the rows an executemany of the table's own insert or
update would write, in one execution on PostgreSQL, whatever the values hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from archiver.storage import bulk
from archiver.storage import models as m
from archiver.storage.db import ensure_schema, make_engine
from archiver.storage.models import table_of

# Strings an array literal would have to quote or escape, and one that spells SQL's NULL.
AWKWARD = ["", "NULL", "null", "a,b", "{x}", '"quoted"', "back\\slash", "ünïcödé ✓", "line\nbreak", " padded "]
CREDITS, ARTICLES, COUNTS = table_of(m.Credit), table_of(m.Article), table_of(m.StatCount)


def _statements(engine: Engine) -> list[tuple[str, bool]]:
    """(statement, executemany) of every execution from now on."""
    seen: list[tuple[str, bool]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, executemany))

    return seen


def _article_with_version(engine: Engine, key: str) -> tuple[int, int]:
    with engine.begin() as conn:
        site = conn.execute(text("INSERT INTO sites (host, created_at) VALUES ('s.test', CURRENT_TIMESTAMP) "
                                 "ON CONFLICT (host) DO UPDATE SET host = excluded.host RETURNING id")).scalar_one()
        article = conn.execute(text("INSERT INTO articles (site_id, key, url, first_seen, last_seen, version_count) "
                                    "VALUES (:site, :key, :url, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0) RETURNING id"),
                               {"site": site, "key": key, "url": f"https://s.test/{key}"}).scalar_one()
        version = conn.execute(text(
            "INSERT INTO article_versions (article_id, version, layout, title, text, html, word_count, content_hash, "
            "captured_at) VALUES (:article, 1, 'x', 't', 'text', '<p>text</p>', 1, :hash, CURRENT_TIMESTAMP) "
            "RETURNING id"), {"article": article, "hash": key}).scalar_one()
    return int(article), int(version)


def test_inserted_rows_hold_every_value_as_given(db_url: str) -> None:
    ensure_schema(db_url)
    engine = make_engine(db_url)
    _, version = _article_with_version(engine, "a")
    rows = [{"version_id": version, "position": n, "image_id": None, "raw": value, "creator": value or None,
             "license": None if n % 3 else "CC BY 4.0", "license_url": None, "source_url": "https://x.test/?a=1&b={2}",
             "applies_to": value[::-1]} for n, value in enumerate(AWKWARD)]
    seen = _statements(engine)
    with engine.begin() as conn:
        bulk.insert_rows(conn, CREDITS, rows)
    with engine.connect() as conn:
        stored = [dict(row._mapping) for row in conn.execute(
            text("SELECT version_id, position, image_id, raw, creator, license, license_url, source_url, applies_to "
                 "FROM credits ORDER BY position"))]
    assert stored == rows
    with engine.connect() as conn:  # in the given order (the kept counts are locked in it)
        assert conn.execute(text("SELECT position FROM credits ORDER BY id")).scalars().all() == list(
            range(len(AWKWARD)))
    if engine.dialect.name == "postgresql":
        assert [statement for statement, many in seen if "credits" in statement and not many], seen
        assert not [statement for statement, many in seen if many], "PostgreSQL got an executemany"


def test_an_upsert_adds_to_the_kept_rows_and_a_lone_row_takes_the_plain_path(db_url: str) -> None:
    ensure_schema(db_url)
    engine = make_engine(db_url)
    conflict = "ON CONFLICT (kind, item) DO UPDATE SET total = stat_counts.total + excluded.total"
    each = text(f"INSERT INTO stat_counts (kind, item, total) VALUES (:kind, :item, :total) {conflict}")
    with engine.begin() as conn:
        bulk.insert_rows(conn, COUNTS, [{"kind": "tag", "item": item, "total": 2} for item in ("b", "a", "")],
                         conflict=conflict, each=each)
        bulk.insert_rows(conn, COUNTS, [{"kind": "tag", "item": "a", "total": 5}, {"kind": "tag", "item": "z",
                                                                               "total": 2**40}],
                         conflict=conflict, each=each)
        bulk.insert_rows(conn, COUNTS, [{"kind": "tag", "item": "b", "total": -2}], conflict=conflict, each=each)
        bulk.insert_rows(conn, COUNTS, [], conflict=conflict, each=each)
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT item, total FROM stat_counts WHERE kind = 'tag'")).all()) == {
            "": 2, "a": 7, "b": 0, "z": 2**40}


def test_rows_of_different_shapes_are_written_one_by_one(db_url: str) -> None:
    ensure_schema(db_url)
    engine = make_engine(db_url)
    _, version = _article_with_version(engine, "a")
    rows = [{"version_id": version, "position": 0, "raw": "first"},
            {"version_id": version, "position": 1, "raw": "second", "license": "CC0"}]
    # Unlike rows cannot be arrays of one length: they go to the caller's statement, row by row.
    each = text("INSERT INTO credits (version_id, position, raw) VALUES (:version_id, :position, :raw)")
    seen = _statements(engine)
    with engine.begin() as conn:
        bulk.insert_rows(conn, CREDITS, rows, each=each)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT raw, license FROM credits ORDER BY position")).all() == [
            ("first", None), ("second", None)]
    assert [many for statement, many in seen if "INTO credits" in statement] == [True]


def test_what_arrays_cannot_carry_goes_row_by_row_and_is_stored_alike(db_url: str) -> None:
    """A column whose values are of two Python types (a REST ``width`` of ``false`` beside numbers) goes row by row;
    JSON goes as SQLAlchemy binds it (``None`` is JSON's null, in arrays as row by row); an omitted column gets its
    Python default."""

    ensure_schema(db_url)
    engine = make_engine(db_url)
    _, version = _article_with_version(engine, "a")
    with engine.begin() as conn:
        image = conn.execute(text("INSERT INTO images (site_id, url) SELECT id, 'https://s.test/i.jpg' FROM sites "
                                  "RETURNING id")).scalar_one()
        site = conn.execute(text("SELECT id FROM sites")).scalar_one()
        categories = [conn.execute(text("INSERT INTO categories (site_id, slug, name) VALUES (:site, :slug, :name) "
                                        "RETURNING id"), {"site": site, "slug": slug, "name": slug}).scalar_one()
                      for slug in ("a", "b")]
        bulk.insert_rows(conn, table_of(m.ArticleImage), [
            {"version_id": version, "position": n, "image_id": image, "alt": None, "caption": None, "width": width,
             "height": 10, "is_lead": n == 0} for n, width in enumerate([800, False])])
        started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        bulk.insert_rows(conn, table_of(m.CrawlRun), [
            {"spider": "s", "mode": "full", "started_at": started, "software": {"archiver": version}, "stats": None}
            for version in ("1", "2")])
        bulk.insert_rows(conn, table_of(m.CrawlRun), [  # one row: the plain insert
            {"spider": "s", "mode": "lone", "started_at": started, "software": None, "stats": None}])
        bulk.insert_rows(conn, table_of(m.ArticleCategory), [
            {"version_id": version, "category_id": category, "position": n} for n, category in enumerate(categories)])
    with make_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT width FROM article_images ORDER BY position")).scalars().all() == [800, 0]
        runs = conn.execute(select(table_of(m.CrawlRun)).order_by("id")).all()
        assert [(run.software, run.started_at.replace(tzinfo=UTC)) for run in runs] == [
            ({"archiver": "1"}, started), ({"archiver": "2"}, started), (None, started)]
        assert len(set(conn.execute(text("SELECT stats IS NULL FROM crawl_runs")).scalars())) == 1
        assert conn.execute(text("SELECT is_primary FROM article_categories ORDER BY position")
                            ).scalars().all() == [False, False]


@pytest.mark.postgres
def test_a_string_too_long_for_its_column_is_refused_not_cut(pg_url: str) -> None:
    ensure_schema(pg_url)
    engine = make_engine(pg_url)
    _, version = _article_with_version(engine, "a")
    rows = [{"version_id": version, "kind": kind, "position": n, "url": "https://x.test/", "target_post_id": None}
            for n, kind in enumerate(["internal", "k" * 25])]
    with pytest.raises(DBAPIError, match="too long"), engine.begin() as conn:
        bulk.insert_rows(conn, table_of(m.Link), rows)


def test_updated_rows_take_their_values_and_the_nulls(db_url: str) -> None:
    ensure_schema(db_url)
    engine = make_engine(db_url)
    made = [_article_with_version(engine, key) for key in ("a", "b", "c")]
    with engine.begin() as conn:
        conn.execute(update(ARTICLES).values(removed_at=text("CURRENT_TIMESTAMP"), removed_status="410"))
    seen = _statements(engine)
    with engine.begin() as conn:
        bulk.update_rows(conn, ARTICLES, "id", [{"id": article, "current_version_id": version, "version_count": n}
                                                for n, (article, version) in enumerate(made[:2], start=7)],
                         nulls=("removed_at", "removed_status"))
    with engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(text(
            "SELECT id, current_version_id, version_count, removed_at IS NULL, removed_status FROM articles "
            "ORDER BY id"))]
    (a, va), (b, vb), (c, _) = made
    assert stored == [(a, va, 7, True, None), (b, vb, 8, True, None), (c, None, 0, False, "410")]
    if engine.dialect.name == "postgresql":
        assert [statement for statement, many in seen if statement.startswith("UPDATE articles") and not many]


def test_captures_go_in_with_their_times_and_return_only_the_new_ones(db_url: str) -> None:
    ensure_schema(db_url)
    engine = make_engine(db_url)
    captures = table_of(m.Capture)
    fetched = datetime(2026, 12, 6, 23, 59, 59, 123456, tzinfo=UTC)

    def capture(n: int) -> dict[str, Any]:
        return {"url": f"https://s.test/{n}", "status": 200, "fetched_at": fetched, "warc_file": "a.warc.gz",
                "warc_offset": n * 2**33, "warc_length": 100, "record_id": f"<urn:uuid:{n}>",
                "record_type": "response" if n % 2 else "revisit", "payload_digest": None, "content_type": None,
                "worker": None, "etag": None, "last_modified": None, "run_id": None}

    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    each = insert(captures).on_conflict_do_nothing(index_elements=["record_id"]).returning(captures.c.record_type)
    seen = _statements(engine)
    with engine.begin() as conn:
        first = bulk.insert_rows(conn, captures, [capture(n) for n in (1, 2, 3)],
                                 conflict="ON CONFLICT (record_id) DO NOTHING", each=each, returning="record_type")
        again = bulk.insert_rows(conn, captures, [capture(n) for n in (3, 4)],
                                 conflict="ON CONFLICT (record_id) DO NOTHING", each=each, returning="record_type")
        assert first is not None and again is not None
        assert sorted(first.scalars()) == ["response", "response", "revisit"]
        assert list(again.scalars()) == ["revisit"]  # capture 3 was known: no row
    with engine.connect() as conn:
        rows = conn.execute(select(captures.c.warc_offset, captures.c.fetched_at).order_by(captures.c.id)).all()
    assert [offset for offset, _ in rows] == [n * 2**33 for n in (1, 2, 3, 4)]
    assert {moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment for _, moment in rows} == {fetched}
    if engine.dialect.name == "postgresql":
        assert not [statement for statement, many in seen if "captures" in statement and many]
