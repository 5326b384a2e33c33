"""One run at a time per archive: the database lock beside the WARC directory's, and the wait for a database
server that went away."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.crawl.lock import archive_lock
from archiver.exceptions import DatabaseDisconnected, RunLocked
from archiver.storage.db import make_engine
from archiver.storage.lock import RUN_LOCK_KEY, DatabaseLock
from archiver.storage.transactions import retry_while_disconnected

from .conftest import Replica, run_cli

HOLDER = "archiver update tarnkappe (test)"


def update(replica: Replica, db_url: str, warc_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("update", "tarnkappe", "--base-url", replica.base_url, "--db", db_url, "--warc-dir",
                   str(warc_dir), "--json", "-s", "LOG_LEVEL=WARNING")


def test_a_second_run_on_the_same_database_exits_75_naming_the_holder(replica: Replica, db_url: str,
                                                                      tmp_path: Path) -> None:
    """Another WARC directory does not help: the database is locked too."""
    with DatabaseLock(db_url, HOLDER):
        result = update(replica, db_url, tmp_path / "other-warc")
    assert result.returncode == 75, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database lock" in lines[0] and HOLDER in lines[0], lines
    assert "since 20" in lines[0] and " pid " in lines[0]
    assert not (tmp_path / "other-warc").exists() or not list((tmp_path / "other-warc").glob("*.warc.gz"))
    after = update(replica, db_url, tmp_path / "other-warc")  # the lock is released with its holder
    assert after.returncode == 0, after.stderr[-2000:]
    assert json.loads(after.stdout.strip().splitlines()[-1])["articles_new"] == replica.articles


HOLD_AND_WAIT = """
import sys, time
from archiver.storage.lock import DatabaseLock
with DatabaseLock(sys.argv[1], "killed holder"):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_killed_run_leaves_no_lock_behind(db_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_WAIT, db_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked, match="killed holder"), DatabaseLock(db_url, "second"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The kernel releases a flock with the process; PostgreSQL ends the session (and its lock) when it notices
    # the closed socket, a moment later.
    deadline = time.monotonic() + 30
    while True:
        try:
            with DatabaseLock(db_url, "after the crash"):
                return
        except RunLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_workers_of_one_distributed_run_share_the_lock_and_exclude_a_single_run(db_url: str,
                                                                                tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    with archive_lock(warc_dir, db_url, "archiver crawl tarnkappe", worker="w1"), \
            archive_lock(warc_dir, db_url, "archiver crawl tarnkappe", worker="w2"):
        with pytest.raises(RunLocked, match=r"database lock .*worker w[12]"), \
                archive_lock(tmp_path / "elsewhere", db_url, "archiver crawl tarnkappe"):
            pass
        with pytest.raises(RunLocked, match="worker w1"), \
                archive_lock(warc_dir, f"sqlite:///{tmp_path}/other.sqlite3", "archiver crawl tarnkappe", worker="w1"):
            pass  # the same worker's WARC files are still locked, whatever the database
    with archive_lock(warc_dir, db_url, "archiver crawl tarnkappe"), \
            pytest.raises(RunLocked, match="database lock"), \
            archive_lock(tmp_path / "elsewhere", db_url, "archiver crawl tarnkappe", worker="w3"):
        pass


def _lock_backend(url: str) -> int:
    with make_engine(url).connect() as conn:
        return int(conn.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"), {"key": RUN_LOCK_KEY}).scalar_one())


@pytest.mark.postgres
def test_a_run_takes_its_database_lock_again_after_a_server_restart_ended_its_session(pg_url: str) -> None:
    with DatabaseLock(pg_url, "first run") as first:
        first.reassert()  # the session is alive: nothing to do
        # What a restart does to the session that holds the lock (waiting until the backend is gone).
        with make_engine(pg_url).connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": _lock_backend(pg_url)})
        # The lock was free meanwhile, and another run took it.
        with DatabaseLock(pg_url, "second run"), pytest.raises(RunLocked, match="second run"):
            first.reassert()
        first.reassert()
        with pytest.raises(RunLocked, match="first run"), DatabaseLock(pg_url, "third run"):
            pass


def test_a_write_waits_for_the_database_within_the_bound() -> None:
    attempts: list[int] = []
    retakes: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise DatabaseDisconnected("database error: connection refused")
        return "stored"

    assert retry_while_disconnected(flaky, 30, before_retry=lambda: retakes.append(1), pause=0.01) == "stored"
    assert len(attempts) == 3 and len(retakes) == 2

    def down() -> str:
        raise DatabaseDisconnected("database error: connection refused")

    with pytest.raises(DatabaseDisconnected, match=r"still unreachable after 0\.2 s"):
        retry_while_disconnected(down, 0.2, pause=0.01)
