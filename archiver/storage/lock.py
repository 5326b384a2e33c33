"""One run at a time per database: the lock every ``archiver crawl`` and ``update`` holds on the database it writes.

PostgreSQL: a session-level advisory lock on a dedicated connection. The holder's description (command, pid,
host) is that connection's ``application_name`` and "since" its ``backend_start``, both read from
``pg_stat_activity``: they live and die with the session that holds the lock, so a stale description can never
name a run that is gone, and nothing is written to the archive's tables. The server releases the lock when the
session ends, the client's SIGKILL or a server restart included.

SQLite: an exclusive ``flock`` on ``<database file>.lock``, holding the description; the kernel releases it when
the process dies.

Workers of one distributed run take the lock *shared*: they do not exclude each other, and they exclude (and are
excluded by) any single-process run on the same database.
"""

from __future__ import annotations

import fcntl
import os
import socket
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..exceptions import RunLocked
from .db import check_connection, make_engine
from .transactions import storage_error

# "arcr": a different key from the migration lock (MIGRATION_LOCK_KEY); advisory locks are per database, so one
# constant is one lock per archive.
RUN_LOCK_KEY = 0x61726372

# PostgreSQL keeps the first NAMEDATALEN - 1 bytes of application_name.
APPLICATION_NAME_BYTES = 63

_HOLDERS = text("""
    SELECT a.application_name, a.backend_start, a.pid FROM pg_locks l
    LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = 0 AND l.objid = :key AND l.objsubid = 1
    ORDER BY a.backend_start LIMIT 1
""")


# The locks this process holds, by database URL: the storage pipeline re-takes its run's lock after a restart of
# the server (``reassert_lock``) without the lock object travelling through Scrapy's settings, which are copied.
_HELD: dict[str, DatabaseLock] = {}


def reassert_lock(url: str) -> None:
    """Re-take the lock this process holds on ``url`` if a server restart ended its session (else nothing)."""
    lock = _HELD.get(url)
    if lock is not None:
        lock.reassert()


def holder_description(description: str) -> str:
    return f"{description}, pid {os.getpid()} on {socket.gethostname()}"


def _since(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hold_lock_file(path: Path, description: str, what: str, shared: bool = False) -> IO[str]:
    """Take ``flock`` on ``path`` (exclusive, or shared with other holders that share) and write who holds it;
    a lock someone else holds is ``RunLocked`` naming ``what`` and the holder. The kernel releases the lock
    when the process dies, SIGKILL included: a crashed run never leaves a stale one behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the whole run: release_lock_file closes it)
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown run"
        handle.close()
        raise RunLocked(f"another run holds {what} ({holder})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{holder_description(description)}, since {_since(datetime.now(UTC))}\n")
    handle.flush()
    return handle


def release_lock_file(handle: IO[str]) -> None:
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


class DatabaseLock:
    """The run lock of the database at ``url``; ``shared`` for the workers of one distributed run."""

    def __init__(self, url: str, description: str, shared: bool = False) -> None:
        self.url = url
        self.description = description
        self.shared = shared
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._handle: IO[str] | None = None

    def __enter__(self) -> DatabaseLock:
        backend = make_url(self.url).get_backend_name()
        if backend == "postgresql":
            self._engine = make_engine(self.url)
            check_connection(self._engine)  # an unreachable server is exit 1 with its reason, not a lock conflict
            self._take_advisory_lock()
        elif backend == "sqlite":
            self._take_file_lock()
        _HELD[self.url] = self
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()

    @property
    def path(self) -> Path | None:
        """The SQLite lock file, or None for PostgreSQL and in-memory databases."""
        database = make_url(self.url).database
        if make_url(self.url).get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        return Path(f"{database}.lock")

    # --- PostgreSQL -----------------------------------------------------------------------------------
    def _take_advisory_lock(self) -> None:
        assert self._engine is not None
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            name = holder_description(self.description).encode()[:APPLICATION_NAME_BYTES].decode(errors="ignore")
            connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})
            function = "pg_try_advisory_lock_shared" if self.shared else "pg_try_advisory_lock"
            if connection.execute(text(f"SELECT {function}(:key)"), {"key": RUN_LOCK_KEY}).scalar_one():
                self._connection = connection
                return
            holder = connection.execute(_HOLDERS, {"key": RUN_LOCK_KEY}).first()
        except BaseException:
            connection.close()
            raise
        connection.close()
        if holder is None:  # released between the two statements
            raise RunLocked("another run held the database lock a moment ago; try again")
        name, started, pid = holder
        since = f", since {_since(started)}" if started else ""
        raise RunLocked(f"another run holds the database lock ({name or 'unknown run'}{since}; "
                        f"PostgreSQL backend pid {pid})")

    def reassert(self) -> None:
        """After the server came back from a restart: take the lock again on a new session.

        A restart ends every session, ours included, and with it the lock. Raises ``RunLocked`` when another run
        took the lock in between, and ``DatabaseDisconnected`` while the server is still away.
        """
        if self._engine is None:
            return
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return  # the session, and the lock, survived
            except DBAPIError:
                with suppress(DBAPIError):
                    self._connection.close()
                self._connection = None
        try:
            self._take_advisory_lock()
        except SQLAlchemyError as error:
            raise storage_error(error) from error

    # --- SQLite ---------------------------------------------------------------------------------------
    def _take_file_lock(self) -> None:
        path = self.path
        if path is None:
            return
        self._handle = hold_lock_file(path, self.description, f"the database lock {path}", self.shared)

    def release(self) -> None:
        if _HELD.get(self.url) is self:
            del _HELD[self.url]
        if self._handle is not None:
            release_lock_file(self._handle)
            self._handle = None
        if self._connection is not None:
            # Released by the session itself: the server would release it only once it has noticed the session
            # end, after this returns, and a lock taken right after (the next run, this run again) would find it
            # held. A session gone already holds none.
            unlock = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
            with suppress(DBAPIError):
                self._connection.execute(text(f"SELECT {unlock}(:key)"), {"key": RUN_LOCK_KEY})
            with suppress(DBAPIError):
                self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
