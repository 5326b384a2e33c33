"""SIGKILL at random moments: after a restart every WARC file is valid and every capture pointer is true."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from warcio.archiveiterator import ArchiveIterator

from archiver.storage.db import make_engine
from archiver.warc.verify import verify_file

from .conftest import Replica

# The crawl to be killed is paced (about 50 requests a second) so that it is still running at any moment the test
# picks: unpaced, the replica's 120 articles are archived in about a second on this machine.
PACED = ["-s", "DOWNLOAD_DELAY=0.02", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]


def crawl_command(replica: Replica, directory: Path, *settings: str) -> list[str]:
    return [sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url", replica.base_url, "--db",
            f"sqlite:///{directory}/archive.sqlite3", "--warc-dir", str(directory / "warc"), "-s",
            "LOG_LEVEL=WARNING", *settings]


def assert_pointers_true(directory: Path) -> int:
    engine = make_engine(f"sqlite:///{directory}/archive.sqlite3", readonly=True)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT warc_file, warc_offset, record_id, payload_digest FROM captures")).all()
    for warc_file, offset, record_id, digest in rows:
        with open(directory / "warc" / warc_file, "rb") as handle:
            handle.seek(offset)
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_headers.get_header("WARC-Record-ID") == record_id
            assert record.rec_headers.get_header("WARC-Payload-Digest") == digest
    return len(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_then_restart_leaves_valid_warcs_and_true_pointers(replica: Replica, tmp_path: Path,
                                                                   seed: int) -> None:
    delay = random.Random(seed).uniform(1.2, 3.5)
    process = subprocess.Popen(crawl_command(replica, tmp_path, *PACED), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(delay)
    assert process.poll() is None, "the crawl ended before the kill: nothing was tested"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    rerun = subprocess.run(crawl_command(replica, tmp_path), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert not list((tmp_path / "warc").glob("*.open"))
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    warcio = Path(sys.executable).with_name("warcio")
    for path in files:
        assert verify_file(path).ok, verify_file(path).problems
        assert subprocess.run([str(warcio), "check", str(path)], capture_output=True).returncode == 0
    assert assert_pointers_true(tmp_path) > 0
    engine = make_engine(f"sqlite:///{tmp_path}/archive.sqlite3", readonly=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == replica.articles
