"""A site's RSS or Atom feed: which articles it lists and when each last changed, read with feedparser.

WordPress serves both: ``/feed/`` (RSS 2.0, ``pubDate`` is the post's publication date) and ``/feed/atom/``
(Atom, ``<updated>`` is the post's last modification, ``<published>`` its publication). An entry's date is the
latest of the two it gives: the Atom feed names an edit, either feed a post published (or re-dated) again.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser


@dataclass(frozen=True)
class FeedEntry:
    link: str
    changed: datetime | None  # the latest of the entry's published and updated dates, in UTC


def _utc(parsed: time.struct_time | None) -> datetime | None:
    # feedparser gives every date as a struct_time in UTC.
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def read_feed(body: bytes) -> list[FeedEntry] | None:
    """The entries of an RSS or Atom feed, in the feed's order; None when the body is no feed (an error page).

    Bytes, never a string: feedparser fetches a string that looks like a URL."""
    parsed = feedparser.parse(bytes(body), resolve_relative_uris=False, sanitize_html=False)
    if not parsed.version:
        return None
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not isinstance(link, str) or not link.strip():
            continue
        # dict.get, not the entry's own: that maps a missing "updated" to "published", with a warning.
        dates = [d for d in (_utc(dict.get(entry, key)) for key in ("published_parsed", "updated_parsed")) if d]
        entries.append(FeedEntry(link.strip(), max(dates) if dates else None))
    return entries
