"""The machine's PostgreSQL stopped and started again during a crawl, as nightly maintenance does.

This stops the real server for 30 seconds, as nightly maintenance does: every other test and developer on this
machine sees it go away (it is marked ``serial``: make test runs it alone), and the server is started again
whatever happens.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from archiver.storage.db import make_engine

from .conftest import Replica, find_tool, run_cli, skip_or_fail
from .test_storage_faults import assert_every_pointer_is_on_disk

OUTAGE_SECONDS = 30
# The run's bound on waiting for the server (ARCHIVER_DB_RETRY_SECONDS, default 60): above the outage and the
# server's start, which takes several seconds more on a loaded machine.
RETRY_SECONDS = 90


def cluster_command(action: str) -> list[str]:
    versions = sorted(path.name for path in Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").is_dir() \
        else []
    if not versions or find_tool("pg_ctlcluster") is None:
        skip_or_fail("pg_ctlcluster not found: Debian's postgresql-common runs the server this test restarts")
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action]
    return [*command, "-m", "fast"] if action == "stop" else command


def wait_until_ready() -> None:
    deadline = time.monotonic() + 120
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise AssertionError("PostgreSQL did not come back within 120 s")
        time.sleep(0.2)


@contextmanager
def server_stopped() -> Iterator[None]:
    stop, start = cluster_command("stop"), cluster_command("start")
    try:
        subprocess.run(stop, check=True, capture_output=True, text=True)
        yield
    finally:  # other tests and developers need the server
        subprocess.run(start, check=False, capture_output=True, text=True)
        wait_until_ready()


def stored_articles(db: str) -> int:
    try:
        return count(db, "SELECT count(*) FROM articles")
    except ProgrammingError:  # the run has not created the schema yet
        return 0


def count(db: str, sql: str) -> int:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.serial
def test_a_postgresql_restart_during_a_crawl_loses_nothing_and_stores_nothing_twice(
        replica: Replica, pg_url: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    log = tmp_path / "crawl.log"
    command = [sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url", replica.base_url, "--db", pg_url,
               "--warc-dir", str(warc_dir), "--json", "-s", "LOG_LEVEL=WARNING", "-s", "ARCHIVER_DB_BATCH_SIZE=5",
               "-s", f"ARCHIVER_DB_RETRY_SECONDS={RETRY_SECONDS}",
               # Paced, so the crawl still runs when the server stops and when it is back.
               "-s", "DOWNLOAD_DELAY=0.03", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    with log.open("w") as stderr:
        crawl = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        deadline = time.monotonic() + 120
        while stored_articles(pg_url) == 0:  # stop once the run is storing articles
            assert crawl.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        with server_stopped():
            time.sleep(OUTAGE_SECONDS)
        running_when_back = crawl.poll() is None
        output, _ = crawl.communicate(timeout=600)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
    errors = log.read_text()
    assert running_when_back, "the crawl ended before the server came back: the test proves nothing"
    assert crawl.returncode == 0, errors[-3000:]
    assert "lost the database" in errors and "the database is back" in errors, errors[-3000:]
    first = json.loads(output.strip().splitlines()[-1])
    assert first["articles_new"] == replica.articles

    assert assert_every_pointer_is_on_disk(pg_url, warc_dir) > replica.articles
    assert count(pg_url, "SELECT count(*) FROM articles") == replica.articles
    assert count(pg_url, "SELECT count(DISTINCT url) FROM articles") == replica.articles
    assert count(pg_url, "SELECT max(version) FROM article_versions") == 1
    assert count(pg_url, "SELECT count(*) - count(DISTINCT record_id) FROM captures") == 0

    again = run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", pg_url, "--warc-dir",
                    str(warc_dir), "--json", "-s", "LOG_LEVEL=WARNING")
    assert again.returncode == 0, again.stderr[-3000:]
    assert count(pg_url, "SELECT count(DISTINCT url) FROM articles") == replica.articles
    assert count(pg_url, "SELECT max(version) FROM article_versions") == 1
    assert_every_pointer_is_on_disk(pg_url, warc_dir)
