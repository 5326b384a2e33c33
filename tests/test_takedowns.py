"""Take-downs on the replica: known articles that answer 404, 410 or redirect to the front page are marked
removed (kept, never deleted), nothing else changes, and an article that answers again is restored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from sqlalchemy import text

from archiver.crawl.policy import moved, removal
from archiver.normalize.urls import is_article_url
from archiver.pages.rest_route import own_rest_route
from archiver.reparse_removals import RemovalReplay
from archiver.storage.db import make_engine, upgrade
from archiver.storage.reader import iter_articles
from archiver.storage.repository import ArchiveStore
from archiver.warc.reader import StoredRecord

from .conftest import Replica, assert_reparse_equals_crawl, run_cli, start_replica, stop_replica
from .test_storage import items
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
    # The WARC files alone give the same take-downs, times and restore versions.
    assert assert_reparse_equals_crawl(f"sqlite:///{tmp_path}/a.sqlite3", tmp_path / "warc",
                                       tmp_path) == ARTICLES + REMOVED


def test_reparse_marks_what_the_answers_showed_before_a_restore(tmp_path: Path) -> None:
    """Reparse of an archive whose last update found take-downs: rebuilt with the same removed_at and status."""
    _, port = crawl(tmp_path, "wp-classic")
    gone, _ = update_against(tmp_path, port, REMOVED, "wp-classic")
    assert gone["articles_removed"] == REMOVED
    assert assert_reparse_equals_crawl(f"sqlite:///{tmp_path}/a.sqlite3", tmp_path / "warc", tmp_path) == ARTICLES
    rebuilt = query_db(f"sqlite:///{tmp_path}/reparsed.sqlite3", "SELECT post_id, removed_status, removed_at "
                                                                 "FROM articles WHERE removed_at IS NOT NULL")
    crawled = query(tmp_path, "SELECT post_id, removed_status, removed_at FROM articles WHERE removed_at IS NOT NULL")
    assert len(rebuilt) == REMOVED and sorted(rebuilt) == sorted(crawled)


def query_db(db_url: str, sql: str) -> list[Any]:
    with make_engine(db_url, readonly=True).connect() as conn:
        return list(conn.execute(text(sql)).all())


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


ARTICLE = "https://example.org/2024/05/03/ein-beitrag/"


def answer(status: int, location: str | None = None, url: str = ARTICLE, **meta: Any) -> Response:
    request = Request(url, meta={"archiver_known": True, **meta})
    headers = {"Location": location} if location else {}
    return HtmlResponse(url, status=status, headers=headers, body=b"<html></html>", request=request)


@pytest.mark.parametrize(("response", "expected"), [
    (answer(404), "404"),
    (answer(410), "410"),
    (answer(301, "/"), "redirect:https://example.org/"),
    (answer(302, "https://example.org/category/netzpolitik/"), "redirect:https://example.org/category/netzpolitik/"),
    (answer(301, "https://example.org/krypto/neu-311235.html", url="https://example.org/krypto/alt-311234.html"),
     "redirect:https://example.org/krypto/neu-311235.html"),  # another post's page
    (answer(301, ARTICLE.rstrip("/")), None),  # its own path without the trailing slash
    (answer(301, "https://example.org/krypto/neu-311235.html", url="https://example.org/alt/neu-311235.html"),
     None),  # its own post, moved to another category
    (answer(301, "https://example.org/2024/05/03/ein-neuer-titel/"), None),  # another permalink: the post renamed
    (answer(200), None),
    (answer(304), None),
    (answer(200, archiver_unpublished=True), None),  # not in posts?include=: its own route decides (a page?)
    (answer(404, archiver_unpublished=True), "404"),  # the page's own answer says how
])
def test_which_answers_of_a_known_article_are_take_downs(response: Response, expected: str | None) -> None:
    assert removal(response, is_article_url) == expected
    if expected is None and response.status in (301, 302):  # a move: followed to the article's new place
        follow = moved(response)
        assert follow is not None and follow.url == response.urljoin(response.headers["Location"].decode())


def test_answers_to_requests_for_unknown_pages_are_never_take_downs() -> None:
    response = HtmlResponse(ARTICLE, status=404, body=b"", request=Request(ARTICLE))
    assert removal(response, is_article_url) is None


def test_marking_keeps_the_first_time_and_a_restore_is_a_version_naming_the_removal(db_url: str) -> None:
    upgrade(db_url)
    store = ArchiveStore(make_engine(db_url))
    batch = items(range(5))
    store.store_articles(batch)
    answered = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert store.mark_removed([(batch[1].url, "unpublished", None), (batch[2].url, "410", answered)]) == 2
    first = {row["url"]: row["removed_at"] for row in iter_articles(store.engine)}
    assert first[batch[2].url] == "2026-03-04T05:06:07Z"  # when the answer came, not when it was written
    assert store.mark_removed([(batch[1].url, "404", None)]) == 0  # already removed: the latest answer, the first time
    rows = {row["url"]: row for row in iter_articles(store.engine)}
    assert {url: row["removed_status"] for url, row in rows.items() if row["removed_at"]} == {
        batch[1].url: "404", batch[2].url: "410"}
    assert rows[batch[1].url]["removed_at"] == first[batch[1].url] is not None
    results = store.store_articles(batch)
    assert [r.status for r in results] == ["unchanged", "restored", "restored", "unchanged", "unchanged"]
    rows = {row["url"]: row for row in iter_articles(store.engine)}
    assert all(row["removed_at"] is None and row["removed_status"] is None for row in rows.values())
    assert rows[batch[1].url]["version"] == 2 and rows[batch[0].url]["version"] == 1
    with store.engine.connect() as conn:
        diffs = [d if isinstance(d, dict) else json.loads(d) for (d,) in conn.execute(
            text("SELECT diff FROM article_versions WHERE version = 2 ORDER BY article_id"))]
    assert [d["restored"]["removed_status"] for d in diffs] == ["404", "410"]
    assert diffs[0]["restored"]["removed_at"] == first[batch[1].url]
    store.engine.dispose()


# What WordPress 6.1 sends with a page (read from the real site: tests/test_real_wordpress_signals.py asks it).
PAGE_LINKS = ['<http://127.0.0.1:8080/wp-json/>; rel="https://api.w.org/"',
              '<http://127.0.0.1:8080/wp-json/wp/v2/pages/34>; rel="alternate"; type="application/json"',
              "<http://127.0.0.1:8080/?p=34>; rel=shortlink"]


def test_a_page_names_its_own_rest_route_in_its_link_header() -> None:
    assert own_rest_route("http://127.0.0.1:8080/uber-uns/", PAGE_LINKS) == \
        "http://127.0.0.1:8080/wp-json/wp/v2/pages/34"
    assert own_rest_route("http://127.0.0.1:8080/uber-uns/", [", ".join(PAGE_LINKS)]) == \
        "http://127.0.0.1:8080/wp-json/wp/v2/pages/34"  # one header, several links
    assert own_rest_route("http://127.0.0.1:8080/uber-uns/", [PAGE_LINKS[0], PAGE_LINKS[2]]) is None


def record(url: str, status: int, location: str | None = None) -> StoredRecord:
    return StoredRecord("a.warc.gz", 0, 0, "response", "<urn:uuid:1>", url, datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
                        None, None, None, status, "text/html", b"", location)


def test_the_reparse_replay_judges_answers_as_the_crawl_does() -> None:
    replay = RemovalReplay()
    article = items(range(1))[0]
    replay.stored(article)
    assert article.post_id is not None
    when = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert replay.removal(record(article.url, 410)) == (article.url, "410", when)
    assert replay.removal(record(article.url, 301, "/")) == (article.url, f"redirect:{urljoin(article.url, '/')}",
                                                             when)
    assert replay.removal(record(article.url, 200)) is None
    assert replay.removal(record("https://example.org/anderswo/", 404)) is None  # not an archived article
    route = f"https://example.org/wp-json/wp/v2/pages/{article.post_id}"
    assert replay.removal(record(route, 404)) == (article.url, "unpublished", when)
    assert replay.removal(record(route, 200)) is None
