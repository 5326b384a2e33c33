"""The rows a version hangs off: its authors, categories, tags, images, credits and links.

Entity rows (authors, categories, tags, images) are upserted on their natural keys, in a global order, so that
concurrent writers on PostgreSQL lock them in the same order and cannot deadlock; link rows go into the batch's
``LinkRows`` and are inserted with the batch. ``Upserts`` builds the ``INSERT … ON CONFLICT`` statements, once per
shape, for these and for the archive's other natural keys (sites, articles).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func
from sqlalchemy.dialects import postgresql, sqlite

from ..items import ArticleItem
from ..normalize.urls import post_id_from_url
from . import models as m
from .models import table_of as _t
from .versions import ImageKey, LinkRows

# Entity IDs this process wrote (authors, categories, tags); the hot ones come back at once. Images are not
# remembered: nearly every image belongs to one article, so their entries only filled the cache (and a big
# crawl's memory) and emptied it of the authors and tags that do come back.
ENTITY_CACHE_SIZE = 20_000


class Upserts:
    """``INSERT … ON CONFLICT`` on natural keys, for one dialect, each statement built once per shape."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._statements: dict[tuple[Any, ...], Any] = {}

    def upsert(self, conn: Connection, table: Table, values: dict[str, Any], keys: list[str],
               keep_existing: tuple[str, ...] = (), preserve: tuple[str, ...] = (),
               least: tuple[str, ...] = ()) -> int:
        """Insert or update on the natural key.

        Columns in ``keep_existing`` are only filled, never blanked by a NULL; columns in
        ``preserve`` keep the stored value (first_seen, created_at); columns in ``least`` keep the
        smaller of two non-null values, so pages that disagree (``/krypto`` vs ``/krypto/``) give the
        same row whatever order a crawl happens to fetch them in.
        """
        statement = self.statement(table, list(values), keys, keep_existing, preserve, least)
        return int(conn.execute(statement, values).scalar_one())

    def statement(self, table: Table, names: list[str], keys: list[str], keep_existing: tuple[str, ...] = (),
                  preserve: tuple[str, ...] = (), least: tuple[str, ...] = (),
                  returning: tuple[Any, ...] = ()) -> Any:
        """``INSERT … ON CONFLICT (keys) DO UPDATE … RETURNING id, *returning``; see ``upsert``."""
        signature = (table.name, tuple(names), tuple(keys), keep_existing, preserve, least, returning)
        statement = self._statements.get(signature)
        if statement is None:
            # Built once per shape and executed with parameters: constructing SQLAlchemy statements per row
            # costs more than the database work itself.
            insert: Any = self.insert(table)
            updates: dict[str, Any] = {}
            for name in names:
                if name in keys or name in preserve:
                    continue
                column = insert.excluded[name]
                if name in least:
                    smaller = (func.least(column, table.c[name]) if self.dialect == "postgresql"
                               else func.min(column, table.c[name]))
                    updates[name] = func.coalesce(smaller, column, table.c[name])
                else:
                    updates[name] = func.coalesce(column, table.c[name]) if name in keep_existing else column
            if not updates:
                updates = {keys[0]: insert.excluded[keys[0]]}
            statement = insert.on_conflict_do_update(index_elements=keys, set_=updates).returning(table.c.id,
                                                                                                  *returning)
            self._statements[signature] = statement
        return statement


class RelationWriter:
    """Writes a version's relations; remembers the entity IDs it wrote (see ``ENTITY_CACHE_SIZE``)."""

    def __init__(self, upserts: Upserts) -> None:
        self._upserts = upserts
        self.entity_ids: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}

    def forget(self) -> None:
        """After a rolled-back transaction: the IDs it wrote may not exist."""
        self.entity_ids.clear()

    def _entity(self, conn: Connection, table: Table, values: dict[str, Any], keys: list[str],
                keep_existing: tuple[str, ...] = (), least: tuple[str, ...] = ()) -> int:
        """Upsert an entity row, skipping the statement when this process already wrote the same values."""
        cache_key = (table.name, tuple(sorted(values.items())))
        cached = self.entity_ids.get(cache_key)
        if cached is None:
            cached = self._upserts.upsert(conn, table, values, keys, keep_existing, least=least)
            if len(self.entity_ids) >= ENTITY_CACHE_SIZE:
                self.entity_ids.clear()  # a site's tags may outnumber the bound: the cache must not grow with it
            self.entity_ids[cache_key] = cached
        return cached

    def store(self, conn: Connection, site_id: int, version_id: int, item: ArticleItem, links: LinkRows) -> None:
        # Entity rows are upserted in a global order (by natural key) so that concurrent writers on
        # PostgreSQL lock them in the same order and cannot deadlock; link rows follow in item order.
        author_rows = {}
        for author in item.authors:
            key = (f"id:{author.site_author_id}" if author.site_author_id is not None
                   else f"url:{author.url}" if author.url else f"name:{author.name}")
            author_rows[key] = {"site_id": site_id, "key": key, "name": author.name, "url": author.url,
                                "site_author_id": author.site_author_id, "bio": author.bio,
                                "avatar_url": author.avatar_url, "forum_url": author.forum_url,
                                "is_organization": author.is_organization}
        author_ids = {key: self._entity(conn, _t(m.Author), author_rows[key], ["site_id", "key"],
                                        ("url", "site_author_id", "bio", "avatar_url", "forum_url"))
                      for key in sorted(author_rows)}
        categories = _t(m.Category)
        slugs = sorted({c.slug for c in item.categories} | {c.parent for c in item.categories if c.parent})
        category_ids = {slug: self._entity(conn, categories, {"site_id": site_id, "slug": slug}, ["site_id", "slug"])
                        for slug in slugs}
        for category in sorted(item.categories, key=lambda c: c.slug):
            details = {"site_id": site_id, "slug": category.slug, "name": category.name, "url": category.url,
                       "parent_id": category_ids.get(category.parent or "")}
            if any(details[k] is not None for k in ("name", "url", "parent_id")):
                self._entity(conn, categories, details, ["site_id", "slug"], ("name", "parent_id"), least=("url",))
        tag_ids = {tag.slug: self._entity(conn, _t(m.Tag), {"site_id": site_id, "slug": tag.slug,
                                                                   "name": tag.name, "url": tag.url},
                                          ["site_id", "slug"], ("name",), least=("url",))
                   for tag in sorted(item.tags, key=lambda t: t.slug)}
        # Images are upserted with the batch's link rows, all in one statement (see image_ids); until then the
        # rows name them by natural key.
        image_keys = {image.url: (site_id, image.url) for image in item.images}
        links.images.update(image_keys.values())
        primary = item.primary_category.slug if item.primary_category else None
        links.add(_t(m.ArticleAuthor), [
            {"version_id": version_id, "author_id": author_ids[key], "position": n}
            for n, key in enumerate(dict.fromkeys(
                f"id:{a.site_author_id}" if a.site_author_id is not None else f"url:{a.url}" if a.url
                else f"name:{a.name}" for a in item.authors))])
        links.add(_t(m.ArticleCategory), [
            {"version_id": version_id, "category_id": category_ids[slug], "is_primary": slug == primary,
             "position": n} for n, slug in enumerate(dict.fromkeys(c.slug for c in item.categories))])
        links.add(_t(m.ArticleTag), [
            {"version_id": version_id, "tag_id": tag_ids[slug], "position": n}
            for n, slug in enumerate(dict.fromkeys(t.slug for t in item.tags))])
        links.add(_t(m.ArticleImage), [
            {"version_id": version_id, "position": n, "image_id": image_keys[image.url], "alt": image.alt,
             "caption": image.caption, "width": image.width, "height": image.height, "is_lead": image.is_lead}
            for n, image in enumerate(item.images)])
        links.add(_t(m.Credit), [
            {"version_id": version_id, "position": n, "image_id": image_keys.get(credit.applies_to or ""),
             "raw": credit.raw, "creator": credit.creator, "license": credit.license,
             "license_url": credit.license_url, "source_url": credit.source_url, "applies_to": credit.applies_to}
            for n, credit in enumerate(item.credits)])
        links.add(_t(m.Link), [
            {"version_id": version_id, "kind": kind, "position": n, "url": url,
             "target_post_id": post_id_from_url(url) if kind == "internal" else None}
            for kind, urls in (("internal", item.links.internal), ("external", item.links.external))
            for n, url in enumerate(urls)])

    def image_ids(self, conn: Connection, keys: list[ImageKey]) -> dict[ImageKey, int]:
        """Upsert a batch's images in one statement (one per image was a third of an article's statements), in
        natural-key order so that concurrent writers lock them in the same order; not through the entity cache:
        an image belongs to one article (see ENTITY_CACHE_SIZE)."""
        images = _t(m.Image)
        statement = self._upserts.statement(images, ["site_id", "url"], ["site_id", "url"],
                                           returning=(images.c.site_id, images.c.url))
        rows = conn.execute(statement, [{"site_id": site_id, "url": url} for site_id, url in keys])
        return {(row.site_id, row.url): row.id for row in rows}
