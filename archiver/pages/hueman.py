"""Hueman-era theme (tarnkappe.info about 2019-2020), site model §5."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from parsel import Selector

from ..items import Author, Category, Image, Tag
from ..normalize.authors import author_id_from_url
from ..normalize.text import collapse_whitespace
from .base import ArticlePage, text_of
from .body import first, int_attr


def _path_segments(url: str | None) -> list[str]:
    return [s for s in urlsplit(url or "").path.split("/") if s]


class HuemanPage(ArticlePage):
    layout: ClassVar[str] = "hueman"
    body_junk: ClassVar[list[str]] = []

    @classmethod
    def matches(cls, sel: Selector) -> bool:
        return bool(sel.css("h1.post-title.entry-title")) and bool(sel.css(".entry-inner"))

    def body_element(self) -> Selector | None:
        found = self.sel.css("article .entry-inner")
        return found[0] if found else None

    def title(self) -> str | None:
        return text_of(next(iter(self.sel.css("h1.post-title")), None)) or self.meta("og:title")

    def lead(self) -> str | None:
        return super().lead() or (self.body.blocks[0] if self.body.blocks else None)

    def published_raw(self) -> str | None:
        return first([self.sel.css("p.post-byline time.published::attr(datetime)").get(),
                      self.meta("article:published_time"), self.sel.css("time.published::text").get()])

    def modified_raw(self) -> str | None:
        return first([self.sel.css("p.post-byline time.updated::attr(datetime)").get(),
                      self.meta("article:modified_time")])

    def authors(self) -> list[Author]:
        bios: dict[str | None, Selector] = {}
        for box in self.sel.css("div.author-bio"):
            bios[text_of(next(iter(box.css("p.bio-name")), None))] = box
        authors: list[Author] = []
        for link in self.sel.css("p.post-byline .author .fn a, p.post-byline .vcard a"):
            name = text_of(link) or ""
            if any(a.name == name for a in authors):
                continue
            url = self.absolute(link.attrib.get("href"))
            bio_box = bios.get(name)
            bio = avatar = None
            if bio_box is not None:
                bio = text_of(next(iter(bio_box.css("p.bio-desc")), None))
                avatar = self.absolute(bio_box.css(".bio-avatar img::attr(src)").get())
            authors.append(Author(name=name, url=url, site_author_id=author_id_from_url(url), bio=bio,
                                  avatar_url=avatar))
        return authors

    def categories(self) -> list[Category]:
        result: list[Category] = []
        for link in self.sel.css("a[rel~=category]"):
            url = self.absolute(link.attrib.get("href"))
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
        for category in self.categories():
            if category.slug == segments[-1]:
                return category
        return Category(slug=segments[-1], parent=segments[-2] if len(segments) > 1 else None)

    def tags(self) -> list[Tag]:
        tags: list[Tag] = []
        for link in self.sel.css("p.post-tags a[rel~=tag], a[rel=tag]"):
            url = self.absolute(link.attrib.get("href"))
            segments = _path_segments(url)
            if segments and not any(t.slug == segments[-1] for t in tags):
                tags.append(Tag(slug=segments[-1], name=text_of(link), url=url))
        return tags

    def lead_image(self) -> Image | None:
        container = next(iter(self.sel.css("article .image-container")), None)
        if container is None:
            return None
        img = container.css("img")
        if not img:
            return None
        return Image(url=self.absolute(img.attrib.get("src")) or "",
                     alt=collapse_whitespace(img.attrib.get("alt", "")) or None,
                     caption=text_of(next(iter(container.css(".image-caption")), None)),
                     width=int_attr(img.attrib.get("width")), height=int_attr(img.attrib.get("height")), is_lead=True)

    def comments_url(self) -> str | None:
        return self.absolute(self.sel.css("#commentlist-container a[href*='/forum/t/']::attr(href)").get())

