"""Crawls into the database: SQLite and PostgreSQL give the same export; a later site day adds exactly
the new articles and one version per edited article."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archiver.storage.db import make_engine
from archiver.storage.reader import iter_articles

from .conftest import CrawledArchive, crawl_into, run_cli, start_replica, stop_replica

CRAWL_SPECIFIC = ("id", "capture", "captured_at")


def comparable(db_url: str) -> list[dict[str, Any]]:
    rows = []
    for row in iter_articles(make_engine(db_url)):
        rows.append({k: v for k, v in row.items() if k not in CRAWL_SPECIFIC})
    return sorted(rows, key=lambda r: r["url"])


def test_sqlite_and_postgresql_exports_are_identical(crawled: CrawledArchive, pg_url: str, tmp_path: Path) -> None:
    crawl_into(crawled.replica, tmp_path, db_url=pg_url)
    assert comparable(crawled.db_url) == comparable(pg_url)
    exported = run_cli("export", "--db", pg_url, "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(lines) == crawled.replica.articles and all(line["capture"]["record_id"] for line in lines)


def test_a_later_site_day_adds_new_articles_and_versions(tmp_path: Path) -> None:
    day0 = start_replica(200, day=0)
    port = day0.base_url.rsplit(":", 1)[1]
    try:
        first = crawl_into(day0, tmp_path)
    finally:
        stop_replica(day0)
    day1 = start_replica(200, day=1, port=int(port))
    try:
        second = crawl_into(day1, tmp_path)
        truth = day1.truth()
    finally:
        stop_replica(day1)
    assert first.summary["articles_new"] == 200
    new, edited = set(truth["new_today"]), set(truth["edited_today"])
    assert second.summary["articles_new"] == len(new) == 2
    assert second.summary["articles_changed"] == len(edited) == 2
    assert second.summary["articles_unchanged"] == 200 - len(edited)
    versions = list(iter_articles(make_engine(first.db_url), versions="all"))
    assert len(versions) == 200 + len(new) + len(edited)
    by_post: dict[int, list[dict[str, Any]]] = {}
    for row in versions:
        by_post.setdefault(row["post_id"], []).append(row)
    expected = {item["post_id"]: item for item in truth["items"]}
    for post_id in edited:
        old, current = sorted(by_post[post_id], key=lambda r: r["version"])
        assert current["text"] == expected[post_id]["text"] and current["version"] == 2
        assert old["text"] != current["text"] and old["version"] == 1  # the old version is intact
        assert "Update vom Tag 1" in current["text"] and "Update vom Tag 1" not in old["text"]
    for post_id in new:
        assert [r["version"] for r in by_post[post_id]] == [1]
