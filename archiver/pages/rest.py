"""The WordPress REST API's records (``/wp-json/wp/v2/users|categories|tags|posts|media``) as an index, and
completing an extracted item from it.

The page is what we preserve; the REST data only completes what the HTML leaves out (an author's numeric ID and
bio, the names of categories and tags that a theme shows as CSS classes only, and, by the post record, the
author, dates, terms and featured image a theme does not print: ``archiver.pages.rest_fields``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..items import ArticleItem, Author
from ..normalize.text import clean_inline
from ..normalize.urls import canonical_url
from .rest_fields import complete_fields


@dataclass
class RestIndex:
    users_by_link: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories_by_slug: dict[str, dict[str, Any]] = field(default_factory=dict)
    category_slug_by_id: dict[int, str] = field(default_factory=dict)
    tags_by_slug: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag_slug_by_id: dict[int, str] = field(default_factory=dict)
    # Display name -> the users of that name: the block themes print the author's name without a link.
    users_by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    users_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The post records the crawl reads for discovery (/wp/v2/posts): each names its author by ID.
    posts_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The attachments the post records name as their featured image (/wp/v2/media?include=…).
    media_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Every archived answer's record of a post, with the answer's time: a post's record changes between runs
    # (an edit, a restore), and a rebuild completes each capture from the record read nearest to it (archiver
    # reparse), as the crawl completed it from the one it had just read.
    post_history: dict[int, list[tuple[datetime, dict[str, Any]]]] = field(default_factory=dict)

    def add(self, route: str, records: list[Any], fetched_at: datetime | None = None) -> int:
        """Add one page of ``users``, ``categories``, ``tags``, ``posts`` or ``media`` (answered at
        ``fetched_at``, where known); returns how many records were usable."""
        used = 0
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("slug"), str):
                continue
            used += 1
            if route == "posts":
                if isinstance(record.get("id"), int):
                    self.posts_by_id[record["id"]] = record
                    if fetched_at is not None:
                        self.post_history.setdefault(record["id"], []).append((fetched_at, record))
            elif route == "users" and isinstance(record.get("link"), str):
                if isinstance(record.get("id"), int):
                    self.users_by_id[record["id"]] = record
                self.users_by_link[canonical_url(record["link"]).rstrip("/")] = record
                name = _text(record.get("name"))
                if name and record not in self.users_by_name.setdefault(name, []):
                    self.users_by_name[name].append(record)
            elif route == "categories":
                self.categories_by_slug[record["slug"]] = record
                if isinstance(record.get("id"), int):
                    self.category_slug_by_id[record["id"]] = record["slug"]
            elif route == "tags":
                self.tags_by_slug[record["slug"]] = record
                if isinstance(record.get("id"), int):
                    self.tag_slug_by_id[record["id"]] = record["slug"]
            elif route == "media" and isinstance(record.get("id"), int):
                self.media_by_id[record["id"]] = record
        return used

    def use_post_read_nearest(self, post_id: int, moment: datetime) -> None:
        """Complete from the record of ``post_id`` whose answer was archived nearest in time to ``moment``."""
        history = self.post_history.get(post_id)
        if history:
            self.posts_by_id[post_id] = min(history, key=lambda entry: abs((entry[0] - moment).total_seconds()))[1]

    def featured_media_missing(self, posts: list[Any]) -> list[int]:
        """The featured images these post records name whose media record the index does not hold yet."""
        wanted = {post["featured_media"] for post in posts if isinstance(post, dict)
                  and isinstance(post.get("featured_media"), int) and post["featured_media"] > 0}
        return sorted(wanted - self.media_by_id.keys())

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Every taxonomy record by route, as ``add`` takes them (workers of a distributed run share them)."""
        return {"users": list(self.users_by_link.values()), "categories": list(self.categories_by_slug.values()),
                "tags": list(self.tags_by_slug.values())}

    def __bool__(self) -> bool:
        return bool(self.users_by_link or self.categories_by_slug or self.tags_by_slug or self.posts_by_id
                    or self.media_by_id)


def rest_records_in(body: bytes | str) -> list[Any] | None:
    """The JSON list a REST collection answered, or None (an error page, not JSON, not a list)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def _text(value: Any) -> str | None:
    return clean_inline(value) or None if isinstance(value, str) else None


def _author(record: dict[str, Any]) -> Author | None:
    name = _text(record.get("name"))
    if name is None:
        return None
    return Author(name=name, url=record["link"] if isinstance(record.get("link"), str) else None,
                  site_author_id=record["id"] if isinstance(record.get("id"), int) else None,
                  bio=_text(record.get("description")))


def complete_from_rest(item: ArticleItem, index: RestIndex) -> ArticleItem:
    """Fill fields the page left empty from the REST records; never overwrite what the page says, and warn
    where the page and the REST post record disagree."""
    post = index.posts_by_id.get(item.post_id) if item.post_id is not None else None
    author_id = post.get("author") if post is not None else None
    by_id = index.users_by_id.get(author_id) if isinstance(author_id, int) else None  # the post record's author
    page_source = item.field_sources.get("authors")
    if by_id is not None and not item.authors and (author := _author(by_id)) is not None:
        item.authors = [author]  # the theme printed no author at all
        item.field_sources["authors"] = "rest"
    for author in item.authors:
        record = index.users_by_link.get(canonical_url(author.url).rstrip("/")) if author.url else None
        if record is None and by_id is not None and _text(by_id.get("name")) == author.name:
            record = by_id
        if record is None and not author.url:
            namesakes = index.users_by_name.get(author.name, [])
            record = namesakes[0] if len(namesakes) == 1 else None  # two users of one name: neither
        if record is None:
            continue
        if page_source is not None and (author.url is None or author.site_author_id is None or not author.bio):
            item.field_sources["authors"] = f"{page_source}+rest"  # named by the page, completed from REST
        if author.url is None and isinstance(record.get("link"), str):
            author.url = record["link"]
        if author.site_author_id is None and isinstance(record.get("id"), int):
            author.site_author_id = record["id"]
        author.bio = author.bio or _text(record.get("description"))
    if by_id is not None and item.authors and _text(by_id.get("name")) not in {a.name for a in item.authors}:
        item.warnings.append(f"authors: the page names {', '.join(a.name for a in item.authors)}, "
                             f"the REST post record {by_id.get('name')!r}")
    for category in item.categories:
        record = index.categories_by_slug.get(category.slug)
        if record is None:
            continue
        category.name = category.name or _text(record.get("name"))
        category.url = category.url or (record["link"] if isinstance(record.get("link"), str) else None)
        parent_id = record.get("parent")
        if category.parent is None and isinstance(parent_id, int) and parent_id:
            category.parent = index.category_slug_by_id.get(parent_id)
    for tag in item.tags:
        record = index.tags_by_slug.get(tag.slug)
        if record is not None:
            tag.name = tag.name or _text(record.get("name"))
            tag.url = tag.url or (record["link"] if isinstance(record.get("link"), str) else None)
    if post is not None:
        complete_fields(item, post, index)
    return item
