"""Each change signal on its own, on the stock-WordPress replica: a crawl at day 0, then updates at day 1 (the
replica's own truth names the posts edited that day) from copies of that one archive, each with only the signals
under test switched on (ARCHIVER_CHANGE_SIGNALS). Every test also shows that without its signal the edits go
unnoticed, or, for conditional requests, that every re-check downloads the whole page.

Feed dates are tested on the real WordPress (tests/test_real_wordpress_signals.py), where the edited post can be
chosen among the feed's newest entries.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.replica.model import SITE_END
from archiver.storage.db import make_engine

from .conftest import Replica, run_cli, start_replica, stop_replica
from .test_takedowns import due_again
from .test_update import query, summary

ARTICLES = 200  # the replica edits and publishes ARTICLES // 100 posts a day


def run(mode: str, server: Replica, directory: Path, signals: str) -> dict[str, Any]:
    return summary(run_cli(mode, "wordpress", "--base-url", server.base_url, "--db",
                           f"sqlite:///{directory}/a.sqlite3", "--warc-dir", str(directory / "warc"), "--json",
                           "-s", "LOG_LEVEL=WARNING", "-s", f"ARCHIVER_CHANGE_SIGNALS={signals}"))


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The archive of the replica at day 0, and the replica at day 1 on the same port with its truth."""
    archive = tmp_path_factory.mktemp("day0")
    day0 = start_replica(ARTICLES, kind="wp-classic")
    try:
        crawled = run("crawl", day0, archive, "")
    finally:
        stop_replica(day0)
    assert crawled["articles_new"] == ARTICLES
    day1 = start_replica(ARTICLES, day=1, port=int(day0.base_url.rsplit(":", 1)[1]), kind="wp-classic")
    try:
        truth = day1.truth()
        assert len(truth["edited_today"]) == len(truth["new_today"]) == ARTICLES // 100
        yield {"archive": archive, "server": day1, "truth": truth}
    finally:
        stop_replica(day1)


def copy_of(sites: dict[str, Any], tmp_path: Path, name: str) -> Path:
    directory = tmp_path / name
    shutil.copytree(sites["archive"], directory)
    return directory


def changed_posts(directory: Path) -> list[int]:
    return sorted(post_id for (post_id,) in query(
        directory, "SELECT a.post_id FROM article_versions v JOIN articles a ON a.id = v.article_id "
                   "WHERE v.version = 2"))


def update(sites: dict[str, Any], directory: Path, signals: str) -> tuple[dict[str, Any], list[int]]:
    result = run("update", sites["server"], directory, signals)
    assert result["articles_new"] == ARTICLES // 100  # new posts are found by discovery, whatever the signals
    return result, changed_posts(directory)


def test_sitemap_lastmod_alone_finds_the_edits(sites: dict[str, Any], tmp_path: Path) -> None:
    edited = sorted(sites["truth"]["edited_today"])
    found, posts = update(sites, copy_of(sites, tmp_path, "on"), "lastmod")
    assert posts == edited and found["articles_changed"] == len(edited), found
    missed, posts = update(sites, copy_of(sites, tmp_path, "off"), "rest,feed,conditional")
    assert posts == [] and missed["articles_changed"] == 0, missed


def last_run_in_site_time(directory: Path) -> None:
    """The crawl as if it ran at the replica's day 0 (its dates are the site's, not this machine's clock): the
    update's ``modified_after`` then asks for what changed since."""
    with make_engine(f"sqlite:///{directory}/a.sqlite3").begin() as conn:
        conn.execute(text("UPDATE crawl_runs SET started_at = :t"),
                     {"t": (SITE_END + timedelta(hours=12)).strftime("%Y-%m-%d %H:%M:%S")})


def test_rest_modified_after_alone_finds_the_edits(sites: dict[str, Any], tmp_path: Path) -> None:
    edited = sorted(sites["truth"]["edited_today"])
    on, off = copy_of(sites, tmp_path, "on"), copy_of(sites, tmp_path, "off")
    for directory in (on, off):
        last_run_in_site_time(directory)
    found, posts = update(sites, on, "rest")
    assert posts == edited and found["articles_changed"] == len(edited), found
    missed, posts = update(sites, off, "feed,conditional")
    assert posts == [] and missed["articles_changed"] == 0, missed


def test_the_recheck_schedule_alone_finds_the_edits(sites: dict[str, Any], tmp_path: Path) -> None:
    """No source dates the edit: the articles seen long ago are due again and their pages show it."""
    edited = sorted(sites["truth"]["edited_today"])
    on, off = copy_of(sites, tmp_path, "on"), copy_of(sites, tmp_path, "off")
    for directory in (on, off):
        due_again(directory)
    found, posts = update(sites, on, "recheck")
    assert posts == edited and found["articles_changed"] == len(edited), found
    missed, posts = update(sites, off, "conditional")
    assert posts == [] and missed["articles_changed"] == 0, missed


def test_conditional_requests_leave_only_the_edits_to_download(sites: dict[str, Any], tmp_path: Path) -> None:
    """Every article is due: with conditional requests the unchanged ones answer 304 (a revisit record) and only
    the edited ones send their page; without, every re-check downloads the whole page again."""
    edited = sorted(sites["truth"]["edited_today"])
    on, off = copy_of(sites, tmp_path, "on"), copy_of(sites, tmp_path, "off")
    for directory in (on, off):
        due_again(directory)
    found, posts = update(sites, on, "recheck,conditional")
    assert posts == edited
    assert found["articles_not_modified"] == ARTICLES - len(edited), found
    full_pages = query(on, "SELECT count(*) FROM captures WHERE run_id = :run AND status = 200 AND url LIKE "
                           "'%/20__/__/__/%'", run=found["run_id"])[0][0]
    assert full_pages == len(edited) + ARTICLES // 100  # the edited and the new posts' pages
    plain, posts = update(sites, off, "recheck")
    assert posts == edited and plain["articles_not_modified"] == 0, plain
    assert query(off, "SELECT count(*) FROM captures WHERE run_id = :run AND status = 304",
                 run=plain["run_id"])[0][0] == 0


def test_an_unknown_change_signal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("update", "wordpress", "--base-url", "http://127.0.0.1:9", "--db",
                     f"sqlite:///{tmp_path}/a.sqlite3", "--warc-dir", str(tmp_path / "warc"),
                     "-s", "ARCHIVER_CHANGE_SIGNALS=rest,sitemap")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown sitemap" in lines[0] and "lastmod" in lines[0], result.stderr


# Shaped as WordPress 6.1's templates write them (wp-includes/feed-rss2.php, feed-atom.php); dates by hand.
RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Netzwelt</title>
<item><title>Erster</title><link>http://127.0.0.1:8080/2025/03/07/erster/</link>
<pubDate>Fri, 07 Mar 2025 06:25:18 +0000</pubDate></item>
<item><title>Ohne Datum</title><link>http://127.0.0.1:8080/2025/03/06/ohne-datum/</link></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de-DE">
<title type="text">Netzwelt</title><updated>2025-03-09T10:00:00Z</updated>
<entry><title type="html"><![CDATA[Erster]]></title>
<link rel="alternate" type="text/html" href="http://127.0.0.1:8080/2025/03/07/erster/" />
<id>http://127.0.0.1:8080/?p=41</id><updated>2025-03-09T10:00:00Z</updated>
<published>2025-03-07T06:25:18Z</published></entry></feed>"""


def test_feed_entries_carry_their_latest_date() -> None:
    from datetime import UTC, datetime

    from archiver.pages.feed import FeedEntry, read_feed

    assert read_feed(RSS) == [
        FeedEntry("http://127.0.0.1:8080/2025/03/07/erster/", datetime(2025, 3, 7, 6, 25, 18, tzinfo=UTC)),
        FeedEntry("http://127.0.0.1:8080/2025/03/06/ohne-datum/", None)]
    assert read_feed(ATOM) == [  # the edit (updated), not the publication
        FeedEntry("http://127.0.0.1:8080/2025/03/07/erster/", datetime(2025, 3, 9, 10, 0, tzinfo=UTC))]
    assert read_feed(b"<html><body><h1>Seite nicht gefunden</h1></body></html>") is None
    assert read_feed(b"http://127.0.0.1:9/feed/") is None  # bytes that look like a URL are not fetched
