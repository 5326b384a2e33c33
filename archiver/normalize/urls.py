"""URL normalization: canonical article URLs, tracking parameters, WordPress post IDs."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Tracking parameters are courlan's (trafilatura's URL library): its TRACKERS_RE follows the AdGuard, ClearURLs and
# Firefox query-stripping lists (utm_*, fbclid, gclid, msclkid, mc_*, pk_*, mtm_*, _ga, ref, source, session…).
# These few it leaves alone, and a WordPress crawl meets them on every article (archiver.replica.hostile builds its
# crawler traps from them): comment-reply links, Jetpack share buttons, AMP variants, session IDs, Webtrekk.
PROJECT_TRACKING_PARAMS = frozenset({
    "replytocom",  # ?replytocom=<comment ID>#respond: the same article once per comment
    "share",  # Jetpack sharing buttons: ?share=twitter, ?share=facebook&nb=1
    "amp",  # ?amp=1: the AMP plugin's variant of the same post
    "phpsessid", "jsessionid", "sid",  # session IDs (PHP, Java servlets, generic)
    "wt_mc", "wtmc",  # Webtrekk campaign IDs
})
# A post permalink /<categories>/<slug>-<id>.html, tested as two unambiguous parts split at the last "/": one regex
# over the whole path backtracked through every way of splitting it into categories and slug.
_CATEGORIES_RE = re.compile(r"(?:/[a-z0-9-]+)+")
_SLUG_ID_RE = re.compile(r"[a-z0-9-]+-(?P<id>\d+)")
# WordPress date permalinks: /%year%/%monthnum%/%day%/%postname%/ and /%year%/%monthnum%/%postname%/
DATE_PERMALINK_RE = re.compile(r"^/(?:[a-z]{2}/)?(?:19|20)\d{2}/[01]\d/(?:[0-3]\d/)?[^/]+/?$")
_POST_QUERY_RE = re.compile(r"(?:^|&)p=(\d+)(?:&|$)")
# An absolute http(s) URL that urljoin would take apart and rebuild unchanged: a host (without one urljoin reads it
# as a path on the base's host), no whitespace (it drops tabs and newlines), no empty query or fragment (it drops a
# bare "?" or "#").
_PLAIN_ABSOLUTE_RE = re.compile(r"https?://[^\s?#/]+(?:/[^\s?#]*)?(?:\?[^\s#]+)?(?:#\S+)?")


def join_url(base: str, href: str) -> str:
    """``urljoin(base, href.strip())``; most links on a WordPress page are already absolute and returned as they are
    (urljoin is slow for what it does, and a page has dozens of links)."""
    href = href.strip()
    if _PLAIN_ABSOLUTE_RE.fullmatch(href):
        return href
    return urljoin(base, href)


# A URL that strip_tracking's parse-and-rebuild returns unchanged: http(s), a lower-case host without port, a path
# of unreserved characters with no empty, "." or ".." segment, nothing percent-encoded, no query, no fragment. Most
# canonical links are, and the rebuild (w3lib's safe_url_string most of it) is the costly part.
_SEGMENT = r"[a-zA-Z0-9_~-][a-zA-Z0-9._~-]*"
_PLAIN_CANONICAL_RE = re.compile(rf"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*/(?:{_SEGMENT}/)*(?:{_SEGMENT})?")


def strip_tracking(url: str) -> str:
    """Remove tracking and session parameters and the fragment; keep everything else in order.

    A URL too broken to parse (a non-numeric port, an unclosed IPv6 bracket) is returned as it is.
    """
    if _PLAIN_CANONICAL_RE.fullmatch(url):
        return url
    try:
        return _strip_tracking(url)
    except ValueError:
        return url.strip()


@functools.cache
def _library_trackers() -> re.Pattern[str]:
    # Imported on the first URL with a query: courlan's package imports babel and tld, a cost every CLI
    # start would pay. Its clean_query is not used: it sorts the parameters and drops those without a value.
    from courlan.clean import TRACKERS_RE

    return TRACKERS_RE


@functools.lru_cache(maxsize=4096)
def is_tracking_param(name: str) -> bool:
    """A query parameter to drop: one of courlan's trackers or of PROJECT_TRACKING_PARAMS (case-insensitive)."""
    key = name.lower()
    return key in PROJECT_TRACKING_PARAMS or _library_trackers().search(key) is not None


def _strip_tracking(url: str) -> str:
    parts = urlsplit(safe_url_string(url.strip()))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def canonical_url(url: str) -> str:
    """Canonical form used as an article's identity key (idempotent)."""
    return strip_tracking(url)


def article_path_id(path: str) -> int | None:
    """The post ID of a permalink path ``/<categories>/<slug>-<id>.html``; None for any other path."""
    if not path.endswith(".html"):
        return None
    categories, _, last = path[:-5].rpartition("/")
    match = _SLUG_ID_RE.fullmatch(last)
    if match is None or _CATEGORIES_RE.fullmatch(categories) is None:
        return None
    return int(match["id"])


def post_id_from_url(url: str) -> int | None:
    """The WordPress post ID in a permalink (``…-311235.html``) or a shortlink (``/?p=311235``)."""
    parts = urlsplit(url)
    post_id = article_path_id(parts.path)
    if post_id is not None:
        return post_id
    query = _POST_QUERY_RE.search(parts.query)
    if query and parts.path in ("", "/"):
        return int(query[1])
    return None


def is_article_url(url: str) -> bool:
    """True for a post permalink: ``/<categories>/<slug>-<id>.html``, a date permalink or ``/?p=<id>``."""
    parts = urlsplit(url)
    return is_article_path(parts.path, parts.query)


def is_article_path(path: str, query: str) -> bool:
    """``is_article_url`` for a URL already split (``urlsplit`` costs more than the test)."""
    if article_path_id(path) is not None or DATE_PERMALINK_RE.match(path):
        return True
    return path in ("", "/") and _POST_QUERY_RE.search(query) is not None


def site_of(url: str) -> str:
    return urlsplit(url).netloc.lower()
