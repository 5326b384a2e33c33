"""A distributed update on the real Redis and PostgreSQL on 127.0.0.1: two workers crawl a site, two update it a day
later. Its own module (and replicas): with ``--dist loadfile`` it can run beside tests/test_distributed.py instead of
after it in the same process."""

from __future__ import annotations

from pathlib import Path

import redis
from sqlalchemy import text

from archiver.crawl.distributed.coordinator import run_status
from archiver.storage.db import make_engine

from .conftest import run_cli, start_replica, stop_replica
from .test_distributed import finish, start_worker


def test_a_distributed_update_stores_the_new_and_edited_articles_once(pg_url: str, tmp_path: Path,
                                                                      redis_client: redis.Redis) -> None:
    """Two workers crawl a 300-article site; a day later two workers update it: every new and edited
    article is stored once, few requests, and a worker that found no work left still exits 0."""
    warc_dir = tmp_path / "warc"
    day0 = start_replica(300, day=0)
    try:
        crawlers = [start_worker(day0, pg_url, warc_dir, f"c{i}", tmp_path / f"c{i}.log") for i in range(2)]
        crawled = [finish(w, tmp_path / f"c{i}.log") for i, w in enumerate(crawlers)]
    finally:
        stop_replica(day0)
    day1 = start_replica(300, day=1, port=int(day0.base_url.rsplit(":", 1)[1]))
    try:
        updaters = [start_worker(day1, pg_url, warc_dir, f"u{i}", tmp_path / f"u{i}.log", mode="update")
                    for i in range(2)]
        updates = [finish(w, tmp_path / f"u{i}.log") for i, w in enumerate(updaters)]
        truth = day1.truth()
    finally:
        stop_replica(day1)

    assert len(truth["new_today"]) == len(truth["edited_today"]) == 3
    assert sum(u["articles_new"] for u in updates) == 3
    assert sum(u["articles_changed"] for u in updates) == 3
    assert sum(u["requests"] for u in updates) < sum(c["requests"] for c in crawled) / 10
    # Both workers report the run's total, whoever did the fetching.
    assert {u["run_responses"] for u in updates} == {sum(u["responses"] for u in updates)}
    with make_engine(pg_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 303
        assert conn.execute(text("SELECT count(DISTINCT url) FROM articles")).scalar_one() == 303
        assert conn.execute(text("SELECT count(*) FROM article_versions")).scalar_one() == 306
        edited = conn.execute(text("SELECT a.post_id FROM article_versions v JOIN articles a ON a.id = v.article_id "
                                   "WHERE v.version = 2")).scalars().all()
    assert sorted(edited) == sorted(truth["edited_today"])
    verify = run_cli("warc", "verify", str(warc_dir))
    assert verify.returncode == 0, verify.stdout[-2000:]
    assert not [run for run in run_status(redis_client) if run.host in day1.base_url]
