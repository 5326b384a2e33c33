"""Base class of the page objects: one class per page layout, one method per item field.

Modelled on web-poet: a page object receives the page (URL + HTML), owns every selector and
returns a typed item from ``to_item()``. Spiders only ever receive the item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from ..exceptions import ExtractionError
from ..items import ArticleItem, Author, Category, Credit, Image, Tag
from ..normalize.dates import normalize_date
from ..normalize.text import collapse_whitespace, word_count
from ..normalize.urls import canonical_url, join_url, post_id_from_url, site_of
from ._cache import cached_property
from .body import Body, BodyReader
from .query import Document, Element


@dataclass(frozen=True)
class Page:
    """What a page object reads: the final URL and the decoded HTML, parsed once on first use."""

    url: str
    html: str

    @cached_property
    def doc(self) -> Document:
        return Document.parse(self.html)


class ArticlePage:
    layout: ClassVar[str] = "abstract"
    body_junk: ClassVar[list[str]] = []  # XPath
    body_junk_class_parts: ClassVar[tuple[str, ...]] = ()  # a class attribute containing one marks junk

    def __init__(self, page: Page) -> None:
        self.page = page
        self.doc = page.doc
        self.root: Element = page.doc.root
        # field -> the signal its value came from, for fields read from more than one (``field_sources``)
        self.sources: dict[str, str] = {}

    def first_of(self, name: str, signals: Iterable[tuple[str, Callable[[], str | None]]]) -> str | None:
        """The value of the first signal that gives one, in the order given; records which signal it was."""
        for source, read in signals:
            value = read()
            if value:
                self.sources[name] = source
                return value
        return None

    @classmethod
    def matches(cls, doc: Document) -> bool:
        raise NotImplementedError

    # --- helpers ------------------------------------------------------------------------------
    @cached_property
    def post_articles(self) -> list[Element]:
        """WordPress's post containers, ``<article id="post-123">``, in document order. lxml's tag iteration
        finds them several times faster than the XPath ``//article[starts-with(@id, 'post-')]``."""
        return [article for article in self.root.iter("article") if (article.get("id") or "").startswith("post-")]

    @cached_property
    def _meta(self) -> dict[str, str]:
        """Every <meta> by property or name (first wins); read once, the document has dozens."""
        found: dict[str, str] = {}
        for element in self.root.iter("meta"):
            key = element.get("property") or element.get("name")
            value = element.get("content") if element.get("content") is not None else element.get("value")
            if key and value is not None and key not in found:
                found[key] = value
        return found

    def meta(self, key: str) -> str | None:
        value = self._meta.get(key)
        return collapse_whitespace(value) if value else None

    def absolute(self, href: str | None) -> str | None:
        return join_url(self.page.url, href) if href else None

    # --- fields shared by most layouts ---------------------------------------------------------
    @cached_property
    def _head_links(self) -> dict[str, str]:
        """<link rel=… href=…> of the document by rel (first wins)."""
        found: dict[str, str] = {}
        for element in self.root.iter("link"):
            rel, href = element.get("rel"), element.get("href")
            if rel and href:
                for name in rel.lower().split():
                    found.setdefault(name, href)
        return found

    def url(self) -> str:
        return self._url

    @cached_property
    def _url(self) -> str:
        return canonical_url(self.absolute(self._head_links.get("canonical")) or self.page.url)

    def site(self) -> str:
        return site_of(self.url())

    def post_id(self) -> int | None:
        for article in self.post_articles:
            if (number := re.fullmatch(r"post-(\d+)", article.get("id") or "")) is not None:
                return int(number[1])
        body_class = re.search(r"\bpostid-(\d+)\b", self.doc.select_str("//body/@class") or "")
        if body_class:
            return int(body_class[1])
        shortlink = self._head_links.get("shortlink")
        return post_id_from_url(self.url()) or (post_id_from_url(shortlink) if shortlink else None)

    def language(self) -> str | None:
        lang = (self.root.get("lang") if self.root.tag == "html" else None) or self.meta("og:locale")
        return re.split(r"[-_]", lang.strip())[0].lower() if lang else None

    def lead(self) -> str | None:
        return self.first_of("lead", [("meta-description", lambda: self.meta("description")),
                                      ("og-description", lambda: self.meta("og:description"))])

    @cached_property
    def body(self) -> Body:
        element = self.body_element()
        if element is None:
            raise ExtractionError("no article body found", self.layout)
        return BodyReader(self.page.url, urlsplit(self.page.url).netloc, self.body_junk,
                          self.body_junk_class_parts).read(element)

    def body_element(self) -> Element | None:
        raise NotImplementedError

    def title(self) -> str | None:
        raise NotImplementedError

    def published_raw(self) -> str | None:
        raise NotImplementedError

    def modified_raw(self) -> str | None:
        raise NotImplementedError

    def authors(self) -> list[Author]:
        raise NotImplementedError

    def categories(self) -> list[Category]:
        raise NotImplementedError

    def primary_category(self) -> Category | None:
        raise NotImplementedError

    def tags(self) -> list[Tag]:
        raise NotImplementedError

    def lead_image(self) -> Image | None:
        raise NotImplementedError

    def comments_url(self) -> str | None:
        return None

    def breadcrumb(self) -> list[str]:
        return []

    def reading_time_minutes(self) -> int | None:
        return None

    # --- assembly -----------------------------------------------------------------------------
    def images_and_credits(self) -> tuple[list[Image], list[Credit]]:
        lead = self.lead_image()
        images = [lead] if lead is not None else []
        inline = [img for img in self.body.images if lead is None or img.url != lead.url]
        credits: list[Credit] = []
        if lead is not None and lead.credit is not None:
            credits.append(lead.credit)
        for line in self.body.credit_lines:
            line.applies_to = lead.url if lead is not None else None
            if lead is not None and lead.credit is None:
                lead.credit = line
            credits.append(line)
        credits.extend(img.credit for img in inline if img.credit is not None)
        return images + inline, credits

    def to_item(self) -> ArticleItem:
        title = self.title()
        if not title:
            raise ExtractionError("required field missing: title", self.layout)
        text = self.body.text
        if not text:
            raise ExtractionError("required field missing: body text", self.layout)
        images, credits = self.images_and_credits()
        published_raw, modified_raw = self.published_raw(), self.modified_raw()
        item = ArticleItem(
            url=self.url(), post_id=self.post_id(), site=self.site(), layout=self.layout, title=title,
            lead=self.lead(), text=text, html=self.body.html,
            published=normalize_date(published_raw), published_raw=published_raw,
            modified=normalize_date(modified_raw), modified_raw=modified_raw,
            language=self.language(), word_count=word_count(text), reading_time_minutes=self.reading_time_minutes(),
            authors=self.authors(), primary_category=self.primary_category(), categories=self.categories(),
            tags=self.tags(), images=images, credits=credits, comments_url=self.comments_url(),
            links=self.body.links, breadcrumb=self.breadcrumb(),
        )
        markup = {"title": item.title, "categories": item.categories, "tags": item.tags, "images": item.images,
                  "credits": item.credits, "published": item.published, "modified": item.modified,
                  "authors": item.authors, "lead": item.lead}
        # A field without a recorded signal has one place in this layout's markup.
        item.field_sources = {name: self.sources.get(name, "markup") for name, value in markup.items() if value}
        return item

