"""The WordPress REST API's records (``/wp-json/wp/v2/users|categories|tags``) as an index, and completing an
extracted item from it.

The page is what we preserve; the REST data only completes what the HTML leaves out (an author's
numeric ID and bio, the names of categories and tags that a theme shows as CSS classes only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..items import ArticleItem
from ..normalize.text import clean_inline
from ..normalize.urls import canonical_url


@dataclass
class RestIndex:
    users_by_link: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories_by_slug: dict[str, dict[str, Any]] = field(default_factory=dict)
    category_slug_by_id: dict[int, str] = field(default_factory=dict)
    tags_by_slug: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Display name -> the users of that name: the block themes print the author's name without a link.
    users_by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, route: str, records: list[Any]) -> int:
        """Add one page of ``users``, ``categories`` or ``tags``; returns how many records were usable."""
        used = 0
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("slug"), str):
                continue
            used += 1
            if route == "users" and isinstance(record.get("link"), str):
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
        return used

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Every record by route, as ``add`` takes them (workers of a distributed run share them)."""
        return {"users": list(self.users_by_link.values()), "categories": list(self.categories_by_slug.values()),
                "tags": list(self.tags_by_slug.values())}

    def __bool__(self) -> bool:
        return bool(self.users_by_link or self.categories_by_slug or self.tags_by_slug)


def _text(value: Any) -> str | None:
    return clean_inline(value) or None if isinstance(value, str) else None


def complete_from_rest(item: ArticleItem, index: RestIndex) -> ArticleItem:
    """Fill fields the page left empty from the REST records; never overwrite what the page says."""
    for author in item.authors:
        record = index.users_by_link.get(canonical_url(author.url).rstrip("/")) if author.url else None
        if record is None and not author.url:
            namesakes = index.users_by_name.get(author.name, [])
            record = namesakes[0] if len(namesakes) == 1 else None  # two users of one name: neither
        if record is None:
            continue
        if author.url is None and isinstance(record.get("link"), str):
            author.url = record["link"]
        if author.site_author_id is None and isinstance(record.get("id"), int):
            author.site_author_id = record["id"]
        author.bio = author.bio or _text(record.get("description"))
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
    return item
