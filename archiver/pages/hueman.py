"""Hueman-era theme (tarnkappe.info about 2019-2020), site model §5."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from ..items import Author, Category, Image, Tag
from ..normalize.authors import author_id_from_url
from ..normalize.text import collapse_whitespace
from ._cache import cached_property
from .base import ArticlePage
from .body import first, int_attr
from .query import Document, Element, select_one, select_str, text_of


def _path_segments(url: str | None) -> list[str]:
    return [s for s in urlsplit(url or "").path.split("/") if s]


class HuemanPage(ArticlePage):
    layout: ClassVar[str] = "hueman"
    body_junk: ClassVar[list[str]] = []

    @classmethod
    def matches(cls, doc: Document) -> bool:
        return bool(doc.select("h1.post-title.entry-title")) and bool(doc.select(".entry-inner"))

    def body_element(self) -> Element | None:
        return self.doc.select_one("article .entry-inner")

    def title(self) -> str | None:
        return text_of(self.doc.select_one("h1.post-title")) or self.meta("og:title")

    def lead(self) -> str | None:
        return super().lead() or self.first_of("lead", [
            ("first-paragraph", lambda: self.body.blocks[0] if self.body.blocks else None)])

    def published_raw(self) -> str | None:
        return self.first_of("published", [
            ("time", lambda: first([self.doc.select_str("p.post-byline time.published::attr(datetime)")])),
            ("meta", lambda: self.meta("article:published_time")),
            ("time-text", lambda: first([self.doc.select_str("time.published::text")]))])

    def modified_raw(self) -> str | None:
        return self.first_of("modified", [
            ("time", lambda: first([self.doc.select_str("p.post-byline time.updated::attr(datetime)")])),
            ("meta", lambda: self.meta("article:modified_time"))])

    def authors(self) -> list[Author]:
        bios: dict[str | None, Element] = {}
        for box in self.doc.select("div.author-bio"):
            bios[text_of(select_one(box, "p.bio-name"))] = box
        authors: list[Author] = []
        for link in self.doc.select("p.post-byline .author .fn a, p.post-byline .vcard a"):
            name = text_of(link) or ""
            if any(a.name == name for a in authors):
                continue
            url = self.absolute(link.get("href"))
            bio_box = bios.get(name)
            bio = avatar = None
            if bio_box is not None:
                bio = text_of(select_one(bio_box, "p.bio-desc"))
                avatar = self.absolute(select_str(bio_box, ".bio-avatar img::attr(src)"))
            authors.append(Author(name=name, url=url, site_author_id=author_id_from_url(url), bio=bio,
                                  avatar_url=avatar))
        self.sources["authors"] = "byline"
        return authors

    def categories(self) -> list[Category]:
        return list(self._categories)

    @cached_property
    def _categories(self) -> list[Category]:
        result: list[Category] = []
        for link in self.doc.select("a[rel~=category]"):
            url = self.absolute(link.get("href"))
            segments = _path_segments(url)
            if not segments or any(c.slug == segments[-1] for c in result):
                continue
            result.append(Category(slug=segments[-1], name=text_of(link), url=url,
                                   parent=segments[-2] if len(segments) > 1 else None))
        return result

    def primary_category(self) -> Category | None:
        segments = _path_segments(self.url())[:-1]
        if not segments:
            return None
        for category in self._categories:
            if category.slug == segments[-1]:
                return category
        return Category(slug=segments[-1], parent=segments[-2] if len(segments) > 1 else None)

    def tags(self) -> list[Tag]:
        tags: list[Tag] = []
        for link in self.doc.select("p.post-tags a[rel~=tag], a[rel=tag]"):
            url = self.absolute(link.get("href"))
            segments = _path_segments(url)
            if segments and not any(t.slug == segments[-1] for t in tags):
                tags.append(Tag(slug=segments[-1], name=text_of(link), url=url))
        return tags

    def lead_image(self) -> Image | None:
        container = self.doc.select_one("article .image-container")
        img = select_one(container, "img")
        if img is None:
            return None
        return Image(url=self.absolute(img.get("src")) or "",
                     alt=collapse_whitespace(img.get("alt", "")) or None,
                     caption=text_of(select_one(container, ".image-caption")),
                     width=int_attr(img.get("width")), height=int_attr(img.get("height")), is_lead=True)

    def comments_url(self) -> str | None:
        return self.absolute(self.doc.select_str("#commentlist-container a[href*='/forum/t/']::attr(href)"))
