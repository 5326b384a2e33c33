"""The typed article item that page objects produce and pipelines store.

Field by field documentation for researchers lives in ``docs/schema.md``. Where parsing
happens the raw string is kept beside the normalized value (``published_raw`` beside
``published``), as zyte-common-items does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fields every article of a news site has or lacks as a whole: when one goes missing after a theme change, the
# drift alarm (archiver.crawl.gates) says so.
FILLED_FIELDS = ("authors", "published", "categories", "tags", "lead", "images", "credits")


@dataclass
class CaptureRef:
    """Where an item's response lies in the WARC files: the handshake between capture and storage.

    The WARC extension creates it when it hands an exchange to the writer (``request.meta["warc_capture"]``) and
    fills in the record's place when the writer answers that the record is on disk. An item carries the same
    object; storage settles every pending answer (the ``settle_captures`` signal) before it writes, so a row only
    ever points at a record that is on disk, and an item whose capture is still not ``archived`` after settling
    (the write failed) is not stored.
    """

    status: int | None = None
    truncated: str | None = None  # WARC-Truncated: "length" or "disconnect"
    record_id: str | None = None  # WARC-Record-ID, once the record is on disk
    record_type: str | None = None  # "response" or "revisit"
    warc_file: str | None = None
    offset: int | None = None
    length: int | None = None
    payload_digest: str | None = None
    fetched_at: str | None = None  # ISO 8601 UTC: when the request was sent

    @property
    def archived(self) -> bool:
        return self.record_id is not None


def archived(capture: CaptureRef | None) -> bool:
    """Whether an item's response is in the WARC files (capture off: None, nothing to wait for)."""
    return capture is None or capture.archived


@dataclass
class Author:
    name: str
    url: str | None = None
    site_author_id: int | None = None
    bio: str | None = None
    avatar_url: str | None = None
    forum_url: str | None = None
    is_organization: bool = False


@dataclass
class Category:
    slug: str
    name: str | None = None
    url: str | None = None
    parent: str | None = None


@dataclass
class Tag:
    slug: str
    name: str | None = None
    url: str | None = None


@dataclass
class Credit:
    raw: str
    creator: str | None = None
    license: str | None = None
    license_url: str | None = None
    source_url: str | None = None
    applies_to: str | None = None  # URL of the image it credits; None for the article as a whole


@dataclass
class Image:
    url: str
    alt: str | None = None
    caption: str | None = None
    width: int | None = None
    height: int | None = None
    is_lead: bool = False
    credit: Credit | None = None


@dataclass
class Links:
    internal: list[str] = field(default_factory=list)  # links to other articles of the same site
    external: list[str] = field(default_factory=list)  # links to other hosts


@dataclass
class ArticleItem:
    url: str
    post_id: int | None
    site: str
    layout: str
    title: str
    lead: str | None
    text: str
    html: str
    published: str | None  # ISO 8601 UTC ("2025-03-07T06:25:18Z"); None when the raw value cannot be parsed
    published_raw: str | None
    modified: str | None
    modified_raw: str | None
    language: str | None
    word_count: int
    reading_time_minutes: int | None
    authors: list[Author] = field(default_factory=list)
    primary_category: Category | None = None
    categories: list[Category] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    comments_url: str | None = None
    links: Links = field(default_factory=Links)
    breadcrumb: list[str] = field(default_factory=list)
    # Problems found on the way that did not stop extraction (a wrong charset declaration …).
    warnings: list[str] = field(default_factory=list)
    # Crawl context (not extracted from the page): where the page came from.
    fetched_url: str | None = None
    capture: CaptureRef | None = None
    extractor: str | None = None  # the extractor version that produced the item (archiver.pages.EXTRACTOR)
    # Field -> the signal its value came from ("byline", "json-ld", "rest" …): how far a researcher can trust it.
    field_sources: dict[str, str] = field(default_factory=dict)

    def filled(self) -> set[str]:
        """Which of the FILLED_FIELDS the page gave (the drift alarm watches their rates)."""
        values = {"authors": self.authors, "published": self.published, "categories": self.categories,
                  "tags": self.tags, "lead": self.lead, "images": self.images, "credits": self.credits}
        return {name for name, value in values.items() if value}

    def to_dict(self, with_html: bool = True, with_context: bool = False) -> dict[str, Any]:
        """The item as plain dicts and lists, equal to ``dataclasses.asdict`` without the left-out fields."""
        skipped = set() if with_html else {"html"}
        if not with_context:
            skipped |= {"fetched_url", "capture", "extractor", "field_sources"}
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__ if name not in skipped}


def _plain(value: Any) -> Any:
    """``dataclasses.asdict``'s conversion without its deep copy of every leaf value (which made it cost
    0.2 ms per article, once for each content hash): the leaves of an item are immutable."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    return value


@dataclass
class ExtractionFailure:
    """A page that was fetched and archived but yielded no article."""

    url: str
    reason: str
    layout: str | None = None
    capture: CaptureRef | None = None


@dataclass
class NotModified:
    """A known article answered 304 Not Modified to a conditional request: it was seen, unchanged."""

    url: str
    capture: CaptureRef | None = None


@dataclass
class Removed:
    """A known article that is gone: ``status`` is ``404``, ``410``, ``redirect:<final url>`` or ``unpublished``
    (the site's REST API no longer lists it and its own REST route says it is not published). The response that
    showed it is archived like any other; its capture's time is the removal's."""

    url: str
    status: str
    capture: CaptureRef | None = None
