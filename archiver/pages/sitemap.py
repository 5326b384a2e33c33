"""Sitemaps (``sitemapindex`` and ``urlset``, plain or gzipped), read with Scrapy's own sitemap parser."""

from __future__ import annotations

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

GZIP_MAGIC = b"\x1f\x8b"


def read_sitemap(body: bytes, max_size: int) -> Sitemap | None:
    """The sitemap in a response body, or None when it is not one (an error page, HTML, an unknown root)."""
    if body[:2] == GZIP_MAGIC:
        body = gunzip(body, max_size=max_size)
    sitemap = Sitemap(body) if body.lstrip()[:1] == b"<" else None
    return sitemap if sitemap is not None and sitemap.type in ("sitemapindex", "urlset") else None
