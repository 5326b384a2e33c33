"""Transactions of the archive database, and the one-line errors its writers raise."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from ..exceptions import DatabaseDisconnected, DatabaseUnavailable, StorageError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's answers while it shuts down or starts up: admin_shutdown, crash_shutdown, cannot_connect_now.
SERVER_RESTART_STATES = ("57P01", "57P02", "57P03")


class Transaction:
    """``engine.begin()`` that turns driver errors into ``StorageError`` with a one-line reason."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        try:
            self.context = self.engine.begin()
            return self.context.__enter__()
        except SQLAlchemyError as error:
            raise storage_error(error) from error

    def __exit__(self, *exc: Any) -> None:
        try:
            self.context.__exit__(*exc)
        except SQLAlchemyError as error:
            raise storage_error(error) from error
        if exc[0] is not None and isinstance(exc[1], SQLAlchemyError):
            raise storage_error(exc[1]) from exc[1]


@contextmanager
def planned_each_time(conn: Connection) -> Iterator[Connection]:
    """Statements run inside are planned for their parameters at every execution on PostgreSQL.

    psycopg prepares a statement it has run five times, and PostgreSQL then keeps a generic plan made for the
    tables' sizes at that moment. In a fresh database (a reparse, a first crawl) that is while the tables are nearly
    empty, so a batch's lookup by an indexed column became a scan of the whole table, for the rest of the session
    (until an ANALYZE). For statements run once per batch, planning each time costs less than one such scan."""
    driver: Any = conn.connection.driver_connection if conn.dialect.name == "postgresql" else None
    if not hasattr(driver, "prepare_threshold"):  # SQLite, or a PostgreSQL driver other than psycopg
        yield conn
        return
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield conn
    finally:
        driver.prepare_threshold = threshold


def storage_error(error: SQLAlchemyError) -> StorageError:
    """A refusal of one article's rows stays a StorageError; a database that takes no writes at all is
    DatabaseUnavailable, which stops the crawl instead of failing every later article too."""
    if is_disconnect(error):
        return DatabaseDisconnected(one_line(error))
    if isinstance(error, OperationalError) and not is_transient(error):
        return DatabaseUnavailable(one_line(error))
    return StorageError(one_line(error))


def is_transient(error: DBAPIError) -> bool:
    """Deadlocks and serialization failures (PostgreSQL) and lock timeouts (SQLite) deserve a retry."""
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40P01", "40001") or "database is locked" in str(error.orig)


def is_disconnect(error: SQLAlchemyError) -> bool:
    """The server went away or refuses connections (a restart), as opposed to refusing this statement."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not type(error.orig).__module__.startswith("psycopg"):
        return False  # SQLite has no server to restart; its errors carry no SQLSTATE either
    code = getattr(error.orig, "sqlstate", None)
    if code is None:  # psycopg's "connection refused" and "server closed the connection unexpectedly"
        return isinstance(error, OperationalError)
    return str(code).startswith("08") or code in SERVER_RESTART_STATES


def retry_while_disconnected(write: Callable[[], T], seconds: float, before_retry: Callable[[], None] | None = None,
                             pause: float = 1.0) -> T:
    """``write()``, repeated while the database server is unreachable, for at most ``seconds``.

    Every write of the archive is one transaction, rolled back when the connection drops, so repeating it stores
    nothing twice. ``before_retry`` runs before each repetition (the run re-takes its database lock there); a
    ``DatabaseDisconnected`` it raises means the server is still away. The wait blocks the caller: while the
    database is away there is nothing a crawl could store.
    """
    deadline: float | None = None
    while True:
        try:
            if deadline is not None and before_retry is not None:
                before_retry()
            result = write()
        except DatabaseDisconnected as error:
            now = time.monotonic()
            if deadline is None:
                deadline = now + seconds
                logger.warning("lost the database (%s): waiting up to %g s for it to come back", error, seconds)
            if now >= deadline:
                raise DatabaseDisconnected(f"{error} (still unreachable after {seconds:g} s)") from error
            time.sleep(min(pause, deadline - now))
            continue
        if deadline is not None:
            logger.warning("the database is back: continuing")
        return result


def one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip().splitlines()
    return f"database error: {text[0] if text else type(error).__name__}"
