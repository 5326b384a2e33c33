"""Distributed runs on the real Redis and PostgreSQL on 127.0.0.1: scrapy-redis queue and duplicate filter,
leases that survive a killed worker, per-worker WARC files, ``archiver status``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import text

from archiver.crawl.distributed.coordinator import Coordinator, RunKeys, lease_token, run_status
from archiver.storage.db import make_engine
from archiver.warc.reader import iter_records

from .conftest import REDIS_URL, CrawledArchive, Replica, crawl_into, run_cli, start_replica, stop_replica
from .test_storage_crawls import comparable

# More than one sitemap's worth (1,000 URLs): the queue-peak test needs a second sitemap to wait for.
ARTICLES = 1200
# Short timings for tests; production defaults are 30 s (docs/runbook.md).
FAST = ("-s", "ARCHIVER_IDLE_CLOSE=3", "-s", "ARCHIVER_HEARTBEAT_TTL=4", "-s", "LOG_LEVEL=INFO")
# Each worker must read robots.txt itself (it obeys it); the sitemap spider reads it once more for sitemaps.
PER_WORKER = ("/robots.txt",)


@pytest.fixture(scope="module")
def big_replica() -> Iterator[Replica]:
    server = start_replica(ARTICLES)
    yield server
    stop_replica(server)


@pytest.fixture(scope="module")
def single(big_replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> CrawledArchive:
    """The reference: one process crawls the same replica."""
    return crawl_into(big_replica, tmp_path_factory.mktemp("single"))


@pytest.fixture(scope="module")
def single_crawl(single: CrawledArchive) -> str:
    return single.db_url


def start_worker(replica: Replica, db_url: str, warc_dir: Path, worker: str, log: Path,
                 *extra: str, mode: str = "crawl") -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "archiver", mode, "tarnkappe", "--base-url", replica.base_url, "--db", db_url,
            "--warc-dir", str(warc_dir), "--distributed", "--redis-url", REDIS_URL, "--worker-id", worker, "--json",
            *FAST, *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)


def finish(process: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    stdout, _ = process.communicate(timeout=600)
    assert process.returncode == 0, log.read_text()[-3000:]
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def archived_urls(warc_dir: Path) -> Counter[str]:
    """Target URIs of response and revisit records across every WARC file of the directory."""
    urls: Counter[str] = Counter()
    for path in sorted(warc_dir.glob("*.warc.gz")):
        for record in iter_records(path, with_bodies=False):
            if record.record_type in ("response", "revisit"):
                urls[record.target_uri] += 1
    return urls


def assert_stored_exactly_once(db_url: str) -> None:
    with make_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == ARTICLES
        assert conn.execute(text("SELECT count(*) FROM article_versions")).scalar_one() == ARTICLES
        assert conn.execute(text("SELECT count(DISTINCT url) FROM articles")).scalar_one() == ARTICLES


def test_a_single_process_crawl_queues_a_few_pages_not_the_site(single: CrawledArchive) -> None:
    """The queue is the crawl's memory. Articles before listings, the next sitemap only once the queue is empty:
    never more than one sitemap's worth (1,000 URLs) waits, however large the site (1,200 articles here, two
    sitemaps; on 2,000 articles the whole pagination chain queued 4,024 requests before)."""
    assert single.summary["articles_new"] == ARTICLES
    assert 0 < single.summary["queue_peak"] < 1000, single.summary["queue_peak"]


def test_bad_redis_url_is_one_line_and_exit_2_before_any_work(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:6379/0", "redis://127.0.0.1:1/0", "redis://127.0.0.1:6379/notanumber",
                "redis://127.0.0.1:6379/999"):
        result = run_cli("crawl", "tarnkappe", "--base-url", "http://127.0.0.1:9/", "--db",
                         f"sqlite:///{tmp_path}/a.sqlite3", "--warc-dir", str(tmp_path / "warc"), "--distributed",
                         "--redis-url", url)
        assert result.returncode == 2, (url, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("archiver: error:") and "Traceback" not in result.stderr
        assert not (tmp_path / "a.sqlite3").exists() and not (tmp_path / "warc").exists()
    missing = run_cli("crawl", "tarnkappe", "--distributed", "--base-url", "http://127.0.0.1:9/",
                      env={"ARCHIVER_REDIS_URL": ""})
    assert missing.returncode == 2 and "--redis-url" in missing.stderr
    status = run_cli("status", "--redis-url", "redis://127.0.0.1:1/0")
    assert status.returncode == 2 and len(status.stderr.strip().splitlines()) == 1


def test_a_lease_survives_a_dead_worker_and_is_acknowledged_once(redis_client: redis.Redis) -> None:
    run = f"test-{uuid.uuid4().hex[:8]}"
    keys = RunKeys(run)
    alive, _ = Coordinator.join(redis_client, "spider", "host", "alive", heartbeat_ttl=30, run_id=run)
    doomed, _ = Coordinator.join(redis_client, "spider", "host", "doomed", heartbeat_ttl=0.3, run_id=run)
    try:
        redis_client.zadd(keys.requests, {b"first": -10, b"second": 0, b"third": 5})
        assert doomed.pop() == (lease_token(b"first"), b"first")  # best priority first
        assert doomed.pop() == (lease_token(b"second"), b"second")
        doomed.ack([lease_token(b"first")])
        assert alive.reclaim_dead() == {}  # doomed's heartbeat is still alive: nothing is taken from it
        time.sleep(0.5)  # its heartbeat expires: it is dead
        assert alive.reclaim_dead() == {"doomed": 1}
        # The acknowledged request is gone for good, the unfinished one is back with its priority.
        assert redis_client.zrange(keys.requests, 0, -1, withscores=True) == [(b"second", 0.0), (b"third", 5.0)]
        assert alive.pop() == (lease_token(b"second"), b"second")
        assert alive.release([lease_token(b"second")]) == 1 and alive.queued() == 2
        assert [s.worker for s in run_status(redis_client) if s.run_id == run] == []  # not a current run
    finally:
        for key in redis_client.scan_iter(match=keys.prefix + "*"):
            redis_client.delete(key)


def test_a_worker_taken_for_dead_rejoins_and_sees_a_removed_run(redis_client: redis.Redis) -> None:
    """A worker starved of CPU past its heartbeat is struck from the run by another; its next beat counts it again,
    and where the run's last worker removed the keys meanwhile, it finds the run removed instead of waiting for a
    seeding that never comes (it hung so under load)."""
    host = f"host-{uuid.uuid4().hex[:8]}"
    other, started = Coordinator.join(redis_client, "spider", host, "other", heartbeat_ttl=30)
    starved, joined_started = Coordinator.join(redis_client, "spider", host, "starved", heartbeat_ttl=0.2)
    keys = other.keys
    assert started and not joined_started and starved.keys.run_id == keys.run_id
    try:
        starved.beat({})
        time.sleep(0.4)
        assert "starved" in other.reclaim_dead()
        assert redis_client.smembers(keys.workers) == {b"other"}
        starved.beat({})
        assert redis_client.smembers(keys.workers) == {b"other", b"starved"}
        assert other.leave(finished=True) is False  # starved still counts: the keys stay
        assert starved.seeding_state() == "not started"
        assert starved.leave(finished=True) is True
        assert starved.seeding_state() == "run removed"
    finally:
        for key in redis_client.scan_iter(match=keys.prefix + "*"):
            redis_client.delete(key)


def test_an_image_is_fetched_once_in_the_run_unless_its_fetcher_died(redis_client: redis.Redis) -> None:
    """Images go beside the shared queue: the run's claim decides which worker fetches one (once in the run), and a
    claim whose worker died before archiving the image passes to another."""
    run = f"test-{uuid.uuid4().hex[:8]}"
    one, _ = Coordinator.join(redis_client, "spider", "host", "one", heartbeat_ttl=30, run_id=run)
    two, _ = Coordinator.join(redis_client, "spider", "host", "two", heartbeat_ttl=30, run_id=run)
    doomed, _ = Coordinator.join(redis_client, "spider", "host", "doomed", heartbeat_ttl=0.2, run_id=run)
    try:
        assert one.claim_image(b"a") is True
        assert two.claim_image(b"a") is False  # one, alive, is fetching it
        assert one.claim_image(b"a") is True  # one's own claim (a process restarted with its id)
        one.image_done(b"a")
        assert one.claim_image(b"a") is False and two.claim_image(b"a") is False  # archived
        doomed.beat({})
        assert doomed.claim_image(b"b") is True
        assert two.claim_image(b"b") is False
        time.sleep(0.4)  # doomed's heartbeat expires before it archived b
        assert two.claim_image(b"b") is True and one.claim_image(b"b") is False
    finally:
        for key in redis_client.scan_iter(match=one.keys.prefix + "*"):
            redis_client.delete(key)


def test_three_workers_archive_and_store_everything_exactly_once(
        big_replica: Replica, single_crawl: str, pg_url: str, tmp_path: Path, redis_client: redis.Redis) -> None:
    warc_dir = tmp_path / "warc"
    logs = [tmp_path / f"w{i}.log" for i in range(3)]
    workers = [start_worker(big_replica, pg_url, warc_dir, f"w{i}", logs[i]) for i in range(3)]
    statuses = []
    while any(w.poll() is None for w in workers) and len(statuses) < 600:
        result = run_cli("status", "--redis-url", REDIS_URL, "--json")
        assert result.returncode == 0, result.stderr
        statuses.append(json.loads(result.stdout))
        time.sleep(0.5)
    summaries = [finish(w, log) for w, log in zip(workers, logs, strict=True)]

    # Every worker did a share of the work, under its own WARC prefix, and said so in the database.
    assert all(s["responses"] > 100 for s in summaries), [s["responses"] for s in summaries]
    for i in range(3):
        assert list(warc_dir.glob(f"archiver-w{i}-*.warc.gz")), f"no WARC file for worker w{i}"
    with make_engine(pg_url).connect() as conn:
        per_worker = dict(conn.execute(text("SELECT worker, count(*) FROM captures GROUP BY worker")).all())
    assert set(per_worker) == {"w0", "w1", "w2"}

    urls = archived_urls(warc_dir)
    repeated = {url: n for url, n in urls.items() if n > 1 and not url.endswith(PER_WORKER)}
    assert repeated == {}, f"archived more than once: {list(repeated.items())[:5]}"
    assert_stored_exactly_once(pg_url)
    assert comparable(pg_url) == comparable(single_crawl)
    verify = run_cli("warc", "verify", str(warc_dir))
    assert verify.returncode == 0, verify.stdout[-2000:]
    # One CDXJ index and one WACZ over the three workers' files.
    index = run_cli("warc", "index", "--warc-dir", str(warc_dir))
    assert index.returncode == 0, index.stderr
    assert {f"archiver-w{i}-" for i in range(3)} <= {line.split('"filename": "')[1][:12]
                                                     for line in index.stdout.splitlines()}
    wacz = run_cli("warc", "wacz", "-o", str(tmp_path / "run.wacz"), "--warc-dir", str(warc_dir), "--db", pg_url)
    assert wacz.returncode == 0, wacz.stderr
    with zipfile.ZipFile(tmp_path / "run.wacz") as package:
        assert len([n for n in package.namelist() if n.startswith("archive/")]) == len(list(warc_dir.glob("*.gz")))

    # `archiver status` saw the run while it went on, and nothing is left in Redis afterwards.
    seen = [run for status in statuses for run in status["runs"] if run["host"] in big_replica.base_url]
    assert any(len([w for w in run["workers"] if w["alive"]]) == 3 and run["seen"] > 0 for run in seen)
    assert any(w["progress"].get("responses", 0) > 0 for run in seen for w in run["workers"])
    assert any(run["responses"] > 0 for run in seen)
    # Each worker's summary carries the run's total: the sum of all three at the end.
    assert {s["run_responses"] for s in summaries} <= set(range(sum(s["responses"] for s in summaries) + 1))
    assert max(s["run_responses"] for s in summaries) == sum(s["responses"] for s in summaries)
    assert not [run for run in run_status(redis_client) if run.host in big_replica.base_url]


def test_a_worker_killed_mid_run_loses_nothing(big_replica: Replica, single_crawl: str, pg_url: str,
                                               tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    logs = [tmp_path / f"k{i}.log" for i in range(3)]
    workers = [start_worker(big_replica, pg_url, warc_dir, f"k{i}", logs[i]) for i in range(3)]
    victim = workers[1]
    engine = make_engine(pg_url)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # kill it in the middle of its work, not before it has any
        time.sleep(0.3)
        try:
            with engine.connect() as conn:
                done = conn.execute(text("SELECT count(*) FROM captures WHERE worker = 'k1'")).scalar_one()
        except Exception:
            continue
        if done >= ARTICLES // 5:  # about half of its third of the captures
            break
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    summaries = [finish(w, log) for w, log in ((workers[0], logs[0]), (workers[2], logs[2]))]

    assert sum(s["reclaimed_requests"] for s in summaries) > 0, "the dead worker's leases were not re-queued"
    assert_stored_exactly_once(pg_url)
    assert comparable(pg_url) == comparable(single_crawl)
    # The dead worker's open WARC file was closed by a survivor on this machine; every file verifies.
    assert not list(warc_dir.glob("*.open"))
    verify = run_cli("warc", "verify", str(warc_dir))
    assert verify.returncode == 0, verify.stdout[-2000:]
