"""Engines for SQLite and PostgreSQL, schema migrations, and safe error messages.

SQLite runs in WAL mode with a busy timeout and takes its write lock at ``BEGIN IMMEDIATE``
so several processes can write the same file without "database is locked".
"""

from __future__ import annotations

import fcntl
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from ..exceptions import ArchiveNotFound, ConfigurationError, DatabaseUnreachable
from .stemming import register as register_stemmer

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


URL_FORMS = "sqlite:///path/to/archive.sqlite3, a plain file path, or postgresql+psycopg://user@host/database"


def redact(url: str) -> str:
    """The URL with any password replaced, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparseable, yet it may hold a password: mask whatever stands between "user:" and "@".
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def make_engine(url: str, readonly: bool = False) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise ConfigurationError(f"invalid database URL {redact(url)!r}: write {URL_FORMS}") from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database, readonly)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, future=True)
        if readonly:
            @event.listens_for(engine, "connect")
            def _read_only(dbapi_connection: Any, record: Any) -> None:
                # psycopg 3 starts every transaction of this connection READ ONLY.
                dbapi_connection.read_only = True
        return engine
    raise ConfigurationError(f"unsupported database backend {backend!r}: write {URL_FORMS}")


def _sqlite_engine(url: str, database: str | None, readonly: bool) -> Engine:
    if database and database != ":memory:" and not readonly:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    if readonly:
        if not database or not Path(database).exists():
            raise ArchiveNotFound(missing_archive_message(database))
        # A URI, so that SQLite itself refuses to write; the path is percent-encoded because a URI reads "?" and
        # "#" as the start of its query and fragment, and "%" as an escape.
        uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"
        # The URL names no file, so the pool is chosen as the dialect would choose it for one.
        engine = create_engine("sqlite://", future=True, poolclass=QueuePool,
                               creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    else:
        engine = create_engine(url, future=True, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, record: Any) -> None:
        # pysqlite's own transaction handling would defeat BEGIN IMMEDIATE; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        if not readonly:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The stemmed full-text table's triggers call it on every write of a version (docs/schema.md).
        register_stemmer(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def missing_archive_message(database: str | None) -> str:
    where = f"{database} ({Path(database).resolve()})" if database else "an empty path"
    return (f"no archive database at {where}: run `make demo` or `archiver crawl SPIDER` to create one, "
            f"or pass --db (or set ARCHIVER_DB_URL) to the archive to read")


def check_connection(engine: Engine) -> None:
    """Fail early, with a one-line reason and no credentials, when the database is not usable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "connection failed"
        raise DatabaseUnreachable(f"cannot reach database {redact(engine.url.render_as_string())}: "
                                  f"{_scrub(reason, engine)}") from None
    except SQLAlchemyError as error:
        raise DatabaseUnreachable(f"cannot use database {redact(engine.url.render_as_string())}: "
                                  f"{type(error).__name__}") from None


def _scrub(message: str, engine: Engine) -> str:
    password = engine.url.password
    return message.replace(str(password), "***") if password else message


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    # Config's default stdout is the sys.stdout of the moment alembic was imported, which a test runner or an
    # embedding program may since have closed; the current one is passed.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema with the migrations shipped in the package."""
    from alembic import command

    engine = make_engine(url)
    check_connection(engine)
    engine.dispose()
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def ensure_schema(url: str) -> None:
    """Upgrade the database to the packaged head revision unless it is already there.

    Workers of a distributed run start together against one empty database: one migrates, under a
    lock, and the others find the head revision once they get the lock.
    """
    engine = make_engine(url)
    try:
        check_connection(engine)
        if current_revision(engine) == head_revision():
            return
        with _migration_lock(engine, url):
            if current_revision(engine) != head_revision():
                upgrade(url)
    finally:
        engine.dispose()


MIGRATION_LOCK_KEY = 0x61726368  # "arch": the PostgreSQL advisory lock all archiver processes agree on


@contextmanager
def _migration_lock(engine: Engine, url: str) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        return
    database = make_url(url).database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
