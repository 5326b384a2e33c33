"""The desk's stored rows (``desk_articles``, revision 0015) keep ``v_desk_articles`` what it was: after every kind
of write, the view equals revision 0007's view, which computed every row from the versions and their relations.

``assert_desk_rows`` is also called by ``tests/test_stat_counts.py`` after a crawl, an update with edits and
take-downs, restores, a reextract, a reparse, the migration's backfill, a recount and concurrent PostgreSQL writers.
Here: renamed authors, categories and tags, which change rows of articles no write touched, and on PostgreSQL a
rename ending at the same time as a take-down of one of the author's articles."""

from __future__ import annotations

import copy
import importlib.util
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.items import Author, Category, Tag
from archiver.storage.db import make_engine, upgrade
from archiver.storage.repository import ArchiveStore

from .test_storage import items

MIGRATION_0007 = Path(__file__).parents[1] / "archiver" / "storage" / "migrations" / "versions" / "0007_desk_views.py"


def computed_as_in_0007(postgres: bool) -> str:
    """The SELECT of revision 0007's ``v_desk_articles`` (read from that migration, which computed every row)."""
    spec = importlib.util.spec_from_file_location("desk_views_0007", MIGRATION_0007)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql = module.POSTGRES if postgres else module.SQLITE
    return str(sql).split("CREATE VIEW v_desk_articles AS", 1)[1]


def desk_rows(url: str) -> tuple[list[Any], list[Any]]:
    """(the desk's view now, 0007's computed view), both by article."""
    with make_engine(url, readonly=True).connect() as conn:
        now = [tuple(row) for row in conn.execute(text("SELECT * FROM v_desk_articles ORDER BY article_id"))]
        computed = [tuple(row) for row in conn.execute(text(
            f"SELECT * FROM ({computed_as_in_0007(url.startswith('postgresql'))}) x ORDER BY article_id"))]
    return now, computed


def assert_desk_rows(url: str) -> list[Any]:
    now, computed = desk_rows(url)
    assert now == computed
    with make_engine(url, readonly=True).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM desk_renamed")).scalar_one() == 0
    return now


def test_renames_rewrite_the_rows_of_every_article_naming_them(db_url: str) -> None:
    """An author, a category and a tag renamed by a later article's page: the rows of the earlier articles that
    name them (which that write did not touch) show the new names."""
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    batch = items(range(12))
    store.store_articles(batch)
    before = assert_desk_rows(db_url)
    assert len(before) == 12

    author = next(a for item in batch for a in item.authors if a.site_author_id is not None)
    category = next(c for item in batch for c in item.categories)
    tag = next(t for item in batch for t in item.tags)
    later = copy.deepcopy(items([40])[0])
    later.authors = [Author(name="Neuer Name", site_author_id=author.site_author_id, url=author.url)]
    later.categories = [Category(slug=category.slug, name="Umbenannte Kategorie")]
    later.tags = [Tag(slug=tag.slug, name="Umbenanntes Schlagwort")]
    later.primary_category = later.categories[0]
    store.store_articles([later])

    rows = assert_desk_rows(db_url)
    assert len(rows) == 13
    naming = [row for row in rows if row[0] != max(r[0] for r in rows)]
    assert any("Neuer Name" in row[4] for row in naming)
    assert any("Umbenannte Kategorie" in row[7] for row in naming)
    assert any("Umbenanntes Schlagwort" in row[8] for row in naming)
    assert not any(author.name in row[4] for row in rows)
    store.engine.dispose()


def test_a_rename_outside_the_writers_is_taken_up_by_the_next_write(sqlite_url: str) -> None:
    """A manual UPDATE of a name is noted by the trigger; the next write's commit rewrites the rows."""
    upgrade(sqlite_url)
    store = ArchiveStore(make_engine(sqlite_url))
    store.store_articles(items(range(6)))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE authors SET name = 'Von Hand' WHERE id = (SELECT min(id) FROM authors)"))
        conn.execute(text("UPDATE tags SET name = name WHERE id = (SELECT min(id) FROM tags)"))  # not a rename
        assert conn.execute(text("SELECT kind FROM desk_renamed")).scalars().all() == ["author"]
    now, computed = desk_rows(sqlite_url)
    assert now != computed  # stale until a write ends
    store.store_articles(items([7]))
    assert_desk_rows(sqlite_url)
    store.engine.dispose()



def _wait_for_a_blocked_writer(url: str) -> None:
    """Until another session of this database waits for a lock (the writer the test set against an open one)."""
    with make_engine(url).connect() as conn:
        for _ in range(200):
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar_one()
            conn.rollback()  # the activity view is read once per transaction
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second writer never waited for the first")


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["take-down", "rename"])
def test_postgres_a_rename_and_a_take_down_at_the_same_time(pg_url: str, first: str) -> None:
    """Two writers end at once: one takes down an article, the other renames its author (a later page names them
    differently). Whichever holds its transaction open, the other waits and then writes from what it committed:
    the article's row ends removed and under the new name."""
    from archiver.storage import removals
    from archiver.storage.counts import CountChange

    upgrade(pg_url)
    store = ArchiveStore(make_engine(pg_url))
    batch = items(range(6))
    store.store_articles(batch)
    target = batch[0]
    author = target.authors[0]
    assert author.site_author_id is not None
    later = copy.deepcopy(items([30])[0])
    later.authors = [Author(name="Anders Benannt", site_author_id=author.site_author_id, url=author.url)]

    held = make_engine(pg_url).connect()
    transaction = held.begin()
    if first == "take-down":  # its end (the desk rows) written, not committed
        removals.mark_removed(held, [(target.url, "410", None)], datetime.now(UTC))
        other = threading.Thread(target=lambda: ArchiveStore(make_engine(pg_url)).store_articles([later]))
    else:  # the rename, as a later page's upsert does it, and the end of that write
        held.execute(text("UPDATE authors SET name = 'Anders Benannt' WHERE site_author_id = :a"),
                     {"a": author.site_author_id})
        CountChange().commit(held)
        other = threading.Thread(target=lambda: ArchiveStore(make_engine(pg_url)).mark_removed(
            [(target.url, "410", None)]))
    other.start()
    _wait_for_a_blocked_writer(pg_url)
    transaction.commit()
    held.close()
    other.join(timeout=60)
    assert not other.is_alive()

    rows = {row[14]: row for row in assert_desk_rows(pg_url)}
    assert rows[target.url][11] == "yes" and "Anders Benannt" in rows[target.url][4]
    store.engine.dispose()
