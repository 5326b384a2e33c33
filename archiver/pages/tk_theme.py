"""tk-theme: tarnkappe.info since about 2021 (Bulma + Underscores), site model §4."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from ..items import Author, Category, Credit, Image, Tag
from ..normalize.authors import author_id_from_url
from ..normalize.credits import parse_credit
from ..normalize.text import clean_inline, collapse_whitespace
from ._cache import cached_property
from .base import ArticlePage
from .body import first, int_attr
from .query import Document, Element, select, select_one, select_str, text_of

ARTICLE = "//main[@id='article']/article[starts-with(@id, 'post-')]"


def post_articles(doc: Document) -> list[Element]:
    """The ``ARTICLE`` elements. Not CSS: a CSS query over the document would build its class/id index (costly on a
    66 kB page) for this one question, and this layout asks all others within the article. lxml's tag iteration
    finds ``<main>`` three times faster than the XPath (and every other layout's page asks this question first);
    the XPath answers only for a page with several ``<main id="article">``, whose articles need document order."""
    mains = [main for main in doc.root.iter("main") if main.get("id") == "article"]
    if len(mains) > 1:
        return doc.select(ARTICLE)
    return [child for main in mains for child in main
            if child.tag == "article" and (child.get("id") or "").startswith("post-")]


def _path_slug(url: str | None) -> str | None:
    if not url:
        return None
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[-1] if segments else None


class TkThemePage(ArticlePage):
    layout: ClassVar[str] = "tk-theme"
    body_junk: ClassVar[list[str]] = ["//section[contains(@class, 'card')]"]

    @classmethod
    def matches(cls, doc: Document) -> bool:
        return bool(post_articles(doc))

    @cached_property
    def article(self) -> Element:
        element: Element = post_articles(self.doc)[0]
        return element

    def body_element(self) -> Element | None:
        return select_one(self.article, ".//div[contains(concat(' ', @class, ' '), ' entry-content ')]")

    def post_id(self) -> int | None:
        article_id = self.article.get("id", "")
        return int(article_id[5:]) if article_id[5:].isdigit() else super().post_id()

    def title(self) -> str | None:
        return text_of(select_one(self.article, "h1.entry-title")) or self.meta("og:title")

    def lead(self) -> str | None:
        return super().lead() or self.first_of("lead", [
            ("first-paragraph", lambda: self.body.blocks[0] if self.body.blocks else None)])

    def published_raw(self) -> str | None:
        return self.first_of("published", [
            ("time", lambda: first([select_str(self.article, "time.published::attr(datetime)")])),
            ("meta", lambda: self.meta("article:published_time")),
            ("time-text", lambda: first([select_str(self.article, "time.published::text")]))])

    def modified_raw(self) -> str | None:
        return self.first_of("modified", [
            ("meta", lambda: self.meta("article:modified_time")),
            ("time", lambda: first([select_str(self.article, "time.updated::attr(datetime)")]))])

    def reading_time_minutes(self) -> int | None:
        byline = " ".join(select(self.article, "span.byline ::text"))
        match = re.search(r"Lesezeit:\s*(\d+)\s*Min", byline) or re.match(r"(\d+)", self.meta("twitter:data2") or "")
        return int(match[1]) if match else None

    def authors(self) -> list[Author]:
        boxes: dict[str | None, Element] = {}
        for section in select(self.article, "section#author"):
            about = select_one(section, "a[rel=author]")
            boxes[self.absolute(about.get("href")) if about is not None else None] = section
        authors: list[Author] = []
        for link in select(self.article, "span.byline span.author a"):
            url = self.absolute(link.get("href"))
            name = text_of(link) or ""
            box = boxes.get(url)
            bio = avatar = forum = None
            if box is not None:
                bio = text_of(select_one(box, "./div/div[contains(@class, 'content')]/p"))
                avatar = self.absolute(select_str(box, "img.is-rounded::attr(src)"))
                forum = self.absolute(select_str(box, "a[title='Autor im Forum']::attr(href)"))
            authors.append(Author(name=name, url=url, site_author_id=author_id_from_url(url), bio=bio,
                                  avatar_url=avatar, forum_url=forum))
        self.sources["authors"] = "byline"
        if not authors:
            meta_name = self.meta("author")
            if meta_name:
                authors.append(Author(name=meta_name))
                self.sources["authors"] = "meta"
        return authors

    def _classes(self, prefix: str) -> list[str]:
        classes = (self.article.get("class") or "").split()
        return [c[len(prefix):] for c in classes if c.startswith(prefix) and len(c) > len(prefix)]

    @cached_property
    def _breadcrumb(self) -> list[tuple[str, str | None]]:
        # XPath, not CSS: a CSS query over the whole document would index this large page for one question.
        return [(clean_inline(" ".join(select(a, "::text"))), self.absolute(a.get("href")))
                for a in self.doc.select("//nav[@id='breadcrumb']//a")]

    def breadcrumb(self) -> list[str]:
        return [name for name, _ in self._breadcrumb]

    def primary_category(self) -> Category | None:
        return self._primary

    @cached_property
    def _primary(self) -> Category | None:
        url = self.absolute(select_str(self.article, "footer a.button.is-link::attr(href)"))
        crumbs = self._breadcrumb
        if url is None and len(crumbs) > 1:
            url = crumbs[-1][1]
        slug = _path_slug(url)
        if slug is None:
            segments = [s for s in urlsplit(self.url()).path.split("/") if s][:-1]
            return Category(slug=segments[-1]) if segments else None
        name = parent = None
        for n, (crumb_name, crumb_url) in enumerate(crumbs):
            if crumb_url == url:
                name = crumb_name
                if n >= 2:  # crumbs[0] is the home page
                    parent = _path_slug(crumbs[n - 1][1])
        return Category(slug=slug, name=name, url=url, parent=parent)

    def categories(self) -> list[Category]:
        primary = self.primary_category()
        result = [primary if primary is not None and slug == primary.slug else Category(slug=slug)
                  for slug in self._classes("category-")]
        if primary is not None and primary.slug not in {c.slug for c in result}:
            result.insert(0, primary)
        return result

    def tags(self) -> list[Tag]:
        return [Tag(slug=slug) for slug in self._classes("tag-")]

    def lead_image(self) -> Image | None:
        figure = select_one(self.article, "div.card-image figure")
        img = (select_one(figure, "img#primaryimage, img.wp-post-image") if figure is not None
               else select_one(self.article, "img#primaryimage"))
        if img is None:
            return None
        url = self.absolute(img.get("src")) or ""
        credit = None
        description = select_one(figure, "span.img-description")
        if description is not None:
            links = [(collapse_whitespace(" ".join(select(a, "::text"))), self.absolute(a.get("href")) or "")
                     for a in select(description, "a[href]")]
            parsed = parse_credit(text_of(description) or "", links)
            if parsed is not None:
                credit = Credit(parsed.raw, parsed.creator, parsed.license, parsed.license_url, parsed.source_url,
                                applies_to=url)
        caption = text_of(select_one(figure, "figcaption"))
        return Image(url=url, alt=collapse_whitespace(img.get("alt", "")) or None, caption=caption,
                     width=int_attr(img.get("width")), height=int_attr(img.get("height")), is_lead=True,
                     credit=credit)

    def comments_url(self) -> str | None:
        return self.absolute(select_str(self.article, "footer .wpdc-join-discussion a::attr(href)"))

