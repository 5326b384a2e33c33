"""One run at a time per archive: a lock file in the WARC directory and the database's run lock.

A run locks both what it writes: its WARC directory (``RunLock``) and its database
(``archiver.storage.lock.DatabaseLock``), so a second run on either one, whatever the other, exits 75 naming the
holder. ``flock`` is released by the kernel when the process dies, SIGKILL included, and PostgreSQL releases a
session's advisory lock when the session ends, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO

from ..storage.lock import DatabaseLock, hold_lock_file, release_lock_file

LOCK_NAME = ".archiver.lock"


class RunLock:
    def __init__(self, directory: str | Path, description: str, name: str = LOCK_NAME) -> None:
        self.path = Path(directory) / name
        self.description = description
        self._handle: IO[str] | None = None

    def __enter__(self) -> RunLock:
        self._handle = hold_lock_file(self.path, self.description, "the archive lock")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._handle is not None:
            release_lock_file(self._handle)
            self._handle = None


@contextmanager
def archive_lock(warc_dir: str | Path, db_url: str, description: str, worker: str | None = None) -> Iterator[None]:
    """Hold the locks of the WARC directory and of the database for a run.

    A worker of a distributed run (``worker`` set) locks only its own files in the shared WARC directory and takes
    the database lock shared: the workers of one run do not exclude each other, and a single-process run on the
    same database excludes them all (and they it).
    """
    name = LOCK_NAME if worker is None else f".archiver-{worker}.lock"
    shared = worker is not None
    label = description if worker is None else f"{description} (distributed, worker {worker})"
    with RunLock(warc_dir, label, name=name), DatabaseLock(db_url, label, shared=shared):
        yield
