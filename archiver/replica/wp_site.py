"""Routes, core sitemaps, feed and REST API of the stock WordPress replica, and its ground truth.

Shaped like WordPress core's own output: ``/wp-sitemap.xml`` (no Yoast), RSS 2.0 with
``content:encoded``, Atom with each post's ``updated``, and ``/wp-json/wp/v2/{posts,users,categories,tags,media}``
with ``X-WP-Total`` and ``X-WP-TotalPages`` headers and ``modified_after``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import catalog as cat
from .feeds import atom, simple_sitemap
from .html_util import esc_utf8 as esc
from .model import BERLIN, Article, SiteModel
from .truth import GroundTruth, Item
from .wordpress import WordPressTheme, author_slug, category_path, wp_path

CATEGORY_IDS = {slug: n + 1 for n, slug in enumerate(cat.CATEGORIES)}
TAG_IDS = {t.slug: 1000 + n for n, t in enumerate(cat.TAGS)}
POST_PATH_RE = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([a-z0-9-]+)/$")
SITEMAP_PAGE = 2000  # WordPress core's limit per sitemap
MEDIA_ID_OFFSET = 10_000_000  # a featured image's attachment ID: this plus its post's ID


class WordPressReplica:
    def __init__(self, site: SiteModel, flavour: str) -> None:
        self.site = site
        self.flavour = flavour
        self._by_path: dict[str, int] | None = None

    def index_of_path(self, path: str) -> int | None:
        if self._by_path is None:
            self._by_path = {wp_path(self.site.article(i)): i for i in range(self.site.count)}
        return self._by_path.get(path)

    def route(self, path: str, query: str, base: str) -> tuple[int, str, bytes, list[tuple[str, str]]]:
        """(status, content type, body, extra headers) for one GET."""
        theme = WordPressTheme(self.site, base, self.flavour)
        params = parse_qs(query)
        html = "text/html; charset=UTF-8"
        if path == "/robots.txt":
            text = f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\nSitemap: {base}/wp-sitemap.xml\n"
            return 200, "text/plain; charset=utf-8", text.encode(), []
        if path == "/" and "p" in params and params["p"][0].isdigit():
            index = self.site.index_of_post(int(params["p"][0]))
            if index is not None:
                return 301, html, b"", [("Location", theme.url(self.site.article(index)))]
        if path.startswith("/wp-sitemap"):
            return self._sitemap(path, base)
        if path.startswith("/wp-json/wp/v2/"):
            return self._rest(path[len("/wp-json/wp/v2/"):], params, base)
        if path in ("/feed/", "/feed"):
            return self._feed(params, theme)
        if path in ("/feed/atom/", "/feed/atom"):
            newest = [self.site.article(i) for i in range(self.site.count - 1, -1, -1)][:10]
            body = atom(base, newest, [theme.url(a) for a in newest], "Netzwelt Nachrichten", base + path)
            return 200, "application/atom+xml; charset=UTF-8", body.encode(), []
        if POST_PATH_RE.match(path):
            index = self.index_of_path(path)
            if index in self.site.removed:  # taken down (fault switch): gone, or sent to the front page
                status = self.site.removed[index]
                return status, html, b"<html><body><h1>Seite nicht gefunden</h1></body></html>", \
                    [("Location", base + "/")] if status == 301 else []
            if index is not None:
                return 200, html, theme.article(self.site.article(index)).encode(), [
                    ("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"'),
                    ("Link", f"<{base}/?p={self.site.post_id(index)}>; rel=shortlink")]
        match = re.fullmatch(r"/(?:page/(\d+)/)?", path)
        if match:
            page = int(match[1] or 1)
            pages = -(-self.site.count // 10)
            if 1 <= page <= pages:
                newest = [self.site.article(i) for i in range(self.site.count - 1, -1, -1)][(page - 1) * 10: page * 10]
                return 200, html, theme.listing(newest, page, pages, "/").encode(), []
        return 404, html, b"<html><body><h1>Seite nicht gefunden</h1></body></html>", []

    def _sitemap(self, path: str, base: str) -> tuple[int, str, bytes, list[tuple[str, str]]]:
        xml = "application/xml; charset=UTF-8"
        pages = max(1, -(-self.site.count // SITEMAP_PAGE))
        if path == "/wp-sitemap.xml":
            names = [f"wp-sitemap-posts-post-{n}.xml" for n in range(1, pages + 1)]
            names += ["wp-sitemap-taxonomies-category-1.xml", "wp-sitemap-taxonomies-post_tag-1.xml",
                      "wp-sitemap-users-1.xml"]
            entries = "".join(f"<sitemap><loc>{base}/{n}</loc></sitemap>" for n in names)
            return 200, xml, ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
                              f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n').encode(), []
        match = re.fullmatch(r"/wp-sitemap-posts-post-(\d+)\.xml", path)
        if match and 1 <= int(match[1]) <= pages:
            start = (int(match[1]) - 1) * SITEMAP_PAGE
            urls = "".join(
                f"<url><loc>{base}{wp_path(a)}</loc><lastmod>{a.modified.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</lastmod></url>"
                for a in (self.site.article(i) for i in range(start, min(self.site.count, start + SITEMAP_PAGE))))
            return 200, xml, ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
                              f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n').encode(), []
        if path == "/wp-sitemap-taxonomies-category-1.xml":
            return 200, xml, simple_sitemap([base + category_path(s) for s in cat.CATEGORIES]).encode(), []
        if path == "/wp-sitemap-taxonomies-post_tag-1.xml":
            return 200, xml, simple_sitemap([f"{base}/tag/{t.slug}/" for t in cat.TAGS]).encode(), []
        if path == "/wp-sitemap-users-1.xml":
            return 200, xml, simple_sitemap([f"{base}/author/{author_slug(i)}/" for i in cat.AUTHORS]).encode(), []
        return 404, xml, b"<?xml version='1.0'?><error/>", []

    def _feed(self, params: dict[str, list[str]], theme: WordPressTheme) -> tuple[int, str, bytes,
                                                                                  list[tuple[str, str]]]:
        page = int(params["paged"][0]) if params.get("paged", [""])[0].isdigit() else 1
        newest = list(range(self.site.count - 1, -1, -1))[(page - 1) * 10: page * 10]
        if not newest:
            return 404, "text/html", b"", []
        items = []
        for a in (self.site.article(i) for i in newest):
            categories = "".join(f"<category><![CDATA[{cat.CATEGORIES[s].name}]]></category>" for s in a.category_slugs)
            items.append(f"<item><title>{esc(a.title)}</title><link>{theme.url(a)}</link>"
                         f"<dc:creator><![CDATA[{cat.AUTHORS[a.author_ids[0]].name}]]></dc:creator>"
                         f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>{categories}"
                         f'<guid isPermaLink="false">{theme.base}/?p={a.post_id}</guid>'
                         f"<description><![CDATA[{a.lead}]]></description>"
                         f"<content:encoded><![CDATA[{theme.body(a)}]]></content:encoded></item>")
        body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
                'modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Netzwelt Nachrichten'
                f"</title><link>{theme.base}</link>{''.join(items)}</channel></rss>")
        return 200, "application/rss+xml; charset=UTF-8", body.encode(), []

    def _rest(self, route: str, params: dict[str, list[str]], base: str) -> tuple[int, str, bytes,
                                                                                    list[tuple[str, str]]]:
        per_page = min(100, int(params.get("per_page", ["10"])[0] or 10))
        page = int(params.get("page", ["1"])[0] or 1)
        records: list[dict[str, Any]]
        if route == "posts":
            # Only published posts, as WordPress answers an anonymous client; ``include``: these IDs only.
            indices = [i for i in range(self.site.count - 1, -1, -1)  # type: ignore[assignment]
                       if i not in self.site.removed]
            if "include" in params:
                wanted = {int(n) for n in params["include"][0].split(",") if n.isdigit()}
                indices = [i for i in indices if self.site.post_id(i) in wanted]
            if "modified_after" in params:
                since = datetime.fromisoformat(params["modified_after"][0].replace("Z", "+00:00"))
                indices = [i for i in indices if self.site.article(i).modified > since]  # type: ignore[assignment]
            chosen = list(indices)[(page - 1) * per_page: page * per_page]
            total = len(indices)
            records = [self._post(self.site.article(i), base) for i in chosen]
        elif route == "media":
            media_ids = [int(n) for n in params.get("include", [""])[0].split(",") if n.isdigit()]
            found = [self._media(self.site.article(index), base) for index in
                     (self.site.index_of_post(media_id - MEDIA_ID_OFFSET) for media_id in media_ids)
                     if index is not None and self.site.article(index).lead_image is not None]
            total, records = len(found), found[(page - 1) * per_page: page * per_page]
        elif route == "users":
            all_users = [{"id": x.id, "name": x.name, "slug": author_slug(x.id), "description": x.bio,
                          "link": f"{base}/author/{author_slug(x.id)}/"} for x in cat.AUTHORS.values()]
            total, records = len(all_users), all_users[(page - 1) * per_page: page * per_page]
        elif route == "categories":
            all_cats = [{"id": CATEGORY_IDS[c.slug], "name": c.name, "slug": c.slug,
                         "parent": CATEGORY_IDS[c.parent] if c.parent else 0, "link": base + category_path(c.slug)}
                        for c in cat.CATEGORIES.values()]
            total, records = len(all_cats), all_cats[(page - 1) * per_page: page * per_page]
        elif route == "tags":
            all_tags = [{"id": TAG_IDS[t.slug], "name": t.name, "slug": t.slug, "link": f"{base}/tag/{t.slug}/"}
                        for t in cat.TAGS]
            total, records = len(all_tags), all_tags[(page - 1) * per_page: page * per_page]
        else:
            return 404, "application/json", json.dumps({"code": "rest_no_route"}).encode(), []
        pages = max(1, -(-total // per_page))
        if page > pages:
            return 400, "application/json", json.dumps({"code": "rest_post_invalid_page_number"}).encode(), []
        return 200, "application/json; charset=UTF-8", json.dumps(records).encode(), [
            ("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]

    def _post(self, a: Article, base: str) -> dict[str, Any]:
        local = a.published.astimezone(BERLIN)
        return {"id": a.post_id, "date": local.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_gmt": a.published.strftime("%Y-%m-%dT%H:%M:%S"),
                "modified": a.modified.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M:%S"),
                "modified_gmt": a.modified.strftime("%Y-%m-%dT%H:%M:%S"), "slug": a.slug, "status": "publish",
                "link": base + wp_path(a), "title": {"rendered": esc(a.title)},
                "excerpt": {"rendered": f"<p>{esc(a.lead)}</p>"}, "author": a.author_ids[0],
                "categories": [CATEGORY_IDS[s] for s in a.category_slugs], "tags": [TAG_IDS[t] for t in a.tags],
                "featured_media": MEDIA_ID_OFFSET + a.post_id if a.lead_image is not None else 0}

    def _media(self, a: Article, base: str) -> dict[str, Any]:
        """The attachment record of an article's featured image, as ``/wp/v2/media`` gives it."""
        image = a.lead_image
        assert image is not None
        caption = f"<p>{esc(image.caption)}</p>\n" if image.caption else ""
        return {"id": MEDIA_ID_OFFSET + a.post_id, "slug": f"{a.slug}-bild", "type": "attachment",
                "media_type": "image", "source_url": base + image.src, "alt_text": image.alt,
                "caption": {"rendered": caption},
                "media_details": {"width": image.width, "height": image.height, "sizes": {}}}


def wordpress_truth(site: SiteModel, base: str, flavour: str, a: Article) -> Item:
    """What the generic WordPress layout must extract from this site's page of article ``a``."""
    item = GroundTruth(site, base).item(a, "hueman")  # same body, images and credits rules as a classic theme
    theme = WordPressTheme(site, base, flavour)
    authors = [cat.AUTHORS[i] for i in a.author_ids]
    pub = a.published.astimezone(BERLIN)
    categories = [{"name": cat.CATEGORIES[s].name, "slug": s, "url": base + category_path(s),
                   "parent": cat.CATEGORIES[s].parent} for s in a.category_slugs]
    internal = []
    for blk in a.blocks:
        for seg in blk.segments:
            if not isinstance(seg, str) and seg.internal_post_index is not None:
                url = theme.url(site.article(seg.internal_post_index))
                if url not in internal:
                    internal.append(url)
    single = len(authors) == 1
    item.update({
        "url": theme.url(a), "layout": "wordpress", "site": urlsplit(base).netloc,
        "lead": a.lead if flavour == "block" else None,
        "published_raw": pub.isoformat(),
        "modified_raw": (a.modified.astimezone(BERLIN).isoformat() if flavour == "classic"
                         else a.modified.strftime("%Y-%m-%dT%H:%M:%S+00:00")),
        "authors": [{"name": x.name, "url": f"{base}/author/{author_slug(x.id)}/" if flavour == "classic" else None,
                     "site_author_id": None,
                     "bio": " ".join(x.bio.split()) if single else None,
                     "avatar_url": f"{base}/wp-content/uploads/{x.avatar}" if single and flavour == "classic" else None,
                     "forum_url": None, "is_organization": False} for x in authors],
        "categories": categories, "primary_category": categories[0],
        "tags": [{"name": cat.TAGS_BY_SLUG[t].name, "slug": t, "url": f"{base}/tag/{t}/"} for t in a.tags],
        "comments_url": None, "links": {"internal": internal, "external": item["links"]["external"]},
        "breadcrumb": [], "reading_time_minutes": None,
    })
    if flavour == "block" and a.lead_image is not None:
        item["images"][0]["caption"] = None  # the block theme's featured image has no caption
    return item
