"""The researcher views of "All tables": revision 0017's ``v_articles`` holds 0001's rows, and every sort the desk
lets Datasette offer on the views walks an index instead of computing and sorting every row."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.storage.db import MIGRATIONS_DIR, make_engine, upgrade
from archiver.storage.migrations.schema_0001 import _views
from archiver.storage.repository import ArchiveStore
from tests.helpers.replica_items import items


def test_v_articles_holds_the_rows_of_0001s_view(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    store = ArchiveStore(engine)
    batch = items(range(12))
    store.store_articles(batch)
    edited = copy.deepcopy(batch[4])
    edited.title += " (korrigiert)"
    store.store_articles([edited])  # two versions: only the current one is a row
    store.mark_removed([(batch[7].url, "410", None)])
    with engine.begin() as conn:
        conn.exec_driver_sql(_views(engine.dialect.name)[0].replace("CREATE VIEW v_articles ",
                                                                    "CREATE VIEW v_articles_0001 ", 1))
    with engine.connect() as conn:
        now = conn.execute(text("SELECT * FROM v_articles ORDER BY article_id")).all()
        before = conn.execute(text("SELECT * FROM v_articles_0001 ORDER BY article_id")).all()
        columns = list(conn.execute(text("SELECT * FROM v_articles LIMIT 0")).keys())
    assert len(now) == 12 and columns == list(before[0]._fields)
    assert now == before
    assert [row.title for row in now if row.url == edited.url] == [edited.title]


def test_v_articles_sorted_by_date_walks_the_date_index(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    with make_engine(sqlite_url).connect() as conn:
        for direction in ("DESC", "ASC"):
            # (id, parent, _, step): the query's own steps have parent 0, its lists' subqueries sort their positions
            plan = [row[3] for row in conn.execute(text(
                f"EXPLAIN QUERY PLAN SELECT * FROM v_articles ORDER BY published {direction} LIMIT 101"))
                if row[1] == 0]
            assert plan[0].startswith("SCAN v USING INDEX ix_article_versions_published"), plan
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def _sortable(view: str) -> list[str]:
    metadata = json.loads((MIGRATIONS_DIR.parent / "datasette-metadata.json").read_text(encoding="utf-8"))
    return list(metadata["databases"]["archive"]["tables"][view]["sortable_columns"])


@pytest.mark.parametrize("view", ["v_articles", "v_credits"])
def test_every_sort_datasette_offers_on_a_view_walks_an_index(sqlite_url: str, view: str) -> None:
    """A sort no index orders computes and sorts every row of the view before the first page (seconds at a million
    articles): the metadata lets Datasette offer only sorts whose plan walks an index."""
    upgrade(sqlite_url)
    columns = _sortable(view)
    assert "published" in columns and "title" in columns
    with make_engine(sqlite_url).connect() as conn:
        every = list(conn.execute(text(f"SELECT * FROM {view} LIMIT 0")).keys())
        assert set(columns) < set(every)
        for column in every:
            for direction in ("ASC", "DESC"):
                plan = [row[3] for row in conn.execute(text(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {view} ORDER BY [{column}] {direction} LIMIT 101"))
                    if row[1] == 0]
                walks = "USE TEMP B-TREE FOR ORDER BY" not in plan
                # Each offered sort walks an index; the check can fail: the columns left out are sorted in full.
                assert walks == (column in columns), (view, column, direction, plan)


def test_v_articles_sorted_by_title_walks_the_title_index(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    with make_engine(sqlite_url).connect() as conn:
        plan = [row[3] for row in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT * FROM v_articles ORDER BY title LIMIT 101")) if row[1] == 0]
    assert plan[0].startswith("SCAN v USING INDEX ix_article_versions_title"), plan


@pytest.mark.parametrize(("revision", "by_title"), [("0017", False), ("head", True)])
def test_the_desk_offers_the_title_sort_only_where_the_title_index_is(sqlite_url: str, revision: str,
                                                                     by_title: bool) -> None:
    """``archiver serve`` opens an archive as it is: before revision 0018 a sort by title would sort every row."""
    pytest.importorskip("datasette")
    from archiver.desk.server import build_datasette

    upgrade(sqlite_url, revision)
    datasette = build_datasette(Path(sqlite_url.removeprefix("sqlite:///")), sqlite_url, None)
    for view in ("v_articles", "v_credits"):
        offered = datasette.table_metadata("archive", view)["sortable_columns"]
        assert ("title" in offered) == by_title, (view, offered)
        assert "published" in offered
