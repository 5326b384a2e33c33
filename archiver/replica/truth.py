"""Ground truth: what a correct extraction yields for every replica article, in the item shape.

Computed from the replica's own data model, never from its HTML and never by the archiver's
extraction code. ``docs/schema.md`` documents the shape.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from . import catalog as cat
from .model import BERLIN, Article, Credit, Image, SiteModel
from .tk_theme import TkTheme

Item = dict[str, Any]


def _iso_utc(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _collapse(text: str) -> str:
    return " ".join(text.split())


class GroundTruth:
    def __init__(self, site: SiteModel, base: str) -> None:
        self.site = site
        self.base = base.rstrip("/")
        self.tk = TkTheme(site, self.base)

    def all_items(self, theme: str | None = None) -> list[Item]:
        return [self.item(self.site.article(i), theme) for i in range(self.site.count)]

    def credit(self, c: Credit, applies_to: str | None) -> Item:
        return {"raw": c.raw, "creator": c.creator, "license": c.license, "license_url": c.license_url,
                "source_url": c.source_url, "applies_to": applies_to}

    def image(self, img: Image, is_lead: bool, credit: Item | None) -> Item:
        return {"url": self.base + img.src, "alt": img.alt, "caption": img.caption, "width": img.width,
                "height": img.height, "is_lead": is_lead, "credit": credit}

    def item(self, a: Article, theme: str | None = None) -> Item:
        theme = theme or a.default_theme
        hueman = theme == "hueman"
        b = self.base
        primary = cat.CATEGORIES[a.primary]
        lead_url = b + a.lead_image.src if a.lead_image else None

        credits: list[Item] = []
        images: list[Item] = []
        if a.lead_image is not None:
            lead_credit = None
            if a.lead_image.credit is not None and not hueman:
                lead_credit = self.credit(a.lead_image.credit, lead_url)
            elif a.body_credit is not None:
                lead_credit = self.credit(a.body_credit, lead_url)
            if lead_credit:
                credits.append(lead_credit)
            images.append(self.image(a.lead_image, True, lead_credit))
        elif a.body_credit is not None:
            credits.append(self.credit(a.body_credit, None))

        texts: list[str] = []
        internal: list[str] = []
        external: list[str] = []
        for blk in a.blocks:
            if blk.kind in ("p", "h2"):
                texts.append(_collapse(blk.text))
                for seg in blk.segments:
                    if isinstance(seg, str):
                        continue
                    href = self.tk.link_href(seg, hueman_context=hueman)
                    bucket = internal if seg.internal_post_index is not None else external
                    if href not in bucket:
                        bucket.append(href)
            elif blk.kind == "figure" and blk.image is not None:
                img = blk.image
                if img.caption:
                    texts.append(_collapse(img.caption))
                credit = self.credit(img.credit, b + img.src) if img.credit else None
                if credit:
                    credits.append(credit)
                images.append(self.image(img, False, credit))
        text = "\n\n".join(texts)

        authors = [cat.AUTHORS[i] for i in a.author_ids]
        pub_local = a.published.astimezone(BERLIN)
        if hueman:
            categories = [self._category(s, b + "/" + cat.CATEGORIES[s].path + "/", named=True)
                          for s in a.category_slugs]
            tags: list[dict[str, str | None]] = [
                {"name": cat.TAGS_BY_SLUG[t].name, "slug": t, "url": f"{b}/tag/{t}/"} for t in a.tags]
            modified_raw = a.modified.astimezone(BERLIN).isoformat()
            breadcrumb: list[str] = []
            reading = None
        else:
            categories = [self._category(s, b + "/" + cat.CATEGORIES[s].path, named=s == a.primary)
                          for s in a.category_slugs]
            tags = [{"name": None, "slug": t, "url": None} for t in a.tags]
            modified_raw = a.modified.strftime("%Y-%m-%dT%H:%M:%S+00:00")
            breadcrumb = ["Tarnkappe.info"] + [c.name for c in primary.ancestors()] + [primary.name]
            reading = a.reading_minutes
        primary_item = next(c for c in categories if c["slug"] == a.primary)
        return {
            "url": b + a.path,
            "post_id": a.post_id,
            "site": urlsplit(b).netloc,
            "layout": theme,
            "title": a.title,
            "lead": a.lead,
            "text": text,
            "published": _iso_utc(a.published),
            "published_raw": pub_local.isoformat(),
            "modified": _iso_utc(a.modified),
            "modified_raw": modified_raw,
            "language": "de",
            "word_count": len(text.split()),
            "reading_time_minutes": reading,
            "authors": [
                {"name": x.name, "url": f"{b}/author/{x.id}", "site_author_id": x.id, "bio": _collapse(x.bio),
                 "avatar_url": f"{b}/wp-content/uploads/{x.avatar}",
                 "forum_url": None if hueman else f"{b}/forum/u/{x.forum_name}", "is_organization": False}
                for x in authors
            ],
            "primary_category": primary_item,
            "categories": categories,
            "tags": tags,
            "images": images,
            "credits": credits,
            "comments_url": f"{b}/forum/t/{a.slug}/{a.topic_id}",
            "links": {"internal": internal, "external": external},
            "breadcrumb": breadcrumb,
            "warnings": [],  # a page the replica serves cleanly has nothing to warn about
            "version": a.version,
        }

    def _category(self, slug: str, url: str, named: bool) -> Item:
        c = cat.CATEGORIES[slug]
        if not named:
            return {"name": None, "slug": slug, "url": None, "parent": None}
        return {"name": c.name, "slug": slug, "url": url, "parent": c.parent}
