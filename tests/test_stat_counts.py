"""The kept counts (stat_counts) equal a count of the rows after every kind of write: a crawl of the replica, an
update with edits and take-downs, one with restores, a reextract that changes current versions in place, a reparse
(SQLite and PostgreSQL), the migration's backfill and ``archiver stats --recount``; and with them the desk's stored
rows (``desk_articles``) equal the rows computed from the versions. So does the ``authors`` export,
which reads them (and counts the rows itself on an archive from before them).

The counts to compare with are plain SQL written here, not the code under test."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from archiver.storage.counts import refresh_counts
from archiver.storage.db import alembic_config, make_engine, upgrade
from archiver.storage.exporters import export
from archiver.storage.queries import archive_statistics

from .conftest import run_cli, start_replica, stop_replica
from .test_desk_rows import assert_desk_rows
from .test_takedowns import ARTICLES, REMOVED, crawl, due_again
from .test_update import run, summary

# What each kind counts, as a researcher would count it from the tables.
PLAIN = {
    "year": "SELECT substr(CAST(v.published AS TEXT), 1, 4), count(*) FROM article_versions v "
            "WHERE v.id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "category": "SELECT ac.category_id, count(*) FROM article_categories ac "
                "WHERE ac.version_id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "author": "SELECT aa.author_id, count(*) FROM article_authors aa "
              "WHERE aa.version_id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "license": "SELECT cr.license, count(*) FROM credits cr "
               "WHERE cr.version_id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "primary_category": "SELECT ac.category_id, count(*) FROM article_categories ac WHERE ac.is_primary "
                        "AND ac.version_id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "tag": "SELECT at.tag_id, count(*) FROM article_tags at "
           "WHERE at.version_id IN (SELECT current_version_id FROM articles) GROUP BY 1",
    "article_license": "SELECT x.license, count(*) FROM (SELECT DISTINCT cr.version_id, cr.license FROM credits cr "
                       "WHERE cr.license IS NOT NULL AND cr.version_id IN (SELECT current_version_id FROM articles)) x "
                       "GROUP BY 1",
    "versions": "SELECT version_count, count(*) FROM articles GROUP BY 1",
    "removal_month": "SELECT substr(CAST(removed_at AS TEXT), 1, 7), count(*) FROM articles "
                     "WHERE removed_at IS NOT NULL GROUP BY 1",
    "capture_type": "SELECT record_type, count(*) FROM captures GROUP BY 1",
}


def plain_counts(url: str) -> dict[tuple[str, str], int]:
    with make_engine(url, readonly=True).connect() as conn:
        return {(kind, "" if key is None else str(key)): int(count)
                for kind, sql in PLAIN.items() for key, count in conn.execute(text(sql))}


def kept_counts(url: str) -> dict[tuple[str, str], int]:
    with make_engine(url, readonly=True).connect() as conn:
        return {(kind, item): int(total) for kind, item, total in
                conn.execute(text("SELECT kind, item, total FROM stat_counts WHERE total <> 0"))}


def by_name(url: str) -> dict[tuple[str, str], int]:
    """The kept article counts with categories and authors named (IDs differ between two archives); the same
    archive rebuilt elsewhere gives the same."""
    with make_engine(url, readonly=True).connect() as conn:
        names = {("category", str(i)): slug for i, slug in conn.execute(text("SELECT id, slug FROM categories"))}
        names |= {("primary_category", key): slug for (_, key), slug in names.items()}
        names |= {("author", str(i)): key for i, key in conn.execute(text("SELECT id, key FROM authors"))}
        names |= {("tag", str(i)): slug for i, slug in conn.execute(text("SELECT id, slug FROM tags"))}
    return {(kind, names.get((kind, item), item)): total for (kind, item), total in kept_counts(url).items()
            if kind != "capture_type"}


def assert_kept(url: str) -> dict[tuple[str, str], int]:
    """The kept counts equal the rows' count, and the desk's stored rows the computed ones."""
    plain = plain_counts(url)
    assert kept_counts(url) == plain
    assert_desk_rows(url)
    return plain


# The authors export's `articles`: the articles, taken down or not, whose current version names the author.
AUTHOR_ARTICLES = ("SELECT au.id, (SELECT count(*) FROM articles a WHERE EXISTS (SELECT 1 FROM article_authors aa "
                   "WHERE aa.version_id = a.current_version_id AND aa.author_id = au.id)) FROM authors au")


def exported_authors(url: str) -> dict[int, int]:
    out = io.StringIO()
    export(make_engine(url, readonly=True), "authors", "jsonl", out)
    return {row["id"]: row["articles"] for row in map(json.loads, out.getvalue().splitlines())}


def assert_authors_export(url: str) -> dict[int, int]:
    with make_engine(url, readonly=True).connect() as conn:
        plain = {int(author): int(count) for author, count in conn.execute(text(AUTHOR_ARTICLES))}
    assert exported_authors(url) == plain and any(plain.values())
    return plain


def update(directory: Path, port: int, day: int, removed: int) -> dict[str, Any]:
    due_again(directory)
    server = start_replica(ARTICLES, day=day, port=port, removed=removed)
    try:
        return summary(run("update", server, directory))
    finally:
        stop_replica(server)


def change_current_versions(url: str) -> None:
    """Five current versions made to say something else (another date, no authors or categories), and their
    hash forgotten, so that reextract rewrites them back; the counts are recounted to describe that archive."""
    with make_engine(url).begin() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT current_version_id FROM articles ORDER BY id LIMIT 5"))]
        for version_id in ids:
            conn.execute(text("UPDATE article_versions SET published = :p, content_hash = 'x' WHERE id = :v"),
                         {"p": "1999-06-01 00:00:00+00:00" if url.startswith("postgresql") else
                          "1999-06-01 00:00:00.000000", "v": version_id})
            for table in ("article_authors", "article_categories"):
                conn.execute(text(f"DELETE FROM {table} WHERE version_id = :v"), {"v": version_id})
    refresh_counts(make_engine(url))
    assert kept_counts(url)[("year", "1999")] == 5


def reextract(url: str, warc_dir: Path) -> None:
    change_current_versions(url)
    done = run_cli("reextract", "--warc-dir", str(warc_dir), "--db", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ("year", "1999") not in assert_kept(url)


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl of the replica, checked; an update with edits, new articles and take-downs, checked; then one that
    finds the taken-down articles back."""
    directory = tmp_path_factory.mktemp("counts")
    url = f"sqlite:///{directory}/a.sqlite3"
    first, port = crawl(directory)
    assert first["articles_new"] == ARTICLES
    assert_kept(url)
    gone = update(directory, port, day=3, removed=REMOVED)
    assert gone["articles_removed"] == REMOVED and gone["articles_changed"] > 0 and gone["articles_new"] > 0, gone
    counts = assert_kept(url)
    assert sum(total for (kind, _), total in counts.items() if kind == "removal_month") == REMOVED
    assert_authors_export(url)
    with make_engine(url, readonly=True).connect() as conn:  # so the export above counted taken-down articles
        assert conn.execute(text("SELECT count(*) FROM articles a JOIN article_authors aa ON aa.version_id = "
                                 "a.current_version_id WHERE a.removed_at IS NOT NULL")).scalar_one() > 0
    assert counts[("versions", "2")] > 0 and counts[("capture_type", "revisit")] > 0
    back = update(directory, port, day=3, removed=0)
    assert back["articles_restored"] == REMOVED, back
    counts = assert_kept(url)
    assert not [kind for kind, _ in counts if kind == "removal_month"]
    assert_authors_export(url)
    return directory


def test_sqlite_reextract_reparse_backfill_and_recount(updated: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.sqlite3"
    shutil.copy(updated / "a.sqlite3", tmp_path / "a.sqlite3")
    command.downgrade(alembic_config(url), "0014")  # an archive of the release before the desk's rows
    reextract(url, updated / "warc")  # upgrades it, then rewrites

    rebuilt = f"sqlite:///{tmp_path}/reparsed.sqlite3"
    done = run_cli("reparse", "--warc-dir", str(updated / "warc"), "--db", rebuilt)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_kept(rebuilt)
    assert by_name(rebuilt) == by_name(f"sqlite:///{updated}/a.sqlite3")

    # An archive made before the counts is counted from its rows (export does not require the upgrade); the
    # migration fills it.
    command.downgrade(alembic_config(url), "0011")
    from_rows = archive_statistics(make_engine(url, readonly=True))["versions_per_article"]
    assert from_rows == {item: total for (kind, item), total in plain_counts(url).items() if kind == "versions"}
    before_counts = assert_authors_export(url)
    upgrade(url)
    assert_kept(url)
    assert assert_authors_export(url) == before_counts

    # Counts gone wrong (a manual edit) are found and repaired; the report then says what the rows say.
    with make_engine(url).begin() as conn:
        conn.execute(text("UPDATE stat_counts SET total = total + 7 WHERE kind = 'versions' AND item = '1'"))
        conn.execute(text("DELETE FROM stat_counts WHERE kind = 'author'"))
    assert not any(exported_authors(url).values())  # the export reads the kept counts, not the bylines
    authors = sum(1 for kind, _ in plain_counts(url) if kind == "author")
    done = run_cli("stats", "--recount", "--json", "--db", url)
    assert done.returncode == 0, done.stderr
    assert f"recounted: {authors + 1} counts differed" in done.stderr
    assert_kept(url)
    report = json.loads(done.stdout)
    with make_engine(url, readonly=True).connect() as conn:
        versions = {str(n): c for n, c in conn.execute(text("SELECT version_count, count(*) FROM articles "
                                                            "GROUP BY 1"))}
        authors_by_name = {name: c for name, c in conn.execute(text(
            "SELECT au.name, count(*) FROM authors au JOIN article_authors aa ON aa.author_id = au.id JOIN articles a "
            "ON a.current_version_id = aa.version_id GROUP BY 1"))}
    assert report["versions_per_article"] == versions and report["authors_by_articles"] == authors_by_name
    assert_authors_export(url)


@pytest.mark.postgres
def test_postgres_reparse_and_reextract(updated: Path, pg_url: str) -> None:
    done = run_cli("reparse", "--warc-dir", str(updated / "warc"), "--db", pg_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_kept(pg_url)
    assert by_name(pg_url) == by_name(f"sqlite:///{updated}/a.sqlite3")  # the two databases agree
    assert_authors_export(pg_url)
    reextract(pg_url, updated / "warc")
    assert_authors_export(pg_url)


@pytest.mark.postgres
def test_postgres_writers_at_the_same_time_keep_the_counts(pg_url: str) -> None:
    """Four writers store overlapping batches of the same articles (each its own edit: new versions, other
    authors) while a fifth takes some down: the counts end equal to the rows, and no writer failed."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from archiver.storage.repository import ArchiveStore

    from .test_storage import items

    upgrade(pg_url)
    originals = items(range(30))

    def write(writer: int) -> None:
        store = ArchiveStore(make_engine(pg_url))
        for start in range(0, 30, 10):
            batch = [replace(item, title=f"{item.title} ({writer})", authors=item.authors[writer % 2:])
                     for item in originals[start:start + 10]]
            store.store_articles(batch)
        if writer == 0:
            store.mark_removed([(item.url, "410", None) for item in originals[::7]])
        store.engine.dispose()

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(write, range(5)))
    counts = assert_kept(pg_url)
    assert {item: total for (kind, item), total in counts.items() if kind == "versions"} == {"5": 30}
    assert_authors_export(pg_url)
