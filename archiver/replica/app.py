"""The replica's request router: a plain function of (path, query, headers) to a response.

Kept free of any server framework so it can be tested directly; ``server.py`` puts it on
the wire.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import parse_qs, unquote

from . import catalog as cat
from . import feeds, hostile
from .hueman import HuemanTheme
from .model import SiteModel
from .tk_theme import TkTheme
from .wp_site import WordPressReplica

SITE_KINDS = ("tarnkappe", "wp-classic", "wp-block")

LISTING_PAGE_SIZE = 10
ARTICLE_RE = re.compile(r"^/(?P<cats>[a-z0-9-]+(?:/[a-z0-9-]+)*)/(?P<slug>[a-z0-9-]+)-(?P<id>\d+)\.html$")
PAGED_RE = re.compile(r"^(?P<base>/.*?)page/(?P<n>\d+)/?$")
STATIC_PAGES = {
    "/impressum": ("Impressum", "Tarnkappe.info wird herausgegeben von der Replik-Redaktion."),
    "/kontakt": ("Kontakt", "Schreib uns über das Kontaktformular."),
    "/datenschutzerklaerung": ("Datenschutzerklärung", "Wir speichern so wenig wie möglich."),
    "/ueber-tarnkappe": ("Über Tarnkappe.info", "Seit 2014 berichten wir über die digitale Welt."),
    "/spenden": ("Spenden", "Unterstütze unabhängigen Journalismus."),
    "/pressespiegel": ("Pressespiegel", "Was andere über uns schreiben."),
    "/fyi": ("Social Media", "Folge uns im Fediverse."),
}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunked: bool = False
    compressible: bool = True


def _not_modified(response: Response, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins; If-Modified-Since only when there is no If-None-Match."""
    headers = dict(response.headers)
    if if_none_match is not None:
        etag = headers.get("ETag")
        return etag is not None and etag in [tag.strip() for tag in if_none_match.split(",")]
    last_modified = headers.get("Last-Modified")
    if if_modified_since and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def tiny_png(seed: int) -> bytes:
    """A valid 2x2 RGB PNG whose colour depends on ``seed`` (small real image bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rgb = bytes([seed % 256, (seed * 7) % 256, (seed * 13) % 256])
    raw = b"".join(b"\x00" + rgb * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class ReplicaApp:
    def __init__(self, articles: int = 300, day: int = 0, seed: int = 1, kind: str = "tarnkappe",
                 robots_status: int = 200, traps: bool = False, redesign: bool = False, removed: int = 0) -> None:
        self.robots_status = robots_status
        self.redesign = redesign  # article pages without their author markup (the drift alarm's tests)
        self.traps = traps  # links into endless calendars, reply/share/session variants (hardening tests)
        if kind not in SITE_KINDS:
            raise ValueError(f"site kind must be one of {', '.join(SITE_KINDS)}")
        self.site = SiteModel(articles=articles, day=day, seed=seed, removed=removed)
        self.wordpress = WordPressReplica(self.site, kind.removeprefix("wp-")) if kind != "tarnkappe" else None
        self._category_members: dict[str, list[int]] | None = None
        self._author_members: dict[int, list[int]] | None = None
        self._tag_members: dict[str, list[int]] | None = None
        self.render = lru_cache(maxsize=2048)(self._render_with_validators)
        self.gzipped = lru_cache(maxsize=2048)(self._gzipped)

    # --- indexes for listings, built on first use ------------------------------------------------
    def _build_indexes(self) -> None:
        categories: dict[str, list[int]] = {}
        authors: dict[int, list[int]] = {}
        tags: dict[str, list[int]] = {}
        for index in range(self.site.count):
            primary, secondary, author_ids, tag_slugs = self.site.meta(index)
            slugs: set[str] = set()
            for slug in (primary, *secondary):
                slugs.add(slug)
                slugs.update(c.slug for c in cat.CATEGORIES[slug].ancestors())
            for slug in slugs:
                categories.setdefault(slug, []).append(index)
            for author in author_ids:
                authors.setdefault(author, []).append(index)
            for tag in tag_slugs:
                tags.setdefault(tag, []).append(index)
        self._category_members, self._author_members, self._tag_members = categories, authors, tags

    def members(self, kind: str, key: str | int) -> list[int]:
        if self._category_members is None:
            self._build_indexes()
        table: dict[object, list[int]] = {"category": self._category_members, "author": self._author_members,
                                          "tag": self._tag_members}[kind]  # type: ignore[assignment]
        return table.get(key, [])

    # --- entry point -------------------------------------------------------------------------------
    def handle(self, path: str, query: str, host: str, accept_gzip: bool, if_none_match: str | None = None,
               if_modified_since: str | None = None) -> Response:
        response = self.render(path, query, host)
        if response.status == 200 and _not_modified(response, if_none_match, if_modified_since):
            return Response(304, b"", response.content_type,
                            [(k, v) for k, v in response.headers if k in ("ETag", "Last-Modified")], False, False)
        if accept_gzip and response.compressible and len(response.body) > 256 and response.status == 200:
            return self.gzipped(path, query, host)
        return response

    def _gzipped(self, path: str, query: str, host: str) -> Response:
        response = self.render(path, query, host)
        return Response(response.status, gzip.compress(response.body, 6, mtime=0), response.content_type,
                        [*response.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")],
                        response.chunked, False)

    def _render_with_validators(self, path: str, query: str, host: str) -> Response:
        """Every successful page carries an ETag, so any client can make conditional requests."""
        response = self._render(path, query, host)
        if response.status == 200 and not any(name == "ETag" for name, _ in response.headers):
            response.headers.append(("ETag", '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'))
        return response

    def _render(self, path: str, query: str, host: str) -> Response:
        base = f"http://{host}"
        tk = TkTheme(self.site, base)
        params = parse_qs(query)
        if path.startswith("/wpimg/") or path.startswith("/wp-content/uploads/") or path.startswith("/na/"):
            return Response(200, tiny_png(sum(path.encode())), "image/png", compressible=False,
                            headers=[("Cache-Control", "max-age=31536000")])
        if self.wordpress is not None:
            status, content_type, body, headers = self.wordpress.route(path, query, base)
            return Response(status, body, content_type, headers)
        if path == "/" and "p" in params:
            return self._redirect_post(tk, params["p"][0])
        if self.traps and path == "/" and re.fullmatch(r"\d{6,8}", params.get("m", [""])[0]):
            return Response(200, hostile.calendar_page(params["m"][0]).encode())
        if path == "/robots.txt":
            if self.robots_status != 200:  # fault switch: a robots.txt that fails
                return Response(self.robots_status, b"Internal Server Error", "text/plain; charset=utf-8")
            return Response(200, feeds.robots_txt(base).encode(), "text/plain; charset=utf-8")
        if path.endswith(".xml"):
            return self._sitemap(path, base)
        if path in ("/feed/atom", "/feed/atom/"):
            newest = [self.site.article(i) for i in range(self.site.count - 1, -1, -1)][:feeds.FEED_PAGE_SIZE]
            atom = feeds.atom(base, newest, [base + a.path for a in newest], "TARNKAPPE.INFO", base + path)
            return Response(200, atom.encode(), "application/atom+xml; charset=UTF-8")
        if path in ("/feed", "/feed/") or path.endswith("/feed") or path.endswith("/feed/"):
            return self._feed(path, params, base)
        if path.startswith("/wp-content/themes/"):
            return Response(200, b"body{margin:0}\n", "text/css; charset=utf-8")
        match = ARTICLE_RE.match(path)
        if match:
            return self._article(tk, match, params)
        static = STATIC_PAGES.get(path.rstrip("/"))
        if static:
            return Response(200, tk.static_page(*static).encode())
        if path.startswith("/suche/"):  # search results: any query, umlauts and spaces included
            return Response(200, tk.static_page("Suche", f"Ergebnisse für {unquote(path[7:])} ({query})").encode())
        return self._listing(tk, path)

    def _redirect_post(self, tk: TkTheme, value: str) -> Response:
        index = self.site.index_of_post(int(value)) if value.isdigit() else None
        if index is None:
            return self._not_found(tk)
        return Response(301, b"", headers=[("Location", tk.base + self.site.article(index).path)])

    def _article(self, tk: TkTheme, match: re.Match[str], params: dict[str, list[str]]) -> Response:
        index = self.site.index_of_post(int(match["id"]))
        if index is None:
            return self._not_found(tk)
        if index in self.site.removed:
            return self._taken_down(tk, self.site.removed[index])
        article = self.site.article(index)
        if match.group(0) != article.path:
            return Response(301, b"", headers=[("Location", tk.base + article.path)])
        theme = params.get("theme", [article.default_theme])[0]
        html = HuemanTheme(tk).article(article) if theme == "hueman" else tk.article(article)
        if self.redesign:
            html = hostile.without_authors(html)
        if self.traps:
            traps = hostile.trap_links(article.path, article.post_id, article.published.strftime("%Y%m"))
            html = html.replace("</body>", traps + "</body>", 1)
        last_modified = article.modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return Response(200, html.encode(), headers=[("Last-Modified", last_modified),
                                                     ("Link", f'<{tk.base}/?p={article.post_id}>; rel=shortlink'),
                                                     ("Link", f'<{tk.base}/wp-json/>; rel="https://api.w.org/"')],
                        chunked=article.post_id % 3 == 0)

    def _sitemap(self, path: str, base: str) -> Response:
        xml = "text/xml; charset=UTF-8"
        if path == "/sitemap_index.xml":
            return Response(200, feeds.sitemap_index(self.site, base).encode(), xml)
        match = re.fullmatch(r"/post-sitemap(\d*)\.xml", path)
        if match:
            body = feeds.post_sitemap(self.site, base, int(match[1] or 1))
            if body is not None:
                return Response(200, body.encode(), xml)
        if path == "/category-sitemap.xml":
            return Response(200, feeds.category_sitemap(base).encode(), xml)
        if path == "/author-sitemap.xml":
            return Response(200, feeds.author_sitemap(base).encode(), xml)
        if path == "/page-sitemap.xml":
            return Response(200, feeds.simple_sitemap([base + p for p in STATIC_PAGES]).encode(), xml)
        return Response(404, b"<?xml version='1.0'?><error>not found</error>", xml)

    def _feed(self, path: str, params: dict[str, list[str]], base: str) -> Response:
        scope = path.rstrip("/").removesuffix("/feed").strip("/")
        if scope and scope.split("/")[-1] in cat.CATEGORIES and cat.CATEGORIES[scope.split("/")[-1]].path == scope:
            indices = self.members("category", scope.split("/")[-1])
            title = f"TARNKAPPE.INFO » {cat.CATEGORIES[scope.split('/')[-1]].name}"
        elif not scope:
            indices = range(self.site.count)  # type: ignore[assignment]
            title = "TARNKAPPE.INFO"
        else:
            return Response(404, b"<?xml version='1.0'?><error>not found</error>", "text/xml")
        page = int(params.get("paged", ["1"])[0]) if params.get("paged", ["1"])[0].isdigit() else 1
        newest = list(indices)[::-1][(page - 1) * feeds.FEED_PAGE_SIZE: page * feeds.FEED_PAGE_SIZE]
        if not newest:
            return Response(404, b"<?xml version='1.0'?><error>no items</error>", "text/xml")
        body = feeds.rss(self.site, base, [self.site.article(i) for i in newest], title, base + path)
        return Response(200, body.encode(), "application/rss+xml; charset=UTF-8", chunked=True)

    def _listing(self, tk: TkTheme, path: str) -> Response:
        page = 1
        paged = PAGED_RE.match(path)
        if paged:
            path, page = paged["base"], int(paged["n"])
        key = path.strip("/")
        if key == "":
            indices: list[int] | range = range(self.site.count)
            heading = "Tarnkappe.info"
        elif key.startswith("author/") and key[7:].isdigit() and int(key[7:]) in cat.AUTHORS:
            indices = self.members("author", int(key[7:]))
            heading = f"Beiträge von {cat.AUTHORS[int(key[7:])].name}"
        elif key.startswith("tag/") and key[4:] in cat.TAGS_BY_SLUG:
            indices = self.members("tag", key[4:])
            heading = cat.TAGS_BY_SLUG[key[4:]].name
        elif key.split("/")[-1] in cat.CATEGORIES and cat.CATEGORIES[key.split("/")[-1]].path == key:
            indices = self.members("category", key.split("/")[-1])
            heading = cat.CATEGORIES[key.split("/")[-1]].name
        else:
            return self._not_found(tk)
        pages = max(1, -(-len(indices) // LISTING_PAGE_SIZE))
        if page < 1 or page > pages:
            return self._not_found(tk)
        newest_first = list(indices)[::-1][(page - 1) * LISTING_PAGE_SIZE: page * LISTING_PAGE_SIZE]
        base_path = "/" if key == "" else f"/{key}/"
        html = tk.listing(heading, (self.site.article(i) for i in newest_first), page, pages, base_path)
        return Response(200, html.encode(), chunked=True)

    def _taken_down(self, tk: TkTheme, status: int) -> Response:
        if status == 301:
            return Response(301, b"", headers=[("Location", tk.base + "/")])
        return Response(status, tk.static_page("Seite nicht gefunden", "Dieser Beitrag wurde entfernt.").encode())

    def _not_found(self, tk: TkTheme) -> Response:
        return Response(404, tk.static_page("Seite nicht gefunden", "Hier ist nichts.").encode())
