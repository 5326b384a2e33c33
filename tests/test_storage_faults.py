"""Faults in our own storage: a full disk under the WARC files or the database, corrupted resume state.

The full-disk tests mount a small tmpfs (they need root, as in CI); the database must never point at a
WARC record that is not on disk, and the run must end with one clear error and a non-zero exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.storage.db import make_engine
from archiver.warc.reader import read_record_at

from .conftest import Replica, crawl_into, run_cli, skip_or_fail


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs here (needs root, as in CI): {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def crawl(replica: Replica, db: str, warc_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", db, "--warc-dir", str(warc_dir),
                   "--json", "-s", "LOG_LEVEL=WARNING")


def assert_every_pointer_is_on_disk(db: str, warc_dir: Path) -> int:
    with make_engine(db).connect() as conn:
        rows = conn.execute(text("SELECT warc_file, warc_offset, record_id FROM captures")).all()
    for warc_file, offset, record_id in rows:
        path = warc_dir / warc_file
        if not path.exists():
            path = warc_dir / (warc_file + ".open")  # the writer could not even close it: the disk is full
        assert read_record_at(path, offset).record_id == record_id
    return len(rows)


def test_a_full_disk_under_the_warc_files_stops_the_crawl_and_the_database_is_never_ahead(
        replica: Replica, small_disk: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    result = crawl(replica, db, small_disk / "warc")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "No space left on device" in result.stderr
    assert "exit 1: run ended with warc_error" in result.stderr
    assert "Traceback" not in result.stderr
    assert assert_every_pointer_is_on_disk(db, small_disk / "warc") > 0
    with make_engine(db).connect() as conn:  # an article row exists only with its archived capture
        orphans = conn.execute(text("SELECT count(*) FROM article_versions v LEFT JOIN captures c "
                                    "ON c.id = v.capture_id WHERE c.id IS NULL")).scalar_one()
    assert orphans == 0


def test_a_full_disk_under_the_database_fails_with_one_clear_error(
        replica: Replica, small_disk: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{small_disk}/a.sqlite3"
    result = crawl(replica, db, tmp_path / "warc")
    assert result.returncode != 0, result.stderr[-2000:]
    assert "database or disk is full" in result.stderr
    assert "Traceback" not in result.stderr
    verify = run_cli("warc", "verify", str(tmp_path / "warc"))
    assert verify.returncode == 0, verify.stdout[-2000:]  # the WARC files are whole: only the database failed


def test_corrupted_or_deleted_resume_state_still_lets_the_next_run_complete(replica: Replica,
                                                                            tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    warc_dir = tmp_path / "warc"
    process = subprocess.Popen([sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url",
                                replica.base_url, "--db", db, "--warc-dir", str(warc_dir), "-s", "LOG_LEVEL=WARNING",
                                # paced (about 50 requests a second): unpaced, the crawl can end within the second
                                "-s", "DOWNLOAD_DELAY=0.02", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(warc_dir.glob("*.open")):
        time.sleep(0.1)
    time.sleep(1.0)
    assert process.poll() is None, "the crawl ended before the kill: nothing was tested"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # Corrupt what the next run resumes from: the open WARC file cut inside a record and followed by garbage,
    # the lock file, a stray .open file of garbage, and the interrupted run's row in the database.
    (open_file,) = list(warc_dir.glob("*.open"))
    size = open_file.stat().st_size
    with open(open_file, "r+b") as handle:
        handle.truncate(size - 37)
        handle.seek(0, os.SEEK_END)
        handle.write(os.urandom(4096))
    with make_engine(db).begin() as conn:
        conn.execute(text("UPDATE crawl_runs SET stats = NULL, finish_reason = 'garbage', worker = NULL"))
    (warc_dir / ".archiver.lock").write_bytes(b"\x00\xff garbage \n" * 10)
    (warc_dir / "archiver-20260101000000000-00001-x.warc.gz.open").write_bytes(os.urandom(1000))
    resumed = crawl_into(replica, tmp_path)
    assert resumed.summary["archive"]["articles"] == replica.articles
    verify = run_cli("warc", "verify", str(warc_dir))
    assert verify.returncode == 0, verify.stdout[-2000:]
    assert_every_pointer_is_on_disk(db, warc_dir)

    # The database deleted (the WARC files kept): the next run starts over and completes.
    Path(f"{tmp_path}/a.sqlite3").unlink()
    again = crawl_into(replica, tmp_path)
    assert again.summary["archive"]["articles"] == replica.articles
