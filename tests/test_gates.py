"""The run's verdict (archiver.crawl.gates): the same quality gates for `archiver crawl -s` and `scrapy crawl -s`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.crawl.gates import Gates, verdict

from .conftest import ROOT, Replica, run_cli

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
