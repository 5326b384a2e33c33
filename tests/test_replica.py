"""The replica serves every page type the archiver needs, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import ast
import gzip
import http.client
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archiver.replica.app import ReplicaApp
from archiver.replica.model import SiteModel
from archiver.replica.truth import GroundTruth

from .conftest import Replica

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fetch(replica: Replica, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(replica.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def raw_get(replica: Replica, path: str, extra: str = "") -> bytes:
    """The bytes on the wire (to see chunked framing, which http.client hides)."""
    parts = urlsplit(replica.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n{extra}\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_home_listing_paginates_newest_first(replica: Replica) -> None:
    first = fetch(replica, "/")
    assert first.status == 200
    html = first.body.decode()  # type: ignore[attr-defined]
    site = SiteModel(replica.articles)
    newest = site.article(site.count - 1)
    assert newest.path in html
    assert "/page/2/" in html
    last_page = -(-site.count // 10)
    assert fetch(replica, f"/page/{last_page}/").status == 200
    assert fetch(replica, f"/page/{last_page + 1}/").status == 404


@pytest.mark.parametrize("path", ["/artikel/krypto", "/artikel/krypto/page/2/", "/author/83", "/author/83/page/2/",
                                  "/glosse", "/tag/telegram/", "/impressum", "/kontakt"])
def test_listing_and_static_pages(replica: Replica, path: str) -> None:
    assert fetch(replica, path).status == 200


def test_feeds_are_excerpt_only_rss_with_paging(replica: Replica) -> None:
    for path in ("/feed", "/feed?paged=2", "/artikel/krypto/feed"):
        response = fetch(replica, path)
        assert response.status == 200
        root = ET.fromstring(response.body)  # type: ignore[attr-defined]
        items = root.findall("./channel/item")
        assert 1 <= len(items) <= 10
        assert all(item.find("link") is not None and item.find("pubDate") is not None for item in items)
        assert b"<content:encoded>" not in response.body  # type: ignore[attr-defined]


def test_sitemaps_from_robots_txt(replica: Replica) -> None:
    robots = fetch(replica, "/robots.txt").body.decode()  # type: ignore[attr-defined]
    sitemap_url = re.search(r"^Sitemap: (\S+)$", robots, re.M)
    assert sitemap_url and sitemap_url[1] == f"{replica.base_url}/sitemap_index.xml"
    index = ET.fromstring(fetch(replica, "/sitemap_index.xml").body)  # type: ignore[attr-defined]
    locs = [e.text for e in index.iter(f"{SITEMAP_NS}loc")]
    assert f"{replica.base_url}/post-sitemap.xml" in locs
    urlset = ET.fromstring(fetch(replica, "/post-sitemap.xml").body)  # type: ignore[attr-defined]
    urls = urlset.findall(f"{SITEMAP_NS}url")
    assert len(urls) == replica.articles
    assert all(u.find(f"{SITEMAP_NS}lastmod") is not None for u in urls)


def test_large_replica_needs_no_prerendering() -> None:
    started = time.monotonic()
    app = ReplicaApp(articles=100_000)
    site = app.site
    middle = site.article(50_000)
    assert app.handle(middle.path, "", "h", False).status == 200
    assert len(re.findall(rb"<url>", app.handle("/post-sitemap100.xml", "", "h", False).body)) == 1000
    assert app.handle("/post-sitemap101.xml", "", "h", False).status == 404
    assert time.monotonic() - started < 30  # generous: this is about not building 100k pages, not speed


def test_redirects_to_the_canonical_url(replica: Replica) -> None:
    site = SiteModel(replica.articles)
    article = site.article(5)
    response = fetch(replica, f"/?p={article.post_id}")
    assert response.status == 301
    assert response.getheader("Location") == replica.base_url + article.path
    moved = next(site.article(i) for i in range(site.count) if site.article(i).moved_from)
    old = f"/{moved.moved_from}/{moved.slug}-{moved.post_id}.html"
    response = fetch(replica, old)
    assert response.status == 301 and response.getheader("Location") == replica.base_url + moved.path
    assert fetch(replica, "/artikel/nichts-hier-999999999.html").status == 404


def test_gzip_when_asked_and_chunked_sometimes(replica: Replica) -> None:
    site = SiteModel(replica.articles)
    article = next(site.article(i) for i in range(site.count) if site.article(i).post_id % 3 == 0)
    plain = fetch(replica, article.path)
    zipped = fetch(replica, article.path, {"Accept-Encoding": "gzip"})
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body  # type: ignore[attr-defined]
    wire = raw_get(replica, article.path)
    head = wire.split(b"\r\n\r\n", 1)[0].lower()
    assert b"transfer-encoding: chunked" in head and b"content-length" not in head


def test_images_are_real_png_bytes(replica: Replica) -> None:
    site = SiteModel(replica.articles)
    article = next(site.article(i) for i in range(site.count) if site.article(i).lead_image)
    assert article.lead_image is not None
    response = fetch(replica, article.lead_image.src)
    assert response.status == 200 and response.body.startswith(b"\x89PNG\r\n\x1a\n")  # type: ignore[attr-defined]


def test_fault_switches(replica: Replica) -> None:
    assert fetch(replica, "/_faults/status/503").status == 503
    token = f"/_faults/retry-after/5/{time.monotonic_ns()}"
    first = fetch(replica, token)
    assert first.status == 429 and first.getheader("Retry-After") == "5"
    assert fetch(replica, token).status == 200
    assert fetch(replica, "/_faults/malformed").status == 200
    assert fetch(replica, "/_faults/redirect-loop/a").status == 302
    started = time.monotonic()
    assert fetch(replica, "/_faults/slow/300").status == 200
    assert time.monotonic() - started >= 0.25
    with pytest.raises(http.client.IncompleteRead):
        fetch(replica, "/_faults/truncated")


def test_site_time_adds_and_edits_articles() -> None:
    day0, day1 = SiteModel(200, day=0), SiteModel(200, day=1)
    assert day1.count == day0.count + day1.new_per_day
    edited = day1.edited_on(1)
    assert len(edited) == day1.edits_per_day
    for index in edited:
        before, after = day0.article(index), day1.article(index)
        assert after.version == before.version + 1
        assert after.modified > before.modified
        assert [b.text for b in after.blocks] != [b.text for b in before.blocks]
    untouched = next(i for i in range(day0.count) if i not in edited)
    assert day0.article(untouched).modified == day1.article(untouched).modified


def test_ground_truth_contains_the_seed_article_in_both_themes() -> None:
    site = SiteModel(300)
    seed = site.article(site.seed_index)
    truth = GroundTruth(site, "http://h")
    for theme in ("tk-theme", "hueman"):
        item = truth.item(seed, theme)
        assert item["title"] == "Telegram gewinnt aufgrund von Facebook-Ausfall drei Mio. neue Nutzer"
        assert item["authors"][0]["name"] == "Antonia"
        assert item["authors"][0]["bio"].startswith("Antonia ist bereits seit Januar 2016 Autorin bei der Tarnkappe.")
        assert item["credits"] == [{"raw": "Foto LoboStudioHamburg, thx! (Pixabay Lizenz)",
                                    "creator": "LoboStudioHamburg", "license": "Pixabay Lizenz",
                                    "license_url": "https://pixabay.com/service/license-summary/",
                                    "applies_to": item["images"][0]["url"], "source_url": None}]
        assert "Foto LoboStudioHamburg" not in item["text"] and "Antonia ist" not in item["text"]
    assert seed.published.year == 2019 and seed.default_theme == "hueman"
    assert 29_000 <= seed.post_id <= 38_000


def test_truth_command_writes_json(replica: Replica) -> None:
    truth = replica.truth()
    assert len(truth["items"]) == replica.articles
    assert {i["layout"] for i in truth["items"]} == {"tk-theme", "hueman"}
    assert json.dumps(truth)


def test_replica_never_imports_the_extractor() -> None:
    """A ground truth computed by the code under test would prove nothing."""
    forbidden = ("archiver.pages", "archiver.normalize", "archiver.storage", "archiver.crawl")
    for path in (Path(__file__).parents[1] / "archiver" / "replica").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"
                assert not name.startswith(("..pages", "..normalize", "..storage", "..crawl")), path.name
