"""The tarnkappe.info spider: the WordPress machinery plus what is specific to tarnkappe.info.

``scrapy crawl tarnkappe [-a base_url=URL]``; without a base URL it targets the live site
with the polite default settings.
"""

from __future__ import annotations

from typing import ClassVar

from .wordpress import WordPressSpider


class TarnkappeSpider(WordPressSpider):
    name = "tarnkappe"
    default_base_url: ClassVar[str | None] = "https://tarnkappe.info"
    # Permalinks are /%category%/%postname%-%post_id%.html (site model §2).
    article_url_re: ClassVar[str | None] = r"^/[a-z0-9-]+(?:/[a-z0-9-]+)*/[a-z0-9-]+-\d+\.html$"
    # Yoast sitemaps only; the live site has no WordPress core sitemap.
    sitemap_follow = [r"post-sitemap\d*\.xml$"]
