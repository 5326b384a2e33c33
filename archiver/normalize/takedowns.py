"""What an archived article's answer says about it: still there, moved, or taken down.

Pure judgement over a URL, a status and a redirect target, shared by the crawl's update policy
(``archiver.crawl.policy``) and by ``archiver reparse``'s replay of the archived answers, which reads no Scrapy.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from .urls import post_id_from_url

REMOVED_STATUSES = [404, 410]
REDIRECTS = [301, 302, 303, 307, 308]


def answer_removal(url: str, status: int, target: str | None, is_article: Callable[[str], bool]) -> str | None:
    """The take-down an archived article's answer shows: its status, and where a redirect sends it (absolute).
    A redirect to the article's own post (the same post ID, the path with or without its trailing slash, or
    another permalink) is a move, not a take-down."""
    if status in REMOVED_STATUSES:
        return str(status)
    if target is not None and not _same_article(url, target, is_article):
        return f"redirect:{target}"
    return None


def _same_article(asked: str, final: str, is_article: Callable[[str], bool]) -> bool:
    before, after = post_id_from_url(asked), post_id_from_url(final)
    if before is not None and after is not None:
        return before == after
    if urlsplit(asked).path.rstrip("/") == urlsplit(final).path.rstrip("/"):
        return True
    return is_article(final)
