"""Take-downs on the replica: known articles that answer 404, 410 or redirect to the front page are marked
removed (kept, never deleted), nothing else changes, and an article that answers again is restored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from archiver.storage.db import make_engine

from .conftest import Replica, run_cli, start_replica, stop_replica
from .test_update import query, run, summary

ARTICLES, REMOVED = 40, 3


def expected_statuses(replica: Replica) -> dict[int, str]:
    """What the replica's taken-down pages answer, from its own truth (not from the archiver)."""
    return {int(post_id): f"redirect:{replica.base_url}/" if status == 301 else str(status)
            for post_id, status in replica.truth()["removed"].items()}


def due_again(directory: Path) -> None:
    """Every article seen long ago, so the update re-checks every page (the tarnkappe replica has no REST API)."""
    long_ago = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")
    with make_engine(f"sqlite:///{directory}/a.sqlite3").begin() as conn:
        conn.execute(text("UPDATE articles SET last_seen = :t"), {"t": long_ago})


def update_against(directory: Path, port: int, removed: int, kind: str = "tarnkappe") -> tuple[dict[str, Any],
                                                                                             Replica]:
    server = start_replica(ARTICLES, port=port, removed=removed, kind=kind)
    try:
        return summary(run_spider("update", server, directory, kind)), server
    finally:
        stop_replica(server)


def run_spider(mode: str, server: Replica, directory: Path, kind: str) -> Any:
    if kind == "tarnkappe":
        return run(mode, server, directory)
    return run_cli(mode, "wordpress", "--base-url", server.base_url, "--db", f"sqlite:///{directory}/a.sqlite3",
                   "--warc-dir", str(directory / "warc"), "--json", "-s", "LOG_LEVEL=WARNING")


def crawl(directory: Path, kind: str = "tarnkappe") -> tuple[dict[str, Any], int]:
    server = start_replica(ARTICLES, kind=kind)
    try:
        return summary(run_spider("crawl", server, directory, kind)), int(server.base_url.rsplit(":", 1)[1])
    finally:
        stop_replica(server)


def removals(directory: Path) -> dict[int, str]:
    return {post_id: status for post_id, status in
            query(directory, "SELECT post_id, removed_status FROM articles WHERE removed_at IS NOT NULL")}


def test_pages_that_answer_404_410_or_redirect_away_are_marked_removed_then_restored(tmp_path: Path) -> None:
    full, port = crawl(tmp_path)
    assert full["articles_new"] == ARTICLES
    due_again(tmp_path)
    gone, server = update_against(tmp_path, port, REMOVED)
    expected = expected_statuses(server)
    assert sorted(expected.values(), key=lambda s: s[:1]) == ["404", "410", f"redirect:{server.base_url}/"]
    assert (gone["articles_removed"], gone["articles_not_modified"]) == (REMOVED, ARTICLES - REMOVED), gone
    assert (gone["articles_new"], gone["articles_changed"], gone["articles_restored"]) == (0, 0, 0)
    assert removals(tmp_path) == expected
    assert query(tmp_path, "SELECT count(*) FROM articles")[0][0] == ARTICLES  # kept, never deleted
    assert query(tmp_path, "SELECT count(*) FROM article_versions")[0][0] == ARTICLES
    # The answers that showed the removals are archived like any other.
    answers = query(tmp_path, "SELECT status FROM captures WHERE run_id = :run AND url LIKE '%.html' AND status "
                              "IN (301, 404, 410)", run=gone["run_id"])
    assert sorted(status for (status,) in answers) == [301, 404, 410]

    exported = run_cli("export", "--db", f"sqlite:///{tmp_path}/a.sqlite3", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == ARTICLES and all("removed_at" in row for row in rows)
    assert {row["post_id"]: row["removed_status"] for row in rows if row["removed_at"]} == expected
    assert sum(row["removed_status"] is None for row in rows) == ARTICLES - REMOVED
    shown = run_cli("show", str(next(iter(expected))), "--db", f"sqlite:///{tmp_path}/a.sqlite3")
    assert f"({expected[next(iter(expected))]}); the archived copy stays" in shown.stdout, shown.stdout
    stats = json.loads(run_cli("stats", "--json", "--db", f"sqlite:///{tmp_path}/a.sqlite3").stdout)
    assert stats["removals_per_month"] == {datetime.now(UTC).strftime("%Y-%m"): REMOVED}

    back, _ = update_against(tmp_path, port, 0)  # the removed ones are always due: no need to make them due
    assert (back["articles_restored"], back["articles_removed"], back["articles_new"]) == (REMOVED, 0, 0), back
    assert removals(tmp_path) == {}
    restored = query(tmp_path, "SELECT a.post_id, v.diff FROM article_versions v JOIN articles a "
                               "ON a.id = v.article_id AND v.id = a.current_version_id WHERE v.version = 2")
    assert {post_id for post_id, _ in restored} == set(expected)
    for post_id, diff in restored:  # the content came back unchanged: the diff only names the removal
        changes = json.loads(diff)
        assert set(changes) == {"restored"} and changes["restored"]["removed_status"] == expected[post_id]
    assert query(tmp_path, "SELECT count(*) FROM article_versions")[0][0] == ARTICLES + REMOVED


def test_the_rest_check_finds_take_downs_that_are_not_due(tmp_path: Path) -> None:
    """On a WordPress site the update asks the REST API which known posts are still published: the missing
    ones are found in the next update, due or not, and their page says how they went."""
    full, port = crawl(tmp_path, "wp-classic")
    assert full["articles_new"] == ARTICLES
    gone, server = update_against(tmp_path, port, REMOVED, "wp-classic")
    assert gone["articles_removed"] == REMOVED, gone
    assert removals(tmp_path) == expected_statuses(server)
    article_pages = query(tmp_path, "SELECT count(*) FROM captures WHERE run_id = :run AND url NOT LIKE '%wp-json%' "
                                    "AND status IN (301, 404, 410)", run=gone["run_id"])[0][0]
    assert article_pages == REMOVED
