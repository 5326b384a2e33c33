"""The desk's rows (``desk_articles``): each article as the desk lists it, kept by every write.

The desk's list (``v_desk_articles``) shows each article's authors, categories, tags and credit licenses. Computed
for every row (``v_desk_articles_computed``, the definition), a page sorted by date costs a page, but a search or an
author's page computes every matching row before it can sort them: seconds at a million articles. So the rows are
stored, and every writer rewrites those of the articles it changed, in the transaction that changes them and from
the computed view (``CountChange.commit`` calls ``keep`` with the articles it took): a new version, a rewritten one,
a removal, a restore. Renaming an author, category or tag changes the row of every article whose current version
names it: a trigger notes the renamed entity in ``desk_renamed`` and ``keep`` rewrites those rows too. (An article's
URL changes only with a new version: it is part of the content hash.)

``rebuild`` writes every row again from the view (``archiver stats --recount``, and bulk loads that bypass the
writers, through ``refresh_counts``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, inspect, text

COLUMNS = ("article_id, version_id, title, published, authors, category, lead, categories, tags, licenses, year, "
           "removed, versions, site, url, published_key")
_UPDATED = ", ".join(f"{name.strip()} = excluded.{name.strip()}" for name in COLUMNS.split(",")[1:])
# One statement per chunk, on both databases: a new article's row is inserted, a changed one's replaced in place.
_WRITE = text(f"INSERT INTO desk_articles ({COLUMNS}) SELECT {COLUMNS} FROM v_desk_articles_computed "
              f"WHERE article_id IN :ids ON CONFLICT (article_id) DO UPDATE SET {_UPDATED}"
              ).bindparams(bindparam("ids", expanding=True))
_TAKE_RENAMED = text("DELETE FROM desk_renamed RETURNING kind, entity_id")
_ONE_AT_A_TIME = text("SELECT pg_advisory_xact_lock(:key)")
LOCK_KEY = 0x6465736B_726F7773  # "deskrows": the PostgreSQL advisory lock the writers' desk rows take turns on
# The articles whose current version names a renamed entity, by kind.
_NAMING = {
    "author": "SELECT a.id FROM article_authors x JOIN articles a ON a.current_version_id = x.version_id "
              "WHERE x.author_id IN :ids",
    "category": "SELECT a.id FROM article_categories x JOIN articles a ON a.current_version_id = x.version_id "
                "WHERE x.category_id IN :ids",
    "tag": "SELECT a.id FROM article_tags x JOIN articles a ON a.current_version_id = x.version_id "
           "WHERE x.tag_id IN :ids",
}
# Articles per statement: SQLite's bound-parameter limit, and a big rewrite's statements stay small.
CHUNK = 5_000


def keep(conn: Connection, article_ids: Iterable[int]) -> None:
    """Rewrite the rows of these articles, and of the articles naming an entity renamed in this transaction."""
    renamed = _take_renamed(conn)
    ids = set(article_ids)
    if not ids and not renamed:
        return
    if conn.dialect.name == "postgresql":
        # Each statement reads what was committed when it started, and an upsert that waits for another writer's
        # row lock then writes what it had computed before: two writers ending at once could each write a row
        # from what the other had not committed yet (a rename and a take-down of one of the author's articles).
        # So the ends that write desk rows take turns, to the commit, and each reads what the one before wrote.
        # (SQLite's writers take turns already.)
        conn.execute(_ONE_AT_A_TIME, {"key": LOCK_KEY})
    rewrite(conn, sorted(ids | _naming(conn, renamed)))


def _take_renamed(conn: Connection) -> dict[str, list[int]]:
    """The authors, categories and tags renamed since the last write, by kind (``desk_renamed`` is emptied)."""
    renamed: dict[str, list[int]] = {}
    for kind, entity_id in conn.execute(_TAKE_RENAMED):
        renamed.setdefault(kind, []).append(int(entity_id))
    return renamed


def _naming(conn: Connection, renamed: dict[str, list[int]]) -> set[int]:
    """The articles whose current version names one of these entities."""
    articles: set[int] = set()
    for kind, ids in renamed.items():
        naming = text(_NAMING[kind]).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(ids), CHUNK):
            articles.update(conn.execute(naming, {"ids": ids[start:start + CHUNK]}).scalars())
    return articles


def rewrite(conn: Connection, article_ids: list[int]) -> None:
    for start in range(0, len(article_ids), CHUNK):
        conn.execute(_WRITE, {"ids": article_ids[start:start + CHUNK]})


def has_rows(conn: Connection) -> bool:
    """Whether the archive keeps the desk's rows (revision 0015 and later)."""
    return inspect(conn).has_table("desk_articles")


def rebuild(conn: Connection) -> int:
    """Write every row again from the computed view, in the caller's transaction; returns how many."""
    conn.execute(text("DELETE FROM desk_renamed"))
    conn.execute(text("DELETE FROM desk_articles"))
    return int(conn.execute(text(f"INSERT INTO desk_articles ({COLUMNS}) SELECT {COLUMNS} "
                                 "FROM v_desk_articles_computed")).rowcount or 0)
