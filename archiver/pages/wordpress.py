"""Generic WordPress article pages: classic and block themes, OpenGraph, JSON-LD (Yoast graphs).

Also the last-resort layout: when no known markup matches, trafilatura finds the main text.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..exceptions import ExtractionError
from ..items import Author, Category, Image, Tag
from ..normalize.credits import caption_credit
from ..normalize.text import collapse_whitespace
from ._cache import cached_property
from .base import ArticlePage
from .body import Body, first, int_attr
from .query import Document, Element, attribute_tokens, text_of
from .wp_authors import read_authors

ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle"}
BODY_SELECTORS = [".entry-content", ".wp-block-post-content", ".post-content", ".article-content",
                  "[itemprop=articleBody]"]


JSON_LD = "script[type='application/ld+json']::text"


def is_post_page(doc: Document) -> bool:
    """A blog post or news article, not a WordPress page (Impressum), listing or error page.

    Evidence, cheapest first: WordPress's body and article classes (through the document's class index),
    then the meta tags (``og:type`` article, ``article:published_time``), then a JSON-LD article type.
    """
    if doc.select("body.single-post") or doc.select("article.type-post"):  # apart, each is one anchored question
        return True
    if any("single-format-" in (body.get("class") or "") for body in doc.root.iter("body")):
        return True
    for meta in doc.root.iter("meta"):
        names = (meta.get("property"), meta.get("name"))
        if "article:published_time" in names:
            return True
        if "og:type" in names and "article" in (meta.get("content"), meta.get("value")):
            return True
    for raw in doc.select(JSON_LD):
        if re.search(r'"@type"\s*:\s*\[?[^\]]*"(?:News)?(?:Article|BlogPosting)"', raw):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class WordPressPage(ArticlePage):
    layout: ClassVar[str] = "wordpress"
    body_junk_class_parts: ClassVar[tuple[str, ...]] = ("post-navigation", "comments")

    @classmethod
    def matches(cls, doc: Document) -> bool:
        return is_post_page(doc) and any(doc.select(s) for s in BODY_SELECTORS)

    # --- JSON-LD ------------------------------------------------------------------------------
    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for raw in self.doc.select(JSON_LD):
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # a broken JSON-LD block is the page's problem; the HTML still has the fields
            for entry in _as_list(data):
                if isinstance(entry, dict):
                    nodes.extend(n for n in _as_list(entry.get("@graph", entry)) if isinstance(n, dict))
        return nodes

    @cached_property
    def ld_article(self) -> dict[str, Any]:
        for node in self.json_ld:
            types = {str(t).lower() for t in _as_list(node.get("@type"))}
            if types & ARTICLE_TYPES:
                return node
        return {}

    def _ld_node(self, ref: Any) -> dict[str, Any]:
        """A node of the graph as itself, or the node its ``{"@id": …}`` reference points to (Yoast, Rank Math)."""
        if isinstance(ref, dict) and "@id" in ref and not ref.get("name"):
            for node in self.json_ld:
                if node.get("@id") == ref["@id"] and node is not ref:
                    return node
        return ref if isinstance(ref, dict) else {}

    # --- fields -------------------------------------------------------------------------------
    def body_element(self) -> Element | None:
        for selector in BODY_SELECTORS:
            found = self.doc.select_one(f"article {selector}")
            if found is None:
                found = self.doc.select_one(selector)
            if found is not None:
                return found
        return None

    # Each source below is read only when the ones before it are empty: the JSON-LD graph is parsed only for a page
    # whose HTML lacks the field.
    def title(self) -> str | None:
        return (text_of(self.doc.select_one("h1.entry-title, h1.wp-block-post-title, article h1"))
                or first([self.ld_article.get("headline")]) or self.meta("og:title"))

    def lead(self) -> str | None:
        return self.first_of("lead", [("meta-description", lambda: self.meta("description")),
                                      ("og-description", lambda: self.meta("og:description")),
                                      ("json-ld", lambda: first([self.ld_article.get("description")]))])

    def published_raw(self) -> str | None:
        return self.first_of("published", [
            ("time", lambda: first([self.doc.select_str(
                "article time.published::attr(datetime), time.entry-date::attr(datetime)")])),
            ("post-date-block", lambda: first([self.doc.select_str(".wp-block-post-date time::attr(datetime)")])),
            ("meta", lambda: self.meta("article:published_time")),
            ("json-ld", lambda: first([self.ld_article.get("datePublished")]))])

    def modified_raw(self) -> str | None:
        return self.first_of("modified", [("time", self._modified_time),
            ("meta", lambda: self.meta("article:modified_time")),
            ("json-ld", lambda: first([self.ld_article.get("dateModified")]))])

    def _modified_time(self) -> str | None:
        """A ``<time class="updated">`` that is not also the published one: Twenty Twenty-One marks its only
        date, the publication, ``entry-date published updated`` (inc/template-tags.php), which says nothing of a
        later change."""
        for time in self.doc.select("article time.updated"):
            if "published" not in attribute_tokens(time.get("class")):
                return first([time.get("datetime")])
        return None

    def authors(self) -> list[Author]:
        authors, source = read_authors(self.doc, self.absolute, self.meta("author"),
                                       lambda: _as_list(self.ld_article.get("author")), self._ld_node)
        self.sources["authors"] = source
        return authors

    def categories(self) -> list[Category]:
        return list(self._categories)

    @cached_property
    def _taxonomy_links(self) -> tuple[list[Element], list[Element]]:
        """(category links, tag links) in document order, from one pass over the document's links instead of an
        XPath scan and an ancestor walk per link. Classic themes mark category links ``rel="category tag"``, block
        themes list them in ``.taxonomy-category``; tag links are ``rel="tag"`` outside such a list."""
        in_category_list = {a for container in self.doc.with_class("taxonomy-category") for a in container.iter("a")
                            if a is not container}
        containers = self.doc.with_class_containing("taxonomy-category")
        in_taxonomy_category = {a for container in containers for a in container.iter("a")
                                if a is not container} if containers else set()
        categories: list[Element] = []
        tags: list[Element] = []
        for link, rel in self.doc.links:
            if link in in_category_list or (rel and "category" in attribute_tokens(rel)):
                categories.append(link)
            if rel == "tag" and link not in in_taxonomy_category:
                tags.append(link)
        return categories, tags

    @cached_property
    def _categories(self) -> list[Category]:
        result: list[Category] = []
        for link in self._taxonomy_links[0]:
            url = self.absolute(link.get("href"))
            segments = [s for s in urlsplit(url or "").path.split("/") if s and s != "category"]
            if segments and not any(c.slug == segments[-1] for c in result):
                result.append(Category(slug=segments[-1], name=text_of(link), url=url,
                                       parent=segments[-2] if len(segments) > 1 else None))
        classes = (self.post_articles[0].get("class") or "").split() if self.post_articles else []
        for cls in classes:
            if cls.startswith("category-") and not any(c.slug == cls[9:] for c in result):
                result.append(Category(slug=cls[9:]))
        return result

    def primary_category(self) -> Category | None:
        categories = self._categories
        return categories[0] if categories else None

    def tags(self) -> list[Tag]:
        result: list[Tag] = []
        for link in self._taxonomy_links[1]:
            url = self.absolute(link.get("href"))
            segments = [s for s in urlsplit(url or "").path.split("/") if s]
            if segments and not any(t.slug == segments[-1] for t in result):
                result.append(Tag(slug=segments[-1], name=text_of(link), url=url))
        return result

    def lead_image(self) -> Image | None:
        img = self.doc.select_one(".post-thumbnail img, figure.wp-block-post-featured-image img, "
                                  "article img.wp-post-image")
        if img is not None:
            # Twenty Twenty-One prints the featured image's caption, where sites put the picture's credit.
            caption, credit = caption_credit(text_of(self.doc.select_one(
                ".post-thumbnail figcaption, figure.wp-block-post-featured-image figcaption")) or "")
            url = self.absolute(img.get("src")) or ""
            if credit is not None:
                credit.applies_to = url
            return Image(url=url, alt=collapse_whitespace(img.get("alt") or "") or None, caption=caption,
                         width=int_attr(img.get("width")), height=int_attr(img.get("height")), is_lead=True,
                         credit=credit)
        og = self.meta("og:image")
        return Image(url=self.absolute(og) or og, is_lead=True) if og else None

    def breadcrumb(self) -> list[str]:
        return [t for t in (text_of(a) for a in self.doc.select("#breadcrumbs a, nav.breadcrumb a, .breadcrumbs a"))
                if t]


class FallbackPage(WordPressPage):
    """No known markup: metadata from meta tags and JSON-LD, main text from trafilatura."""

    layout: ClassVar[str] = "fallback"

    @classmethod
    def matches(cls, doc: Document) -> bool:
        return is_post_page(doc)

    @cached_property
    def body(self) -> Body:
        import trafilatura  # imported lazily: only pages of unknown layout need it

        text = trafilatura.extract(self.page.html, url=self.page.url, include_comments=False,
                                   include_tables=False, favor_precision=True)
        if not text:
            raise ExtractionError("no main text found", self.layout)
        blocks = [collapse_whitespace(line) for line in text.split("\n") if line.strip()]
        html = "".join(f"<p>{_escape(b)}</p>" for b in blocks)
        return Body(blocks=blocks, html=html)


def _escape(text: str) -> str:
    import html

    return html.escape(text)

