"""The run's verdict (archiver.crawl.gates): the same quality gates for `archiver crawl -s` and `scrapy crawl -s`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from archiver.crawl.gates import Gates, verdict
from archiver.storage.db import make_engine

from .conftest import ROOT, Replica, run_cli, start_replica, stop_replica

GATES = Gates(max_error_rate=0.5, max_failure_rate=0.2, stale_days=0)
FINISHED = {"finish_reason": "finished", "downloader/request_count": 100, "downloader/response_count": 100,
            "archiver/articles/new": 40}


def test_a_finished_run_without_problems_is_ok() -> None:
    assert verdict(FINISHED, GATES, None) == (0, "ok")


def test_each_gate_gives_its_exit_code_and_reason() -> None:
    cases: list[tuple[dict[str, Any], Gates, datetime | None, tuple[int, str]]] = [
        ({**FINISHED, "archiver/site_unreachable": "h: the connection was refused"}, GATES, None,
         (1, "site unreachable: h: the connection was refused")),
        ({**FINISHED, "archiver/robots_unavailable": "robots.txt answered 503"}, GATES, None,
         (1, "robots.txt answered 503: the site's robots.txt forbids crawling (RFC 9309)")),
        ({**FINISHED, "finish_reason": "warc_error"}, GATES, None, (1, "run ended with warc_error")),
        ({**FINISHED, "finish_reason": "closespider_itemcount"}, GATES, None, (0, "ok")),
        ({**FINISHED, "downloader/response_count": 0}, GATES, None, (1, "nothing was fetched")),
        ({**FINISHED, "downloader/response_status_count/503": 51}, GATES, None, (1, "error rate 51/100 above 50%")),
        ({**FINISHED, "archiver/extraction_failures": 11}, GATES, None, (3, "extraction failure rate above 20%")),
        (FINISHED, Gates(0.5, 0.2, stale_days=7), datetime.now(UTC) - timedelta(days=8),
         (3, "no article published in the last 7 days")),
        (FINISHED, Gates(0.5, 0.2, stale_days=7), datetime.now(UTC) - timedelta(days=6), (0, "ok")),
    ]
    for stats, gates, newest, expected in cases:
        assert verdict(stats, gates, newest) == expected, stats


def test_scrapy_crawl_and_archiver_crawl_apply_a_gate_set_with_s_alike(replica: Replica, tmp_path: Path) -> None:
    gate = "ARCHIVER_MAX_FAILURE_RATE=-1"  # any run fails it: 0 failures per page is above -100 %
    archiver = run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", f"sqlite:///{tmp_path}/a.sqlite3",
                       "--warc-dir", str(tmp_path / "a"), "-s", "CLOSESPIDER_ITEMCOUNT=3", "-s", gate)
    assert archiver.returncode == 3 and "(exit 3: extraction failure rate above -100%)" in archiver.stderr
    scrapy = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "crawl", "tarnkappe", "-a", f"base_url={replica.base_url}",
         "-s", "CLOSESPIDER_ITEMCOUNT=3", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
         "-s", "LOG_LEVEL=ERROR", "-s", f"ARCHIVER_DB_URL=sqlite:///{tmp_path}/b.sqlite3",
         "-s", f"ARCHIVER_WARC_DIR={tmp_path}/b", "-s", gate], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "the run failed its checks (exit 3): extraction failure rate above -100%" in scrapy.stderr


def test_drift_names_the_field_and_the_layout_that_lost_it() -> None:
    run = {**FINISHED, "archiver/fill/articles": 20, **{f"archiver/fill/{name}": 20 for name in
                                                          ("published", "categories", "tags", "lead", "images")},
           "archiver/fill/authors": 2, "archiver/fill/credits": 19,
           "archiver/fill/layout/hueman/missing/authors": 3, "archiver/fill/layout/tk-theme/missing/authors": 15,
           "archiver/fill/layout/tk-theme/missing/credits": 1}
    before = (300, {"authors": 0.99, "published": 1.0, "categories": 1.0, "tags": 0.8, "lead": 1.0, "images": 0.95,
                    "credits": 0.9})
    code, reason = verdict(run, GATES, None, before)
    assert code == 3 and reason.startswith("drift: authors missing in 18 of this run's 20 new and changed articles "
                                           "(15 of them layout tk-theme), 90% against 1% of the archive's 300")
    assert verdict(run, GATES, None, (300, {**before[1], "authors": 0.5})) == (0, "ok")  # never reliable here
    assert verdict(run, GATES, None, (3, before[1])) == (0, "ok")  # too few archived articles to judge
    assert verdict(run, GATES, None, None) == (0, "ok")  # a first crawl


def test_a_theme_change_between_two_runs_fails_the_update_naming_the_field(tmp_path: Path) -> None:
    base = tmp_path / "base"
    day0 = start_replica(120, day=0)
    try:
        crawl = run_cli("crawl", "tarnkappe", "--base-url", day0.base_url, "--db", f"sqlite:///{base}/a.sqlite3",
                        "--warc-dir", str(base / "warc"), "--json")
        assert crawl.returncode == 0, crawl.stderr[-2000:]
    finally:
        stop_replica(day0)
    port = int(day0.base_url.rsplit(":", 1)[1])
    results = {}
    for redesign in (False, True):  # the same update, once on the same theme and once after a redesign
        directory = tmp_path / f"redesign-{redesign}"
        shutil.copytree(base, directory)
        site = start_replica(120, day=10, port=port, redesign=redesign)
        try:
            results[redesign] = run_cli("update", "tarnkappe", "--base-url", site.base_url, "--db",
                                        f"sqlite:///{directory}/a.sqlite3", "--warc-dir", str(directory / "warc"),
                                        "--json")
        finally:
            stop_replica(site)
    same, changed = (json.loads(results[r].stdout.strip().splitlines()[-1]) for r in (False, True))
    assert results[False].returncode == 0 and same["fill_rates"]["authors"] == 1.0, results[False].stderr[-2000:]
    assert results[True].returncode == 3, results[True].stderr[-2000:]
    assert changed["fill_rates"]["authors"] == 0.0 and changed["articles_new"] + changed["articles_changed"] >= 5
    assert changed["exit_reason"].startswith("drift: authors missing in ")
    assert "layout tk-theme" in changed["exit_reason"]
    # The runs table keeps the rates and the verdict, for a scheduler's history.
    with make_engine(f"sqlite:///{tmp_path}/redesign-True/a.sqlite3", readonly=True).connect() as conn:
        stats = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")).scalar_one()
    stats = json.loads(stats) if isinstance(stats, str) else stats
    assert stats["archiver/fill_rate/authors"] == 0.0 and stats["archiver/verdict/code"] == 3
