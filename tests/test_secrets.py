"""Credentials given in a database URL never reach logs, summaries or WARC files."""

from __future__ import annotations

import gzip
from pathlib import Path

from .conftest import Replica, run_cli

PASSWORD = "KnownPassw0rd-4711"


def test_a_full_run_never_prints_or_archives_the_password(replica: Replica, pg_url: str, tmp_path: Path) -> None:
    url = pg_url.replace("postgres@", f"postgres:{PASSWORD}@")  # trust auth: the password is ignored, not refused
    result = run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", url, "--warc-dir",
                     str(tmp_path / "warc"), "--json", "-s", "LOG_LEVEL=DEBUG", "-s", "CLOSESPIDER_ITEMCOUNT=5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert PASSWORD not in result.stdout + result.stderr
    for warc in (tmp_path / "warc").glob("*.warc.gz"):
        assert PASSWORD.encode() not in gzip.decompress(warc.read_bytes())
    failing = run_cli("export", "--db", url.replace("127.0.0.1:5432", "127.0.0.1:1"))
    assert failing.returncode != 0 and PASSWORD not in failing.stdout + failing.stderr
    assert PASSWORD not in run_cli("--version").stdout
