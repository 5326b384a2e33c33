"""Storage on SQLite and PostgreSQL: migrations, idempotent upserts, versions, concurrency."""

from __future__ import annotations

import contextlib
import copy
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from archiver.exceptions import ArchiveNotFound, ConfigurationError, DatabaseUnreachable
from archiver.items import CaptureRef, Credit
from archiver.storage.db import alembic_config, check_connection, make_engine, upgrade
from archiver.storage.reader import iter_articles
from archiver.storage.repository import ArchiveStore
from tests.helpers.replica_items import APP, items


def test_migrations_match_models(db_url: str) -> None:
    upgrade(db_url)
    command.check(alembic_config(db_url))  # raises when models and migrations drift


def test_downgrade_and_upgrade_again(db_url: str) -> None:
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    upgrade(db_url)


def test_store_is_idempotent_and_versions_changes(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    batch = items(range(30))
    assert {r.status for r in store.store_articles(batch)} == {"new"}
    assert {r.status for r in store.store_articles(batch)} == {"unchanged"}
    changed = copy.deepcopy(batch[3])
    changed.title += " (korrigiert)"
    changed.authors = [*changed.authors[:1], type(changed.authors[0])(name="Gastautor")]
    result = store.store_article(changed)
    assert (result.status, result.version) == ("changed", 2)
    rows = list(iter_articles(store.engine, versions="all"))
    assert len(rows) == 31
    old, new = [r for r in rows if r["url"] == batch[3].url]
    assert old["title"] == batch[3].title and new["title"] == changed.title
    assert [a["name"] for a in new["authors"]][-1] == "Gastautor"
    with store.engine.connect() as conn:
        diff = conn.execute(text("SELECT diff FROM article_versions WHERE version = 2")).scalar_one()
        assert set(diff if isinstance(diff, dict) else __import__("json").loads(diff)) == {"title", "authors"}
        assert conn.execute(text("SELECT count(*) FROM authors")).scalar_one() == len(
            {a.site_author_id for i in batch for a in i.authors}) + 1


def test_a_batch_that_changes_its_own_article_compares_with_the_whole_earlier_version(db_url: str) -> None:
    """Link rows wait for the end of a batch (one statement per table); a version compared within the same batch
    must still find its authors, tags and images, or the diff would name fields that did not change."""
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    first = items([4])[0]
    second = copy.deepcopy(first)
    second.title += " (korrigiert)"
    results = store.store_articles([first, items([5])[0], second])
    assert [(r.status, r.version) for r in results] == [("new", 1), ("new", 1), ("changed", 2)]
    with store.engine.connect() as conn:
        diff = conn.execute(text("SELECT diff FROM article_versions WHERE version = 2")).scalar_one()
        assert set(diff if isinstance(diff, dict) else __import__("json").loads(diff)) == {"title"}
    old, new = [r for r in iter_articles(store.engine, versions="all") if r["url"] == first.url]
    for version in (old, new):
        assert [a["name"] for a in version["authors"]] == [a.name for a in first.authors]
        assert len(version["images"]) == len(first.images) > 0 and len(version["tags"]) == len(first.tags) > 0


def test_the_entity_cache_keeps_what_comes_back_not_each_articles_images(sqlite_url: str) -> None:
    """A crawl's memory must not grow with the site: images belong to one article each, so they are upserted
    without being remembered, while authors, categories and tags are written once per process."""
    upgrade(sqlite_url)
    store = ArchiveStore(make_engine(sqlite_url))
    batch = items(range(30))
    store.store_articles(batch)
    cached_tables = {table for table, _ in store._relations.entity_ids}
    assert cached_tables and "images" not in cached_tables
    assert len(store._relations.entity_ids) < sum(len(i.authors) + len(i.categories) + len(i.tags) for i in batch)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(DISTINCT image_id) FROM article_images")).scalar_one() == len(
            {image.url for item in batch for image in item.images})



def test_a_batchs_images_are_upserted_in_one_statement_and_linked_by_url(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    store.store_articles(items([0]))  # some of the images below exist already
    batch = items(range(1, 12))
    shared = batch[0].images[0]
    batch[1].images.append(copy.deepcopy(shared))  # one image in two articles of the batch
    batch[1].credits.append(Credit(raw="Bild: Gast", creator="Gast", applies_to=shared.url))
    batch[2].credits.append(Credit(raw="Bild: nirgends", applies_to="http://elsewhere.test/missing.jpg"))
    batch[3].images.append(copy.deepcopy(items([0])[0].images[0]))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    store.store_articles(batch)
    assert sum("INSERT INTO images" in s for s in statements) == 1
    with store.engine.connect() as conn:
        linked = conn.execute(text(
            "SELECT v.url, i.url, ai.position FROM article_images ai JOIN images i ON i.id = ai.image_id "
            "JOIN article_versions av ON av.id = ai.version_id JOIN articles v ON v.id = av.article_id")).all()
        credited = dict(conn.execute(text(
            "SELECT c.raw, i.url FROM credits c LEFT JOIN images i ON i.id = c.image_id "
            "WHERE c.raw IN ('Bild: Gast', 'Bild: nirgends')")).all())
        images = conn.execute(text("SELECT count(*), count(DISTINCT url) FROM images")).one()
    stored = {(article, position): image for article, image, position in linked}
    for item in [*items([0]), *batch]:
        for position, image in enumerate(item.images):
            assert stored[(item.url, position)] == image.url
    assert credited == {"Bild: Gast": shared.url, "Bild: nirgends": None}
    assert images[0] == images[1] == len({i.url for item in [*items([0]), *batch] for i in item.images})


def test_a_batchs_articles_and_versions_take_one_statement_each_whatever_its_size(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(" ".join(args[2].split())))

    def per_article_statements() -> list[int]:
        return [sum(s.startswith(prefix) for s in statements) for prefix in (
            "INSERT INTO articles", "INSERT INTO article_versions", "UPDATE articles SET current_version_id")]

    store.store_articles(items(range(3)))
    assert per_article_statements() == [1, 1, 1]
    statements.clear()
    store.store_articles(items(range(3, 15)))
    assert per_article_statements() == [1, 1, 1]
    statements.clear()
    # An article twice in one batch (an edit fetched twice): its second copy needs the first as its previous version.
    edited = copy.deepcopy(items([20])[0])
    edited.title += " (korrigiert)"
    results = store.store_articles([*items([20, 21]), edited, *items(range(3))])
    assert [(r.status, r.version) for r in results] == [("new", 1), ("new", 1), ("changed", 2)] + [("unchanged", 1)] * 3
    assert per_article_statements() == [2, 2, 2]

def test_every_item_field_round_trips(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    batch = items(range(20))
    store.store_articles(batch)
    stored = {r["url"]: r for r in iter_articles(store.engine)}
    for item in batch:
        row = stored[item.url]
        expected = item.to_dict(with_html=False)
        for field in ("title", "lead", "text", "published", "published_raw", "modified", "modified_raw",
                      "language", "word_count", "reading_time_minutes", "images", "credits", "links",
                      "breadcrumb", "comments_url", "post_id", "layout"):
            assert row[field] == expected[field], field


def test_full_text_search_index_is_kept_in_sync(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    store.store_articles(items([APP.site.seed_index]))
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            hits = conn.execute(text("SELECT rowid FROM article_search WHERE article_search MATCH 'Telegram'")).all()
        else:
            hits = conn.execute(text(
                "SELECT id FROM article_versions WHERE to_tsvector('german', coalesce(title, '') || ' ' || "
                "coalesce(lead, '') || ' ' || coalesce(text, '')) @@ plainto_tsquery('german', 'Nutzern')")).all()
        assert len(hits) == 1


def _worker(db_url: str, indices: list[int], rounds: int) -> None:
    store = ArchiveStore(make_engine(db_url))
    batch = items(indices)
    for _ in range(rounds):
        for item in batch:
            store.store_article(item)


def test_four_processes_upsert_overlapping_articles(db_url: str) -> None:
    upgrade(db_url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(db_url, list(range(start, start + 30)), 2))
               for start in (0, 10, 20, 25)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 55
        assert conn.execute(text("SELECT count(*) FROM article_versions")).scalar_one() == 55
        assert conn.execute(text("SELECT count(*) FROM (SELECT site_id, key FROM authors GROUP BY site_id, key "
                                 "HAVING count(*) > 1) d")).scalar_one() == 0


def test_bad_database_urls_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        make_engine("not a url")
    with pytest.raises(ConfigurationError):
        make_engine("mysql://x@y/z")
    with pytest.raises(DatabaseUnreachable) as info:
        check_connection(make_engine("postgresql+psycopg://u:topsecret@127.0.0.1:1/db"))
    assert "topsecret" not in str(info.value) and "***" in str(info.value)
    with pytest.raises(ArchiveNotFound, match=r"missing\.sqlite3 .*: run `make demo` or `archiver crawl SPIDER`"):
        make_engine(f"sqlite:///{tmp_path}/missing.sqlite3", readonly=True)
    with pytest.raises(ConfigurationError, match=r"'postgresql://u:\*\*\*@h:port/d'.*sqlite:///path/to/archive"):
        make_engine("postgresql://u:topsecret@h:port/d")


def test_search_one_function_for_both_backends(db_url: str) -> None:
    from archiver.storage.filters import ArticleFilter
    from archiver.storage.search import BadQuery, search_articles

    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    stored = sorted({APP.site.seed_index, *range(0, 40)})
    store.store_articles(items(stored))
    hits = search_articles(store.engine, "Telegram").hits
    assert hits and hits[0].title.startswith("Telegram gewinnt")
    assert hits[0].authors == ["Antonia"] and "[" in hits[0].snippet
    assert search_articles(store.engine, "Telegram", filters=ArticleFilter(author="antonia")).hits
    assert not search_articles(store.engine, "Telegram", filters=ArticleFilter(author="Sunny", category="krypto")).hits
    assert search_articles(store.engine, '"drei Millionen"').hits
    for hostile in ["'; DROP TABLE articles; --", "%", "a\x00b", "x" * 900]:
        with contextlib.suppress(BadQuery):
            search_articles(store.engine, hostile)
    with pytest.raises(BadQuery):
        search_articles(store.engine, "x" * 10_000)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == len(stored)


def test_datasette_metadata_documents_every_table_and_column(sqlite_url: str) -> None:
    import json

    from archiver.storage.models import Base

    metadata = json.loads((Path(__file__).parents[1] / "archiver" / "storage" / "datasette-metadata.json").read_text())
    tables = metadata["databases"]["archive"]["tables"]
    for table in Base.metadata.sorted_tables:
        assert tables[table.name]["description"], table.name
        for column in table.columns:
            assert tables[table.name]["columns"].get(column.name), f"{table.name}.{column.name} undocumented"
    upgrade(sqlite_url)
    with make_engine(sqlite_url).connect() as conn:
        names = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert tables["article_versions"]["fts_table"] in names
    assert {"v_articles", "v_credits"} <= names and all(view in tables for view in ("v_articles", "v_credits"))


def test_read_only_engines_refuse_writes(db_url: str) -> None:
    upgrade(db_url)
    with pytest.raises(Exception) as info, make_engine(db_url, readonly=True).begin() as conn:
        conn.execute(text("INSERT INTO sites (host, created_at) VALUES ('x', CURRENT_TIMESTAMP)"))
    assert "read" in str(info.value).lower()


@pytest.mark.parametrize("directory", ["a#b", "100%", "50%off", "with space"])
def test_read_only_engines_open_the_named_file_whatever_its_path_holds(tmp_path: Path, directory: str) -> None:
    """A read-only engine opens SQLite by URI, where "#", "?" and "%" mean something: it must still open the
    file the archive's writable engine wrote, not a file cut at the "#" or "?"."""
    path = tmp_path / directory / "archive.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE marker (name TEXT)")
        conn.execute("INSERT INTO marker VALUES ('the archive')")
    conn.close()
    url = f"sqlite:///{path}"
    assert make_url(url).database == str(path), "the URL itself must name the file for this test to mean anything"
    with make_engine(url, readonly=True).connect() as ro:
        assert ro.execute(text("SELECT name FROM marker")).scalar_one() == "the archive"


def test_captures_stored_with_a_batch_are_there_for_its_articles_to_point_at(db_url: str) -> None:
    """The crawl hands a batch's capture rows to store_articles: they go in first, in the same transaction; an
    article may also point at a row an earlier batch stored."""
    from datetime import UTC, datetime

    from archiver.storage.repository import CaptureRecord

    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    batch = items(range(3))
    captures = []
    for n, item in enumerate(batch):
        record_id = f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"
        item.capture = CaptureRef(record_id=record_id, fetched_at="2026-11-27T05:00:00+00:00")
        captures.append(CaptureRecord(url=item.url, status=200, fetched_at=datetime(2026, 11, 27, tzinfo=UTC),
                                      warc_file="a.warc.gz", warc_offset=1000 * n, warc_length=900,
                                      record_id=record_id, record_type="response", payload_digest="sha1:X"))
    store.record_captures(captures[:1], None)  # the first one's row came with an earlier batch
    store.store_articles(batch, captures[1:], None)
    with store.engine.connect() as conn:
        pointed = conn.execute(text("SELECT c.record_id FROM article_versions v JOIN captures c "
                                    "ON c.id = v.capture_id ORDER BY c.warc_offset")).scalars().all()
    assert pointed == [c.record_id for c in captures]
    store.store_articles([], captures, None)  # the same rows again are skipped, not an error


def test_migrations_are_self_contained() -> None:
    """A revision imports nothing of the live code: an old revision must not change when the code does. (env.py,
    which runs them, uses the live engine settings and the models' metadata for autogenerate.)"""
    import ast

    migrations = Path(__file__).resolve().parents[1] / "archiver" / "storage" / "migrations"
    for path in [*migrations.glob("versions/*.py"), *migrations.glob("schema_*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    allowed = name.split(".")[0] in ("__future__", "sqlalchemy", "alembic", "logging", "typing")
                    assert allowed or name.startswith("archiver.storage.migrations."), f"{path.name} imports {name}"
