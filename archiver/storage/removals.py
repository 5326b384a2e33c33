"""Take-downs: an archived article that is gone is marked, never deleted; one that answers again is restored.

``removed_at`` keeps when an update first found the article gone (the time of the answer that showed it, so that
``archiver reparse`` gives the same), ``removed_status`` the site's latest answer
(``404``, ``410``, ``redirect:<url>``, ``unpublished``). A restore always adds a version, even when the content
is unchanged: its diff's ``restored`` entry names the removal it ends, so the version history stays the
article's whole timeline (docs/schema.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from . import models as m
from .counts import CountChange
from .models import table_of as _t
from .reader import iso

_ARTICLES = _t(m.Article)


def mark_removed(conn: Connection, removals: list[tuple[str, str, datetime | None]], now: datetime) -> int:
    """Mark the articles at these URLs removed, as (URL, status, when the answer came; None: ``now``); how many
    were live until now."""
    newly, change = 0, CountChange()
    change.before(conn, conn.execute(select(_ARTICLES.c.id).where(
        _ARTICLES.c.url.in_(sorted({url for url, _, _ in removals})))).scalars())
    for url, status, at in removals:
        found = conn.execute(update(_ARTICLES).where(_ARTICLES.c.url == url, _ARTICLES.c.removed_at.is_(None))
                             .values(removed_at=at or now, removed_status=status)).rowcount
        if not found:  # removed before (or not an archived article): the latest answer is the status
            conn.execute(update(_ARTICLES).where(_ARTICLES.c.url == url).values(removed_status=status))
        newly += found
    change.commit(conn)
    return newly


def restored_diff(diff: dict[str, Any] | None, removed_at: datetime, removed_status: str | None) -> dict[str, Any]:
    """The new version's diff with the removal it ends."""
    return {**(diff or {}), "restored": {"removed_at": iso(removed_at), "removed_status": removed_status}}
