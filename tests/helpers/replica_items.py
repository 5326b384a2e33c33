"""Extracted items of the replica's articles, for storage tests that need real ones without a crawl."""

from __future__ import annotations

from archiver.items import ArticleItem
from archiver.pages import Page, extract
from archiver.replica.app import ReplicaApp

APP = ReplicaApp(articles=60)
HOST = "replica.test"


def items(indices: range | list[int]) -> list[ArticleItem]:
    out = []
    for index in indices:
        article = APP.site.article(index)
        html = APP.handle(article.path, "", HOST, False).body.decode()
        out.append(extract(Page(f"http://{HOST}{article.path}", html)))
    return out
