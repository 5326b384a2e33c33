"""Transactions of the archive database, and the one-line errors its writers raise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from ..exceptions import DatabaseUnavailable, StorageError


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


def storage_error(error: SQLAlchemyError) -> StorageError:
    """A refusal of one article's rows stays a StorageError; a database that takes no writes at all is
    DatabaseUnavailable, which stops the crawl instead of failing every later article too."""
    if isinstance(error, OperationalError) and not is_transient(error):
        return DatabaseUnavailable(one_line(error))
    return StorageError(one_line(error))


def is_transient(error: DBAPIError) -> bool:
    """Deadlocks and serialization failures (PostgreSQL) and lock timeouts (SQLite) deserve a retry."""
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40P01", "40001") or "database is locked" in str(error.orig)


def one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip().splitlines()
    return f"database error: {text[0] if text else type(error).__name__}"
