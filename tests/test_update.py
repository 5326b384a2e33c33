"""Keeping the archive current: update runs, the run lock, resume after SIGKILL, Retry-After, robots.txt."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.crawl.lock import RunLock
from archiver.crawl.middlewares import retry_after_seconds
from archiver.storage.db import make_engine

from .conftest import CrawledArchive, Replica, run_cli, start_replica, stop_replica
from .test_capture import fetch, responses


def run(mode: str, replica: Replica, directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(mode, "tarnkappe", "--base-url", replica.base_url, "--db", f"sqlite:///{directory}/a.sqlite3",
                   "--warc-dir", str(directory / "warc"), "--json", "-s", "LOG_LEVEL=WARNING", *extra)


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def query(directory: Path, sql: str, **params: Any) -> list[Any]:
    with make_engine(f"sqlite:///{directory}/a.sqlite3", readonly=True).connect() as conn:
        return list(conn.execute(text(sql), params).all())


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A full crawl of a 1,000-article replica at day 0, then two updates at day 1."""
    directory = tmp_path_factory.mktemp("update")
    day0 = start_replica(1000, day=0)
    try:
        full = summary(run("crawl", day0, directory))
    finally:
        stop_replica(day0)
    day1 = start_replica(1000, day=1, port=int(day0.base_url.rsplit(":", 1)[1]))
    try:
        first = summary(run("update", day1, directory))
        second = summary(run("update", day1, directory))
        truth = day1.truth()
    finally:
        stop_replica(day1)
    return {"dir": directory, "full": full, "first": first, "second": second, "truth": truth}


def test_update_stores_exactly_the_new_and_edited_articles(updated: dict[str, Any]) -> None:
    first, truth = updated["first"], updated["truth"]
    assert first["articles_new"] == len(truth["new_today"]) == 10
    assert first["articles_changed"] == len(truth["edited_today"]) == 10
    rows = query(updated["dir"], "SELECT a.post_id, v.diff FROM article_versions v JOIN articles a "
                                 "ON a.id = v.article_id WHERE v.version = 2")
    assert sorted(post_id for post_id, _ in rows) == sorted(truth["edited_today"])
    for _, diff in rows:
        changes = json.loads(diff) if isinstance(diff, str) else diff
        assert "text" in changes and "modified" in changes


def test_update_fetches_only_new_and_edited_article_pages(updated: dict[str, Any]) -> None:
    first, full, truth = updated["first"], updated["full"], updated["truth"]
    expected = {item["url"] for item in truth["items"]
                if item["post_id"] in set(truth["new_today"]) | set(truth["edited_today"])}
    fetched = {url for (url,) in query(updated["dir"], "SELECT url FROM captures WHERE run_id = :run AND url LIKE "
                                                       "'%.html'", run=first["run_id"])}
    assert fetched == expected
    assert first["requests"] < 0.1 * full["requests"], (first["requests"], full["requests"])


def test_second_update_finds_nothing_and_writes_only_revisits(updated: dict[str, Any]) -> None:
    second = updated["second"]
    assert second["articles_new"] == second["articles_changed"] == 0
    kinds = query(updated["dir"], "SELECT record_type, status FROM captures WHERE run_id = :run",
                  run=second["run_id"])
    assert kinds and all(kind == "revisit" for kind, status in kinds if status in (200, 304))
    assert query(updated["dir"], "SELECT count(*) FROM article_versions")[0][0] == 1010 + 10


def test_recheck_of_due_articles_uses_conditional_requests(updated: dict[str, Any], crawled: CrawledArchive,
                                                           tmp_path: Path) -> None:
    """Articles seen long ago are due again: they are asked for with If-None-Match and answer 304."""
    # A copy of the session's shared crawl of the replica (captures name their WARC files without a directory).
    replica, first = crawled.replica, crawled.summary
    for suffix in ("", "-wal"):  # the write-ahead log may still hold committed pages
        if (crawled.directory / f"archive.sqlite3{suffix}").exists():
            shutil.copyfile(crawled.directory / f"archive.sqlite3{suffix}", tmp_path / f"a.sqlite3{suffix}")
    shutil.copytree(crawled.warc_dir, tmp_path / "warc")
    long_ago = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")
    with make_engine(f"sqlite:///{tmp_path}/a.sqlite3").begin() as conn:
        conn.execute(text("UPDATE articles SET last_seen = :t"), {"t": long_ago})
    again = summary(run("update", replica, tmp_path))
    assert again["articles_not_modified"] == first["articles_new"] == replica.articles
    assert again["articles_changed"] == again["articles_new"] == 0
    revisits = query(tmp_path, "SELECT count(*) FROM captures WHERE run_id = :run AND status = 304 AND "
                               "record_type = 'revisit'", run=again["run_id"])[0][0]
    assert revisits == replica.articles
    assert not query(tmp_path, "SELECT * FROM articles WHERE last_seen = :t", t=long_ago)


def test_a_second_run_exits_75_while_one_holds_the_lock(replica: Replica, tmp_path: Path) -> None:
    with RunLock(tmp_path / "warc", "archiver update tarnkappe (test)"):
        result = run("update", replica, tmp_path)
    assert result.returncode == 75
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "archiver update tarnkappe (test)" in lines[0]
    assert summary(run("update", replica, tmp_path))["articles_new"] == replica.articles  # lock released


def test_resume_after_sigkill_completes_without_refetching(replica: Replica, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url", replica.base_url, "--db",
               f"sqlite:///{tmp_path}/a.sqlite3", "--warc-dir", str(tmp_path / "warc"), "-s", "LOG_LEVEL=WARNING",
               "-s", "ARCHIVER_DB_BATCH_SIZE=10"]
    # Paced (about 50 requests a second) so that the poll below finds it in the middle, not finished.
    paced = [*command, "-s", "DOWNLOAD_DELAY=0.02", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    process = subprocess.Popen(paced, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill in the middle: once some articles, not all, are stored
        time.sleep(0.2)
        try:
            stored = query(tmp_path, "SELECT count(*) FROM articles")[0][0]
        except Exception:
            continue
        if stored >= 20:
            break
    assert process.poll() is None, "the crawl ended before the kill: nothing was tested"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = {url for (url,) in query(tmp_path, "SELECT url FROM articles")}
    killed_articles = len(finished)
    result = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300)
    resumed = summary(result)
    assert query(tmp_path, "SELECT count(*) FROM articles")[0][0] == replica.articles
    assert query(tmp_path, "SELECT count(*) FROM article_versions")[0][0] == replica.articles
    assert resumed["articles_new"] == replica.articles - killed_articles
    # Pages whose article reached the database before the kill are not fetched again; a page whose
    # article was still in an uncommitted batch is fetched again (it was not finished).
    duplicates = {url for url, _ in query(tmp_path, "SELECT url, count(*) FROM captures WHERE status = 200 "
                                                    "AND url LIKE '%.html' GROUP BY url HAVING count(*) > 1")}
    assert finished and not duplicates & finished
    reasons = [r for (r,) in query(tmp_path, "SELECT finish_reason FROM crawl_runs ORDER BY id")]
    assert reasons == ["interrupted", "finished"]


def test_retry_after_parsing() -> None:
    now = datetime(2025, 3, 7, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_retry_after_delays_the_next_request(replica: Replica, tmp_path: Path) -> None:
    token = f"/_faults/retry-after/5/{time.monotonic_ns()}"
    records = fetch([replica.base_url + token], tmp_path, "RETRY_ENABLED=True")
    dates = [datetime.fromisoformat(r[1].get_header("WARC-Date").replace("Z", "+00:00"))
             for r in responses(records, token)]
    statuses = [r[2].get_statuscode() for r in responses(records, token)]
    assert statuses == ["429", "200"]
    assert (dates[1] - dates[0]).total_seconds() >= 5.0


def test_robots_txt_answering_500_blocks_the_host_and_fails_the_run(tmp_path: Path) -> None:
    server = start_replica(30, robots_status=500)
    try:
        result = run("crawl", server, tmp_path)
    finally:
        stop_replica(server)
    assert result.returncode == 1
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "robots.txt answered 500" in report["exit_reason"]
    assert report["articles_new"] == 0 and report["robots_blocked"] > 0


def test_progress_display_only_on_a_terminal(crawled: CrawledArchive) -> None:
    import io

    from rich.console import Console
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from archiver.crawl.progress import ProgressExtension

    with pytest.raises(NotConfigured):
        ProgressExtension.from_crawler(get_crawler(settings_dict={"ARCHIVER_PROGRESS": False}))
    crawler = get_crawler(settings_dict={"ARCHIVER_PROGRESS": True})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    crawler.stats.set_value("archiver/articles/new", 7)  # type: ignore[union-attr]
    output = io.StringIO()
    extension = ProgressExtension(crawler, Console(file=output, force_terminal=True, width=120))
    extension.opened(None)
    extension.update()
    extension.progress.refresh()
    extension.closed(None)
    assert "7 new" in output.getvalue()
    # The session's shared crawl ran with its stderr a pipe: no progress line in the summary.
    assert crawled.result.returncode == 0 and "pages ·" not in crawled.result.stderr
