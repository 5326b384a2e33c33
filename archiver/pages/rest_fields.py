"""Completing an article from its REST post record (``/wp-json/wp/v2/posts``): the dates (``date_gmt``,
``modified_gmt``, UTC), the categories and tags (term IDs, resolved through the taxonomy index) and the featured
image (``featured_media``, resolved through the media records: its URL, and its caption as a credit).

The same discipline as for authors (``archiver.pages.rest``): the page wins where it speaks; where the page and
the post record disagree, the page's value stays and the item gets a warning naming both; where only the post
record speaks, the value comes from it and ``field_sources`` says ``rest`` (``…+rest`` where REST added to what
the page gave).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..items import ArticleItem, Category, Credit, Image, Tag
from ..normalize.credits import caption_credit
from ..normalize.dates import iso_utc, parse_utc
from ..normalize.text import clean_inline
from ..normalize.urls import canonical_url
from .query import Document, text_of

if TYPE_CHECKING:
    from .rest import RestIndex

# item field -> the post record's field, a time in UTC written without an offset
DATES = (("published", "date_gmt"), ("modified", "modified_gmt"))


def complete_fields(item: ArticleItem, post: dict[str, Any], index: RestIndex) -> None:
    """Complete ``item`` from the REST post record of its post ID."""
    for name, key in DATES:
        _date(item, name, post.get(key))
    _categories(item, post.get("categories"), index)
    _tags(item, post.get("tags"), index)
    media_id = post.get("featured_media")
    if isinstance(media_id, int) and media_id in index.media_by_id:
        _featured_image(item, index.media_by_id[media_id])


def _text(value: Any) -> str | None:
    return clean_inline(value) or None if isinstance(value, str) else None


def _link(record: dict[str, Any]) -> str | None:
    return record["link"] if isinstance(record.get("link"), str) else None


def _from_rest(item: ArticleItem, name: str) -> None:
    """Record that REST supplied ``name``, alone or beside the page."""
    page = item.field_sources.get(name)
    item.field_sources[name] = "rest" if page is None or page == "rest" else f"{page}+rest"


def _date(item: ArticleItem, name: str, raw: Any) -> None:
    value = iso_utc(parse_utc(raw))
    if value is None:
        return
    page = getattr(item, name)
    if page is None:
        page_raw = getattr(item, f"{name}_raw")
        if page_raw is not None:
            item.warnings.append(f"{name}: the page's {page_raw!r} is no date, the REST post record says {value}")
        setattr(item, name, value)
        setattr(item, f"{name}_raw", raw)
        item.field_sources[name] = "rest"
    elif page != value:
        item.warnings.append(f"{name}: the page says {page}, the REST post record {value}")


def _term_slugs(ids: Any, slug_by_id: dict[int, str]) -> list[str] | None:
    """The slugs of the post record's term IDs, in its order; None when it names none or one is not indexed."""
    if not isinstance(ids, list) or not ids:
        return None
    slugs = [slug_by_id.get(term_id) if isinstance(term_id, int) else None for term_id in ids]
    return [slug for slug in slugs if slug is not None] if all(slugs) else None


def _categories(item: ArticleItem, ids: Any, index: RestIndex) -> None:
    slugs = _term_slugs(ids, index.category_slug_by_id)
    if slugs is None:
        return
    if not item.categories:
        for slug in slugs:
            record = index.categories_by_slug[slug]
            parent = record.get("parent")
            item.categories.append(Category(slug=slug, name=_text(record.get("name")), url=_link(record),
                                            parent=index.category_slug_by_id.get(parent)
                                            if isinstance(parent, int) and parent else None))
        item.primary_category = item.primary_category or item.categories[0]
        item.field_sources["categories"] = "rest"
    elif {c.slug for c in item.categories} != set(slugs):
        item.warnings.append(f"categories: the page names {', '.join(c.slug for c in item.categories)}, "
                             f"the REST post record {', '.join(slugs)}")


def _tags(item: ArticleItem, ids: Any, index: RestIndex) -> None:
    slugs = _term_slugs(ids, index.tag_slug_by_id)
    if slugs is None:
        return
    if not item.tags:
        item.tags = [Tag(slug=slug, name=_text(index.tags_by_slug[slug].get("name")),
                         url=_link(index.tags_by_slug[slug])) for slug in slugs]
        item.field_sources["tags"] = "rest"
    elif {t.slug for t in item.tags} != set(slugs):
        item.warnings.append(f"tags: the page names {', '.join(t.slug for t in item.tags)}, "
                             f"the REST post record {', '.join(slugs)}")


def _caption(media: dict[str, Any]) -> tuple[str | None, Credit | None]:
    """The attachment's caption (``caption.rendered`` is HTML) split into caption text and credit."""
    caption = media.get("caption")
    rendered = caption.get("rendered") if isinstance(caption, dict) else None
    if not isinstance(rendered, str) or not rendered.strip():
        return None, None
    return caption_credit(text_of(Document.parse(f"<html><body>{rendered}</body></html>").root) or "")


def _sizes(media: dict[str, Any]) -> dict[str, Any]:
    details = media.get("media_details")
    return details if isinstance(details, dict) else {}


def _variants(media: dict[str, Any]) -> set[str]:
    """The attachment's URL and those of its sizes (a theme prints one of them)."""
    sizes = _sizes(media).get("sizes")
    urls = [media.get("source_url")] + [size.get("source_url") for size in sizes.values() if isinstance(size, dict)] \
        if isinstance(sizes, dict) else [media.get("source_url")]
    return {canonical_url(url) for url in urls if isinstance(url, str)}


def _featured_image(item: ArticleItem, media: dict[str, Any]) -> None:
    url = media.get("source_url")
    if not isinstance(url, str) or not url:
        return
    caption, credit = _caption(media)
    lead = next((image for image in item.images if image.is_lead), None)
    if lead is None:
        details = _sizes(media)
        width, height = details.get("width"), details.get("height")
        lead = Image(url=url, alt=_text(media.get("alt_text")), caption=caption,
                     width=width if isinstance(width, int) else None,
                     height=height if isinstance(height, int) else None, is_lead=True)
        item.images.insert(0, lead)
        _from_rest(item, "images")
    elif canonical_url(lead.url) not in _variants(media):
        item.warnings.append(f"images: the page's lead image is {lead.url}, the REST featured media {url}")
        return
    if credit is None:
        return
    if lead.credit is None:
        credit.applies_to = lead.url
        lead.credit = credit
        item.credits.insert(0, credit)
        _from_rest(item, "credits")
    elif lead.credit.raw != credit.raw:
        item.warnings.append(f"credits: the page credits the lead image {lead.credit.raw!r}, "
                             f"the REST featured media's caption {credit.raw!r}")
