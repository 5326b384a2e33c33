"""Hostile pages for the hardening tests: wrong charsets, compression bombs, slow drips, crawler traps.

Served under ``/_faults/`` by the replica server (``charset``, ``bomb``, ``drip``) and, with
``archiver replica serve --traps``, mixed into ordinary pages (links into endless calendars, reply and
share variants, session IDs). Like the rest of the replica it never imports the extractor.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

CHARSETS = {"utf-8": "utf-8", "cp1252": "cp1252", "latin-1": "latin-1"}
LABELS = {"utf-8": "UTF-8", "cp1252": "windows-1252", "latin-1": "ISO-8859-1", "none": None}
WHERE = ("header", "meta", "bom", "none")
_META_CHARSET = re.compile(r"<meta[^>]+charset=[^>]*>\s*", re.IGNORECASE)

BOMB_ENCODINGS = ("gzip", "deflate", "br")

# A redesign that drops every trace of the author from article pages (as a theme change can): the byline, the
# author boxes and the author meta tags.
_AUTHOR_MARKUP = [re.compile(pattern, re.DOTALL) for pattern in (
    r'<span class="byline">.*?</span>\s*Lesezeit', r'<section id="author".*?</section>',
    r'<meta name="(?:author|twitter:data1)"[^>]*>', r'<a [^>]*rel="author"[^>]*>.*?</a>')]


def without_authors(html: str) -> str:
    for pattern in _AUTHOR_MARKUP:
        html = pattern.sub(lambda match: "Lesezeit" if match.group(0).endswith("Lesezeit") else "", html)
    return html


def charset_page(html: str, actual: str, label: str, where: str) -> tuple[bytes, str]:
    """``html`` encoded in ``actual``, declared as ``label`` in the header, a ``<meta>``, by a BOM, or nowhere.

    Characters ``actual`` cannot encode become numeric references, as a latin-1 CMS writes them.
    Returns the body and the Content-Type header value.
    """
    if actual not in CHARSETS or label not in LABELS or where not in WHERE:
        raise ValueError(f"unknown charset fault {actual}/{label}/{where}")
    declared = LABELS[label]
    html = _META_CHARSET.sub("", html)
    content_type = "text/html"
    if where == "header" and declared:
        content_type = f"text/html; charset={declared}"
    elif where == "meta" and declared:
        html = html.replace("<head>", f'<head>\n<meta charset="{declared}">', 1)
    body = html.encode(CHARSETS[actual], errors="xmlcharrefreplace")
    if where == "bom":
        if actual != "utf-8":
            raise ValueError("only UTF-8 pages carry a byte order mark")
        body = b"\xef\xbb\xbf" + body
    return body, content_type


@lru_cache(maxsize=8)
def bomb(encoding: str, decoded_mb: int) -> bytes:
    """A small body that decodes to ``decoded_mb`` MiB of HTML-ish zeros; cached, it takes a moment to build."""
    chunk = b"<p>" + b"0" * (1024 * 1024 - 7) + b"</p>\n"
    if encoding == "gzip":
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    elif encoding == "deflate":
        compressor = zlib.compressobj(9, zlib.DEFLATED, 15)
    elif encoding == "br":
        import brotli  # type: ignore[import-untyped]

        streamer = brotli.Compressor(quality=5)
        parts = [streamer.process(b"<html><body>")] + [streamer.process(chunk) for _ in range(decoded_mb)]
        return b"".join(parts) + bytes(streamer.finish())
    else:
        raise ValueError(f"unknown bomb encoding {encoding!r}")
    parts = [compressor.compress(b"<html><body>")] + [compressor.compress(chunk) for _ in range(decoded_mb)]
    return b"".join(parts) + compressor.flush()


# --- crawler traps -----------------------------------------------------------------------------------
def trap_links(path: str, post_id: int, month: str) -> str:
    """Links a real WordPress page carries that lead nowhere new (or nowhere at all)."""
    links = [f"{path}?replytocom={post_id + n}#respond" for n in range(3)]
    links += [f"{path}?share=twitter", f"{path}?share=facebook&nb=1", f"{path}?PHPSESSID=a1b2c3{post_id}",
              f"{path};jsessionid=F00{post_id}", f"{path}?utm_source=feed&utm_medium=rss", f"/?p={post_id}",
              f"/?m={month}", "/page/9999/", f"/?s=&paged={post_id}", "/kalender/?ical=1"]
    items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return f'<aside class="widget traps"><ul>{items}</ul></aside>'


def calendar_page(month: str) -> str:
    """An archive month that always links to the month before and after: an endless calendar."""
    year, number = int(month[:4]), int(month[4:6])
    before = f"{year - (number == 1)}{(number - 2) % 12 + 1:02d}"
    after = f"{year + (number == 12)}{number % 12 + 1:02d}"
    return (f"<!DOCTYPE html><html><head><title>Archiv {month}</title></head><body><h1>Archiv {month}</h1>"
            f'<nav><a class="prev page-numbers" rel="prev" href="/?m={before}">«</a>'
            f'<a class="next page-numbers" rel="next" href="/?m={after}">»</a></nav>'
            f'<table id="wp-calendar"><tr><td><a href="/?m={after}01">1</a></td></tr></table></body></html>')
