"""Article versions: what makes a new one (content hash), what a diff compares, and a batch's link rows.

Pure helpers and the reads a diff needs; ``repository.ArchiveStore`` does the writing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from ..items import ArticleItem
from . import models as m
from .bulk import insert_rows
from .models import table_of as _t
from .reader import iso

DIFF_FIELDS = ("title", "lead", "text", "published", "modified", "authors", "categories", "tags", "images",
               "credits")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def content_hash(item: ArticleItem) -> str:
    data = item.to_dict(with_html=False)
    data.pop("warnings")  # about the fetch, not the content: a fixed charset label is not a new version
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def extracted(item: ArticleItem, digest: str) -> dict[str, Any]:
    """A version row's columns that extraction decides."""
    return dict(layout=item.layout, title=item.title, lead=item.lead, text=item.text, html=item.html,
                published=parse_iso(item.published), published_raw=item.published_raw,
                modified=parse_iso(item.modified), modified_raw=item.modified_raw, language=item.language,
                word_count=item.word_count, reading_time_minutes=item.reading_time_minutes,
                comments_url=item.comments_url, breadcrumb=item.breadcrumb, warnings=item.warnings or None,
                content_hash=digest, extractor=item.extractor, field_sources=item.field_sources or None)


def summary(item: ArticleItem) -> dict[str, Any]:
    """The fields a version diff compares, in comparable form."""
    return {
        "title": item.title, "lead": item.lead, "text": item.text, "published": item.published,
        "modified": item.modified, "authors": [a.name for a in item.authors],
        "categories": [c.slug for c in item.categories], "tags": [t.slug for t in item.tags],
        "images": [i.url for i in item.images], "credits": [c.raw for c in item.credits],
    }


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in DIFF_FIELDS:
        if old.get(name) == new.get(name):
            continue
        if name == "text":
            lines = difflib.unified_diff((old.get(name) or "").split("\n\n"), (new.get(name) or "").split("\n\n"),
                                         "old", "new", lineterm="", n=0)
            diff[name] = {"unified": "\n".join(lines)}
        else:
            diff[name] = {"old": old.get(name), "new": new.get(name)}
    return diff


def version_summary(conn: Connection, version_id: int) -> dict[str, Any]:
    """The fields a version diff compares, read back from a stored version."""
    v = _t(m.ArticleVersion)
    row = conn.execute(select(v.c.title, v.c.lead, v.c.text, v.c.published, v.c.modified)
                       .where(v.c.id == version_id)).one()
    aa, au = _t(m.ArticleAuthor), _t(m.Author)
    ac, ca = _t(m.ArticleCategory), _t(m.Category)
    at, ta = _t(m.ArticleTag), _t(m.Tag)
    ai, im = _t(m.ArticleImage), _t(m.Image)
    cr = _t(m.Credit)
    return {
        "title": row.title, "lead": row.lead, "text": row.text,
        "published": iso(row.published), "modified": iso(row.modified),
        "authors": list(conn.execute(select(au.c.name).join(aa, aa.c.author_id == au.c.id)
                                     .where(aa.c.version_id == version_id).order_by(aa.c.position)).scalars()),
        "categories": list(conn.execute(select(ca.c.slug).join(ac, ac.c.category_id == ca.c.id)
                                        .where(ac.c.version_id == version_id).order_by(ac.c.position)).scalars()),
        "tags": list(conn.execute(select(ta.c.slug).join(at, at.c.tag_id == ta.c.id)
                                  .where(at.c.version_id == version_id).order_by(at.c.position)).scalars()),
        "images": list(conn.execute(select(im.c.url).join(ai, ai.c.image_id == im.c.id)
                                    .where(ai.c.version_id == version_id).order_by(ai.c.position)).scalars()),
        "credits": list(conn.execute(select(cr.c.raw).where(cr.c.version_id == version_id)
                                     .order_by(cr.c.position)).scalars()),
    }


ImageKey = tuple[int, str]  # (site_id, url): an image row's natural key


class LinkRows:
    """Link rows waiting for one statement per table (``bulk.insert_rows``), in the order their tables were first
    given.

    Rows that point to an image hold its natural key in ``image_id`` until ``insert``: the batch's images are
    upserted first, in one statement, by ``upsert_images`` (natural key → id).
    """

    def __init__(self, upsert_images: Callable[[Connection, list[ImageKey]], dict[ImageKey, int]]) -> None:
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.images: set[ImageKey] = set()
        self._upsert_images = upsert_images

    def add(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.rows.setdefault(table, []).extend(rows)

    def insert(self, conn: Connection) -> None:
        if self.images:
            ids = self._upsert_images(conn, sorted(self.images))
            for rows in self.rows.values():
                for row in rows:
                    if isinstance(row.get("image_id"), tuple):
                        row["image_id"] = ids[row["image_id"]]
            self.images.clear()
        for table, rows in self.rows.items():
            insert_rows(conn, table, rows)
        self.rows.clear()
