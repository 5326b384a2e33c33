"""The WARC slice of the big archive: real WARC records (warcio) for the first N articles' versions.

Each version becomes the exchange a crawl would have written: a ``response`` record holding a classic WordPress
article page (what ``archiver.pages`` reads as the ``wordpress`` layout), its ``request`` record, and the
``metadata`` record naming it an article (what ``archiver reparse`` looks for). The version's capture row is
pointed at the response record (file, offset, length, record ID, payload digest), so ``reextract``, ``reparse``
and replay read what the database cites.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
from base64 import b32encode
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, BinaryIO

from big_rows import BASE, HOST, Rows, _uuid
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

RECORDS_PER_FILE = 20_000


def page_html(version: dict[str, Any], article: dict[str, Any], authors: list[dict[str, Any]],
              categories: list[dict[str, Any]], tags: list[dict[str, Any]]) -> str:
    title, lead = escape(version["title"]), escape(version["lead"] or "")
    published = version["published"].isoformat()
    byline = ", ".join(f'<a class="url fn n" href="{escape(a["url"])}" rel="author">{escape(a["name"])}</a>'
                       for a in authors)
    cats = ", ".join(f'<a href="{BASE}/category/{c["slug"]}/" rel="category tag">{escape(c["name"])}</a>'
                     for c in categories)
    tag_links = ", ".join(f'<a href="{BASE}/tag/{t["slug"]}/" rel="tag">{escape(t["name"])}</a>' for t in tags)
    post = article["post_id"]
    return (
        f'<!doctype html>\n<html lang="de-DE"><head><meta charset="UTF-8"><title>{title} – Nachrichten</title>'
        f'<link rel="canonical" href="{escape(article["url"])}"><meta name="description" content="{lead}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<meta property="article:modified_time" content="{version["modified"].isoformat()}"></head>'
        f'<body class="post-template-default single single-post postid-{post} single-format-standard">'
        f'<main id="main" class="site-main"><article id="post-{post}" class="post-{post} post type-post '
        f'status-publish format-standard hentry"><header class="entry-header"><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-meta"><span class="byline"> von <span class="author vcard">{byline}</span></span>'
        f'<span class="posted-on"><time class="entry-date published" datetime="{published}">{published[:10]}'
        f'</time></span></div></header><div class="entry-content">{version["html"]}</div>'
        f'<footer class="entry-footer"><span class="cat-links">{cats}</span>'
        f'<span class="tags-links">{tag_links}</span></footer></article></main></body></html>')


def _digest(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode("ascii")


class WarcSlice:
    """Writes the slice's records into ``directory`` and rewrites the capture rows of the chunks it is given."""

    def __init__(self, directory: Path, articles: int, entities: Rows, seed: int) -> None:
        self.directory = directory
        self.articles = articles
        self.rng = random.Random(f"{seed}:warc")
        self.authors = {a["id"]: a for a in entities["authors"]}
        self.categories = {c["id"]: c for c in entities["categories"]}
        self.tags = {t["id"]: t for t in entities["tags"]}
        self.handle: BinaryIO | None = None
        self.name = ""
        self.records = 0
        self.files = 0
        directory.mkdir(parents=True, exist_ok=True)

    def _writer(self) -> tuple[WARCWriter, BinaryIO]:
        if self.handle is None or self.records >= RECORDS_PER_FILE:
            self.close()
            self.name = f"big-{self.files:05d}.warc.gz"
            self.files += 1
            self.handle = open(self.directory / self.name, "wb")  # noqa: SIM115 (kept open across chunks)
            self.records = 0
        return WARCWriter(self.handle, gzip=True, warc_version="1.1"), self.handle

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def write(self, rows: Rows) -> None:
        articles = {a["id"]: a for a in rows["articles"] if a["id"] <= self.articles}
        if not articles:
            return
        relations: dict[str, dict[int, list[int]]] = {"authors": {}, "categories": {}, "tags": {}}
        for table, key, column in (("article_authors", "authors", "author_id"),
                                   ("article_categories", "categories", "category_id"),
                                   ("article_tags", "tags", "tag_id")):
            for row in rows[table]:
                relations[key].setdefault(row["version_id"], []).append(row[column])
        captures = {c["id"]: c for c in rows["captures"]}
        for version in rows["article_versions"]:
            article = articles.get(version["article_id"])
            if article is None:
                continue
            vid = version["id"]
            html = page_html(version, article, [self.authors[a] for a in relations["authors"].get(vid, [])],
                             [self.categories[c] for c in relations["categories"].get(vid, [])],
                             [self.tags[t] for t in relations["tags"].get(vid, [])])
            self._exchange(captures[version["capture_id"]], html.encode("utf-8"), version["captured_at"])

    def _exchange(self, capture: dict[str, Any], body: bytes, moment: datetime) -> None:
        writer, handle = self._writer()
        date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        url = capture["url"]
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"),
                                           ("Content-Length", str(len(body))), ("Server", "Apache")],
                                protocol="HTTP/1.1")
        response_id = capture["record_id"]
        offset = handle.tell()
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date}))
        length = handle.tell() - offset
        request = StatusAndHeaders(f"GET {url.removeprefix(BASE)} HTTP/1.1",
                                   [("Host", HOST), ("User-Agent", "archiver (bench/big_archive.py)")],
                                   is_http_request=True)
        writer.write_record(writer.create_warc_record(
            url, "request", http_headers=request, warc_headers_dict={
                "WARC-Record-ID": _uuid(self.rng), "WARC-Date": date, "WARC-Concurrent-To": response_id}))
        fields = f"archiver-article-url: {url}\r\n".encode()
        writer.write_record(writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(fields), length=len(fields), warc_headers_dict={
                "WARC-Record-ID": _uuid(self.rng), "WARC-Date": date, "WARC-Concurrent-To": response_id,
                "Content-Type": "application/warc-fields"}))
        self.records += 3
        capture.update(warc_file=self.name, warc_offset=offset, warc_length=length, payload_digest=_digest(body))


def gunzip_member(path: Path, offset: int, length: int) -> bytes:
    """One record's bytes, decompressed (for tests)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return gzip.decompress(handle.read(length))
