"""The researcher views of "All tables": revision 0017's ``v_articles`` holds 0001's rows, and a sort by date walks
the date index instead of computing every row's lists."""

from __future__ import annotations

import copy

from sqlalchemy import text

from archiver.storage.db import make_engine, upgrade
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
