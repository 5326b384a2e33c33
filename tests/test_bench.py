"""The benchmark harness works (a quick smoke run); it never asserts a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_quick_bench_run_writes_every_result(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", str(output)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(output.read_text())
    assert data["quick"] is True and data["versions"]["archiver"]
    assert data["extraction"]["tk-theme (real sample page)"]["ratio"] > 0
    assert data["storage"]["sqlite"]["articles_per_second"]["median"] > 0
    assert data["update"]["update"]["requests"] > 0
    crawl = data["crawl"]["variants"]
    assert {"archiver", "archiver_no_capture", "bare_scrapy", "wget"} <= set(crawl)
    assert all(v["pages"] > 10 and v["cpu_ms_per_page"]["median"] > 0 for v in crawl.values())
    assert data["crawl"]["archiver_vs_bare_scrapy"] > 0
    assert set(data["distributed"]["workers"]) == {"1", "2"}
    assert data["crawl_memory"]["large"]["max_rss_mb"] > 0 and data["export_memory"]
