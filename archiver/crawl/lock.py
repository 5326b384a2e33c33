"""One run at a time per archive: an exclusive lock file in the WARC directory.

``flock`` is released by the kernel when the process dies, SIGKILL included, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from ..exceptions import RunLocked

LOCK_NAME = ".archiver.lock"


class RunLock:
    def __init__(self, directory: str | Path, description: str, name: str = LOCK_NAME) -> None:
        self.path = Path(directory) / name
        self.description = description
        self._handle: IO[str] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown run"
            handle.close()
            raise RunLocked(f"another run holds the archive lock ({holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{self.description}, pid {os.getpid()} on {socket.gethostname()}, "
                     f"since {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
