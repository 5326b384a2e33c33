"""What the archive already holds of a URL, for revisit records: read-only lookups in the captures table."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from ..exceptions import ArchiveNotFound, StorageError
from . import models as m
from .models import table_of as _t


class EarlierPayloads:
    """The newest full response of a URL in the archive: (payload digest, record ID, WARC-Date), or None.

    Looked up per URL (an indexed query) rather than loaded whole: the crawler's memory must not
    grow with the archive. A database that does not exist yet (a first crawl) simply knows nothing.
    """

    def __init__(self, db_url: str) -> None:
        from .db import make_engine

        captures = _t(m.Capture)
        self.query = (select(captures.c.payload_digest, captures.c.record_id, captures.c.fetched_at)
                      .where(captures.c.url == bindparam("url"), captures.c.record_type == "response",
                             captures.c.status == 200, captures.c.payload_digest.is_not(None))
                      .order_by(captures.c.fetched_at.desc()).limit(1))
        try:
            self.engine: Engine | None = make_engine(db_url, readonly=True)
        except (ArchiveNotFound, StorageError):  # a first crawl: the database is created after this
            self.engine = None
        if self.engine is not None and not self._archive_has_captures():
            # A first crawl: nothing to compare with, so no query per response (this run's own payloads are
            # the capture extension's to remember).
            self.engine.dispose()
            self.engine = None

    def _archive_has_captures(self) -> bool:
        assert self.engine is not None
        try:
            with self.engine.connect() as conn:
                return conn.execute(select(_t(m.Capture).c.id).limit(1)).first() is not None
        except SQLAlchemyError:
            return False  # no schema yet

    def __call__(self, url: str) -> tuple[str, str, str] | None:
        if self.engine is None:
            return None
        try:
            with self.engine.connect() as conn:  # a short read transaction: never pins SQLite's WAL
                row = conn.execute(self.query, {"url": url}).first()
        except SQLAlchemyError:
            return None  # no schema yet: nothing archived before
        if row is None:
            return None
        digest, record_id, fetched_at = row
        moment = fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)
        return digest, record_id, moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
